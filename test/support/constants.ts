/**
 * The constants the emulator-backed tests share: time units for clocks and timeouts, and the fixed
 * estate their workflows live in. Fixed IDs keep resource IDs, secret names and failure messages
 * the same in every run, so a failure can be compared with the last good one.
 */

/** Milliseconds: `10 * minute`, `31 * day`. */
export const minute = 60 * 1000;
export const day = 24 * 60 * minute;

/** The subscription of the tests' workflows (a valid GUID: the product validates resource IDs). */
export const subscriptionId = '11111111-2222-4333-8444-555555555555';
/** The resource group of the Consumption workflows the tests add. */
export const resourceGroup = 'rg-tests';
export const resourceGroupId = `/subscriptions/${subscriptionId}/resourceGroups/${resourceGroup}`;
/** The resource group of the Logic Apps Standard sites the tests add. */
export const standardResourceGroup = 'rg-standard';
/** The Power Automate environment of the flows the tests add. */
export const flowEnvironment = 'Default-contoso';

/** The tag that makes discovery pick a workflow or a Standard site up (docs/design.md §4.5). */
export const rotationEnabledTags: Readonly<Record<string, string>> = { 'sas-rotation': 'enabled' };
