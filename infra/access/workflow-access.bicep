metadata description = 'Grants sas-rotator\'s identity the workflow key role on the resource groups that hold target workflows. Deployed on its own (not by azd), after infra/main.bicep.'

// Kept out of infra/main.bicep on purpose: azd down deletes every resource group that an azd
// deployment put resources in, and these role assignments live in the *target* workflows' resource
// groups (Azure/azure-dev#2916). Deploy with:
//   az deployment sub create --location <region> --template-file infra/access/workflow-access.bicep \
//     --parameters principalId=<ROTATOR_IDENTITY_PRINCIPAL_ID> roleDefinitionGuid=<WORKFLOW_KEY_ROLE_GUID> \
//     workflowResourceGroupIds='["/subscriptions/<sub>/resourceGroups/<rg>"]'
targetScope = 'subscription'

@description('Required. Principal ID of sas-rotator\'s user-assigned identity (output ROTATOR_IDENTITY_PRINCIPAL_ID of infra/main.bicep).')
param principalId string

@description('Required. GUID of the workflow key role (output WORKFLOW_KEY_ROLE_GUID of infra/main.bicep).')
param roleDefinitionGuid string

@description('Required. Resource IDs of the resource groups that hold target workflows (output WORKFLOW_KEY_ROLE_RESOURCE_GROUP_IDS of infra/main.bicep lists those of the configured targets). Their subscriptions must be among the role\'s assignable scopes.')
param workflowResourceGroupIds string[]

// One module per resource group: a role assignment at another resource group (possibly in another
// subscription) must be deployed at that scope. Lower-cased and de-duplicated: one assignment each.
var resourceGroupIds = union(map(workflowResourceGroupIds, id => toLower(join(take(split(trim(id), '/'), 5), '/'))), [])

module workflowKeyRoleAssignments '../core/security/resource-group-role-assignment.bicep' = [for resourceGroupId in resourceGroupIds: {
  name: 'sas-rotator-workflow-access-${uniqueString(resourceGroupId, principalId)}'
  scope: resourceGroup(split(resourceGroupId, '/')[2], split(resourceGroupId, '/')[4])
  params: {
    principalId: principalId
    roleDefinitionGuid: roleDefinitionGuid
  }
}]

@description('Resource IDs of the role assignments made.')
output roleAssignmentIds string[] = [for (resourceGroupId, i) in resourceGroupIds: workflowKeyRoleAssignments[i].outputs.resourceId]
