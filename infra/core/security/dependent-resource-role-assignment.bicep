metadata description = 'Assigns a role to a service principal on one API Management service or one action group in the resource group this module is deployed to.'

targetScope = 'resourceGroup'

@description('Required. Principal ID of the service principal (here: the app\'s user-assigned identity).')
param principalId string

@description('Required. GUID of the role definition (a custom role assignable in this subscription).')
param roleDefinitionGuid string

@description('Required. Resource ID of an API Management service (/subscriptions/<id>/resourceGroups/<rg>/providers/Microsoft.ApiManagement/service/<name>) or an action group (…/providers/Microsoft.Insights/actionGroups/<name>) in this resource group.')
param resourceId string

var roleDefinitionId = subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roleDefinitionGuid)
var segments = split(resourceId, '/')
var isApimService = toLower('${segments[6]}/${segments[7]}') == 'microsoft.apimanagement/service'

// A role assignment's scope must be a resource of a known type, so each supported type has its own
// pair. Not a named value or an event subscription: the status of their long-running updates is
// polled on URLs outside them (docs/security.md), which a resource-level assignment does not reach.
resource apimService 'Microsoft.ApiManagement/service@2024-05-01' existing = if (isApimService) {
  name: segments[8]
}

resource actionGroup 'Microsoft.Insights/actionGroups@2023-01-01' existing = if (!isApimService) {
  name: segments[8]
}

resource apimServiceAssignment 'Microsoft.Authorization/roleAssignments@2022-04-01' = if (isApimService) {
  scope: apimService
  name: guid(apimService.id, principalId, roleDefinitionId)
  properties: {
    principalId: principalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: roleDefinitionId
  }
}

resource actionGroupAssignment 'Microsoft.Authorization/roleAssignments@2022-04-01' = if (!isApimService) {
  scope: actionGroup
  name: guid(actionGroup.id, principalId, roleDefinitionId)
  properties: {
    principalId: principalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: roleDefinitionId
  }
}

@description('Resource ID of the role assignment.')
output resourceId string = isApimService ? apimServiceAssignment.id : actionGroupAssignment.id
