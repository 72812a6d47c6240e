metadata description = 'The custom role that lets sas-rotator regenerate a Consumption workflow\'s access keys and list its callback URLs, and nothing else.'

targetScope = 'subscription'

@description('Required. Display name of the role; unique in the tenant.')
param roleName string

@description('Required. Scopes where the role can be assigned: this subscription and every subscription that holds a target resource group.')
param assignableScopes string[]

// The built-in Logic App Operator role cannot regenerateAccessKey, and Logic App Contributor grants
// far more (Microsoft.Logic/*). These are exactly src/providers/consumptionWorkflowActions.ts; a
// test compares the two lists.
resource workflowKeyRole 'Microsoft.Authorization/roleDefinitions@2022-04-01' = {
  name: guid(subscription().id, roleName)
  properties: {
    roleName: roleName
    description: 'sas-rotator: read Consumption Logic Apps workflows and their triggers, regenerate their access keys and list their callback URLs.'
    type: 'CustomRole'
    permissions: [
      {
        actions: [
          'Microsoft.Logic/workflows/read'
          'Microsoft.Logic/workflows/triggers/read'
          'Microsoft.Logic/workflows/versions/read'
          'Microsoft.Logic/workflows/regenerateAccessKey/action'
          'Microsoft.Logic/workflows/listCallbackUrl/action'
          'Microsoft.Logic/workflows/triggers/listCallbackUrl/action'
          'Microsoft.Logic/workflows/versions/triggers/listCallbackUrl/action'
        ]
        notActions: []
        dataActions: []
        notDataActions: []
      }
    ]
    assignableScopes: assignableScopes
  }
}

@description('Resource ID of the role definition in this subscription.')
output roleDefinitionId string = workflowKeyRole.id

@description('GUID of the role definition; role assignments in any subscription reference it by this name.')
output roleDefinitionGuid string = workflowKeyRole.name
