import type { RotationTarget } from '../../src/rotation/RotationTarget';

/**
 * The target the protocol's unit tests rotate against in-memory hosts and stores: the `manual` trigger
 * of the Consumption workflow `orders`, with the default secret name and interval, adopting nothing.
 */
export const ordersTarget: RotationTarget = {
  workflowId: '/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg/providers/Microsoft.Logic/workflows/orders',
  trigger: 'manual',
  secretName: 'orders-manual-url',
  intervalDays: 30,
  adopt: false,
  host: 'consumption',
};
