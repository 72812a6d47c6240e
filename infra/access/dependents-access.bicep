metadata description = 'Grants sas-rotator\'s identity the dependent update role on the scopes that hold dependents (API Management named values, action groups, Event Grid event subscriptions). Deployed on its own (not by azd), after infra/main.bicep.'

// Kept out of infra/main.bicep for the same reason as workflow-access.bicep: azd down deletes every
// resource group an azd deployment put resources in (Azure/azure-dev#2916), and these assignments live
// in the dependents' resource groups. Deploy with:
//   az deployment sub create --location <region> --template-file infra/access/dependents-access.bicep \
//     --parameters principalId=<ROTATOR_IDENTITY_PRINCIPAL_ID> roleDefinitionGuid=<DEPENDENT_UPDATE_ROLE_GUID> \
//     dependentScopeIds='["/subscriptions/<sub>/resourceGroups/<rg>"]'
targetScope = 'subscription'

@description('Required. Principal ID of sas-rotator\'s user-assigned identity (output ROTATOR_IDENTITY_PRINCIPAL_ID of infra/main.bicep).')
param principalId string

@description('Required. GUID of the dependent update role (output DEPENDENT_UPDATE_ROLE_GUID of infra/main.bicep).')
param roleDefinitionGuid string

@description('Required. Scopes to assign the role on (output DEPENDENT_UPDATE_ROLE_SCOPE_IDS of infra/main.bicep lists those of the configured dependents), each one of: a resource group (/subscriptions/<id>/resourceGroups/<rg>; any dependent in it), a subscription (/subscriptions/<id>; event subscriptions on the subscription itself), an API Management service (…/providers/Microsoft.ApiManagement/service/<name>; its named values) or an action group (…/providers/Microsoft.Insights/actionGroups/<name>). Their subscriptions must be among the role\'s assignable scopes.')
param dependentScopeIds string[]

// Lower-cased, without a trailing slash and de-duplicated: one assignment per scope.
var scopeIds = union(map(dependentScopeIds, id => toLower(endsWith(trim(id), '/') ? take(trim(id), length(trim(id)) - 1) : trim(id))), [])

// Not a named value, an event subscription or a topic: the status of their long-running updates is
// polled on URLs outside them, which an assignment on the resource itself does not cover (docs/security.md).
var supportedResourceTypes = ['microsoft.apimanagement/service', 'microsoft.insights/actiongroups']

// What each scope is, from its segments ('', 'subscriptions', <id>, 'resourcegroups', <rg>, 'providers',
// <namespace>, <type>, <name>). Each branch indexes only segments its length guarantees.
var scopeKinds = map(scopeIds, id => (length(split(id, '/')) == 3
  ? (split(id, '/')[1] == 'subscriptions' ? 'subscription' : 'unsupported')
  : length(split(id, '/')) == 5
      ? (split(id, '/')[1] == 'subscriptions' && split(id, '/')[3] == 'resourcegroups' ? 'resourceGroup' : 'unsupported')
      : length(split(id, '/')) == 9
          ? (split(id, '/')[1] == 'subscriptions' && split(id, '/')[3] == 'resourcegroups' && split(id, '/')[5] == 'providers' && contains(supportedResourceTypes, '${split(id, '/')[6]}/${split(id, '/')[7]}')
              ? 'resource'
              : 'unsupported')
          : 'unsupported'))

var unsupportedScopeIds = filter(scopeIds, id => scopeKinds[indexOf(scopeIds, id)] == 'unsupported')

// An unsupported scope fails the whole deployment before any assignment is made.
var checkedScopeIds = empty(unsupportedScopeIds)
  ? scopeIds
  : fail('Unsupported dependentScopeIds: ${join(unsupportedScopeIds, ', ')}. Use a subscription, a resource group, an API Management service or an action group.')
var subscriptionIds = filter(checkedScopeIds, id => scopeKinds[indexOf(scopeIds, id)] == 'subscription')
var resourceGroupIds = filter(checkedScopeIds, id => scopeKinds[indexOf(scopeIds, id)] == 'resourceGroup')
var resourceIds = filter(checkedScopeIds, id => scopeKinds[indexOf(scopeIds, id)] == 'resource')

module subscriptionAssignments '../core/security/subscription-role-assignment.bicep' = [for subscriptionId in subscriptionIds: {
  name: 'sas-rotator-dependents-access-${uniqueString(subscriptionId, principalId)}'
  scope: subscription(split(subscriptionId, '/')[2])
  params: {
    principalId: principalId
    roleDefinitionGuid: roleDefinitionGuid
  }
}]

module resourceGroupAssignments '../core/security/resource-group-role-assignment.bicep' = [for resourceGroupId in resourceGroupIds: {
  name: 'sas-rotator-dependents-access-${uniqueString(resourceGroupId, principalId)}'
  scope: resourceGroup(split(resourceGroupId, '/')[2], split(resourceGroupId, '/')[4])
  params: {
    principalId: principalId
    roleDefinitionGuid: roleDefinitionGuid
  }
}]

module resourceAssignments '../core/security/dependent-resource-role-assignment.bicep' = [for resourceId in resourceIds: {
  name: 'sas-rotator-dependents-access-${uniqueString(resourceId, principalId)}'
  scope: resourceGroup(split(resourceId, '/')[2], split(resourceId, '/')[4])
  params: {
    principalId: principalId
    roleDefinitionGuid: roleDefinitionGuid
    resourceId: resourceId
  }
}]

@description('Resource IDs of the role assignments made on subscriptions.')
output subscriptionRoleAssignmentIds string[] = [for (id, i) in subscriptionIds: subscriptionAssignments[i].outputs.resourceId]

@description('Resource IDs of the role assignments made on resource groups.')
output resourceGroupRoleAssignmentIds string[] = [for (id, i) in resourceGroupIds: resourceGroupAssignments[i].outputs.resourceId]

@description('Resource IDs of the role assignments made on API Management services and action groups.')
output resourceRoleAssignmentIds string[] = [for (id, i) in resourceIds: resourceAssignments[i].outputs.resourceId]
