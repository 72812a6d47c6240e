metadata description = 'Assigns a role to a service principal on the subscription this module is deployed to.'

targetScope = 'subscription'

@description('Required. Principal ID of the service principal (here: the app\'s user-assigned identity).')
param principalId string

@description('Required. GUID of the role definition (a built-in role or a custom role assignable here).')
param roleDefinitionGuid string

var roleDefinitionId = subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roleDefinitionGuid)

resource roleAssignment 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(subscription().id, principalId, roleDefinitionId)
  properties: {
    principalId: principalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: roleDefinitionId
  }
}

@description('Resource ID of the role assignment.')
output resourceId string = roleAssignment.id
