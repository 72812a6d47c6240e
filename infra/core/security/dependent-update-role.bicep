metadata description = 'The custom role that lets sas-rotator bring the callers that keep their own copy of a callback URL to the new one: API Management named values, Azure Monitor action groups and Event Grid event subscriptions; read and update only, never create anew or delete.'

targetScope = 'subscription'

@description('Required. Display name of the role; unique in the tenant.')
param roleName string

@description('Required. Scopes where the role can be assigned: this subscription and every subscription that holds a dependent.')
param assignableScopes string[]

// The built-in roles grant far more: API Management Service Contributor Microsoft.ApiManagement/service/*,
// Monitoring Contributor */read and Microsoft.Insights/actionGroups/* among others, EventGrid
// EventSubscription Contributor Microsoft.EventGrid/eventSubscriptions/* (delete included). These are
// exactly src/azure/dependentUpdateRoleActions.ts; test/infra/dependentUpdateRole.test.ts checks them
// against Microsoft's published operations list (test/infra/resource-provider-operations.excerpt.md) and
// against the requests the dependent adapters send. No wildcard: every action is published.
resource dependentUpdateRole 'Microsoft.Authorization/roleDefinitions@2022-04-01' = {
  name: guid(subscription().id, roleName)
  properties: {
    roleName: roleName
    description: 'sas-rotator: read and update the API Management named values, action groups and Event Grid event subscriptions that keep a copy of a Logic Apps callback URL.'
    type: 'CustomRole'
    permissions: [
      {
        actions: [
          // API Management named values: read, read a secret value, update (long-running; its
          // Azure-AsyncOperation status is polled on …/service/{svc}/tenant/operationResults/{id}).
          'Microsoft.ApiManagement/service/namedValues/read'
          'Microsoft.ApiManagement/service/namedValues/listValue/action'
          'Microsoft.ApiManagement/service/namedValues/write'
          'Microsoft.ApiManagement/service/tenant/operationResults/read'
          // Action groups: read, and replace with the new receiver URL (not long-running).
          'Microsoft.Insights/ActionGroups/Read'
          'Microsoft.Insights/ActionGroups/Write'
          // Event subscriptions: read, read the full endpoint URL, update (long-running; polled on the
          // region's operationsStatus and operationResults).
          'Microsoft.EventGrid/eventSubscriptions/read'
          'Microsoft.EventGrid/eventSubscriptions/getFullUrl/action'
          'Microsoft.EventGrid/eventSubscriptions/write'
          'Microsoft.EventGrid/locations/operationsStatus/read'
          'Microsoft.EventGrid/locations/operationResults/read'
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
output roleDefinitionId string = dependentUpdateRole.id

@description('GUID of the role definition; role assignments in any subscription reference it by this name.')
output roleDefinitionGuid string = dependentUpdateRole.name
