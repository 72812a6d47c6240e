import type { CustomRoleAction } from './customRoleAction';

/**
 * The Azure RBAC actions of sas-rotator's second custom role, the dependent updater
 * (infra/core/security/dependent-update-role.bicep, which a test compares with this list and with
 * Microsoft's published operations list; test/infra/dependentUpdateRole.test.ts also derives the
 * action of every request the dependent adapters send and checks that this list covers exactly those).
 * Each entry names the operations that need it; a long-running update needs its status polls too.
 *
 * A role of its own, not more actions in the workflow key role: the dependents (API Management
 * named values, action groups, Event Grid event subscriptions) live in other resource groups than
 * the workflows, often another team's, and are assigned with infra/access/dependents-access.bicep.
 *
 * Built-in roles do not fit: API Management Service Contributor grants Microsoft.ApiManagement/service/*,
 * Monitoring Contributor Microsoft.Insights/actionGroups/* among much else, and EventGrid EventSubscription
 * Contributor Microsoft.EventGrid/eventSubscriptions/* (delete included).
 *
 * Operation IDs: Microsoft.ApiManagement 2024-05-01, Microsoft.Insights 2021-09-01 actionGroups,
 * Microsoft.EventGrid 2022-06-15.
 */
export const dependentUpdateRoleActions: readonly CustomRoleAction[] = [
  // API Management named values: read, read a secret value, write (PATCH, long-running).
  // The PATCH's Location URL is the named value itself (…/namedValues/{nv}?asyncId=…): a read.
  { action: 'Microsoft.ApiManagement/service/namedValues/read', neededBy: ['NamedValue_Get', 'NamedValue_Update'] },
  { action: 'Microsoft.ApiManagement/service/namedValues/listValue/action', neededBy: ['NamedValue_ListValue'] },
  { action: 'Microsoft.ApiManagement/service/namedValues/write', neededBy: ['NamedValue_Update'] },
  // The PATCH's Azure-AsyncOperation URL is …/service/{svc}/tenant/operationResults/{id} (the spec's
  // example); this published action is the one its path names. Not verified live (docs/security.md).
  { action: 'Microsoft.ApiManagement/service/tenant/operationResults/read', neededBy: ['NamedValue_Update'] },
  // Azure Monitor action groups: read, and replace (PUT; PATCH cannot change receivers). Not long-running.
  { action: 'Microsoft.Insights/ActionGroups/Read', neededBy: ['ActionGroups_Get'] },
  { action: 'Microsoft.Insights/ActionGroups/Write', neededBy: ['ActionGroups_CreateOrUpdate'] },
  // Event Grid event subscriptions (the extension form, at any scope): read, read the full URL, update
  // (PATCH, long-running: the status is polled on the region's operationsStatus, and a Location, if one
  // is sent, on its operationResults; without one the final GET is the event subscription itself).
  { action: 'Microsoft.EventGrid/eventSubscriptions/read', neededBy: ['EventSubscriptions_Get', 'EventSubscriptions_Update'] },
  { action: 'Microsoft.EventGrid/eventSubscriptions/getFullUrl/action', neededBy: ['EventSubscriptions_GetFullUrl'] },
  { action: 'Microsoft.EventGrid/eventSubscriptions/write', neededBy: ['EventSubscriptions_Update'] },
  { action: 'Microsoft.EventGrid/locations/operationsStatus/read', neededBy: ['EventSubscriptions_Update'] },
  { action: 'Microsoft.EventGrid/locations/operationResults/read', neededBy: ['EventSubscriptions_Update'] },
];
