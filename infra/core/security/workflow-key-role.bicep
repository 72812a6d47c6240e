metadata description = 'The custom role that lets sas-rotator find Logic Apps workflows (Consumption and Standard), regenerate their access keys and list their triggers\' callback URLs, and nothing else.'

targetScope = 'subscription'

@description('Required. Display name of the role; unique in the tenant.')
param roleName string

@description('Required. Scopes where the role can be assigned: this subscription and every subscription that holds a target resource group.')
param assignableScopes string[]

// The built-in roles grant too little (Logic App Operator cannot regenerateAccessKey) or far more
// (Logic App Contributor: Microsoft.Logic/*; Logic Apps Standard Operator: microsoft.web/sites/hostruntime/*,
// which includes the function host's master key). These are exactly src/azure/logicApps/workflowKeyRoleActions.ts;
// test/infra/workflowKeyRole.test.ts checks them against Microsoft's published operations list
// (test/infra/resource-provider-operations.excerpt.md) and against the requests the code sends.
resource workflowKeyRole 'Microsoft.Authorization/roleDefinitions@2022-04-01' = {
  name: guid(subscription().id, roleName)
  properties: {
    roleName: roleName
    description: 'sas-rotator: list Logic Apps workflows (Consumption and Standard), regenerate their access keys and list their triggers\' callback URLs.'
    type: 'CustomRole'
    permissions: [
      {
        actions: [
          // Consumption: discovery lists workflows; rotation regenerates a key and lists the trigger's URL.
          'Microsoft.Logic/workflows/read'
          'Microsoft.Logic/workflows/regenerateAccessKey/action'
          'Microsoft.Logic/workflows/triggers/listCallbackUrl/action'
          // Standard: discovery lists sites and their workflows; rotation lists the trigger's URL.
          'Microsoft.Web/sites/read'
          'Microsoft.Web/sites/workflows/read'
          'Microsoft.Web/sites/hostruntime/webhooks/api/workflows/triggers/listCallbackUrl/action'
          // Standard regenerateAccessKey has no published action (docs/security.md): this wildcard
          // covers it, and of the published actions only triggers/listCallbackUrl and triggers/run.
          'Microsoft.Web/sites/hostruntime/webhooks/api/workflows/*/action'
        ]
        notActions: [
          // Taken back from the wildcard: the identity must never run a workflow.
          'Microsoft.Web/sites/hostruntime/webhooks/api/workflows/triggers/run/action'
        ]
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
