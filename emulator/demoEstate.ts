import type { AzureEmulator } from './index';

export const demoSubscriptionId = '6f1c2d3e-4a5b-4c6d-8e7f-901234567890';

export interface DemoTarget {
  readonly workflowId: string;
  readonly trigger: string;
  readonly secretName?: string;
  readonly dependents?: readonly string[];
}

/** The API Management named value that fronts orders-intake: APIM's "Import Logic App" keeps only the sig. */
export const demoApimNamedValueId = `/subscriptions/${demoSubscriptionId}/resourceGroups/rg-integration/providers/Microsoft.ApiManagement/service/apim-contoso/namedValues/orders-intake-sig`;

/**
 * A mixed estate like real ones: two HTTP-triggered Consumption workflows, a Logic Apps Standard
 * workflow, a Power Automate flow (one key: hard cut), and one Consumption workflow whose only
 * trigger is a Recurrence — a common configuration mistake, which shows a clear per-target failure
 * while the others rotate. orders-intake is fronted by API Management, whose named value holds the
 * sig of the portal URL (a dependent, docs/design.md §12).
 */
export function seedDemoEstate(emulator: AzureEmulator): DemoTarget[] {
  const orders = emulator.logic.addWorkflow({ subscriptionId: demoSubscriptionId, resourceGroup: 'rg-integration', name: 'orders-intake' });
  const invoices = emulator.logic.addWorkflow({
    subscriptionId: demoSubscriptionId,
    resourceGroup: 'rg-integration',
    name: 'invoice-webhook',
    triggers: { When_a_HTTP_request_is_received: 'Request' },
  });
  const standard = emulator.logic.addStandardWorkflow({
    subscriptionId: demoSubscriptionId,
    resourceGroup: 'rg-integration',
    site: 'la-partners',
    name: 'partner-events',
  });
  const flow = emulator.flows.addFlow({ environment: 'Default-contoso', urlStyle: 'environment' });
  emulator.apiManagement.seedNamedValue(demoApimNamedValueId, {
    value: new URL(emulator.logic.currentCallbackUrl(orders, 'manual', 'Primary')).searchParams.get('sig') ?? '',
    secret: true,
    callsWorkflow: { workflowId: orders, trigger: 'manual' },
  });
  const report = emulator.logic.addWorkflow({
    subscriptionId: demoSubscriptionId,
    resourceGroup: 'rg-reporting',
    name: 'nightly-report',
    triggers: { Recurrence: 'Recurrence' },
  });
  return [
    { workflowId: orders, trigger: 'manual', dependents: [demoApimNamedValueId] },
    { workflowId: invoices, trigger: 'When_a_HTTP_request_is_received', secretName: 'invoice-webhook-url' },
    { workflowId: standard, trigger: 'manual', secretName: 'partner-events-url' },
    { workflowId: flow, trigger: 'manual', secretName: 'expense-approval-flow-url' },
    { workflowId: report, trigger: 'Recurrence' },
  ];
}
