metadata description = 'Optional. Grants sas-rotator\'s identity Reader on a management group, for a ROTATION_DISCOVERY management-group scope (Azure Resource Graph discovery). Deployed on its own (not by azd), after infra/main.bicep.'

// Only needed when ROTATION_DISCOVERY names /providers/Microsoft.Management/managementGroups/<id>
// (docs/design.md §4.5, docs/security.md). Resource Graph returns only the resources the caller may
// read: without read access on the group's subscriptions, discovery finds nothing there. Reader
// covers what discovery reads (Microsoft.Logic/workflows/read, Microsoft.Web/sites/read,
// Microsoft.Web/sites/workflows/read); it grants no key operation (the workflow key role does, per
// resource group: infra/access/workflow-access.bicep). Deploy with:
//   az deployment mg create --management-group-id <id> --location <region> \
//     --template-file infra/access/management-group-reader.bicep --parameters principalId=<ROTATOR_IDENTITY_PRINCIPAL_ID>
targetScope = 'managementGroup'

@description('Required. Principal ID of sas-rotator\'s user-assigned identity (output ROTATOR_IDENTITY_PRINCIPAL_ID of infra/main.bicep).')
param principalId string

// Built-in role Reader (Learn, "Azure built-in roles"): acdd72a7-3385-48ef-bd42-f606fba81ae7.
var readerRoleDefinitionId = tenantResourceId('Microsoft.Authorization/roleDefinitions', 'acdd72a7-3385-48ef-bd42-f606fba81ae7')

resource readerAssignment 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(managementGroup().id, principalId, readerRoleDefinitionId)
  properties: {
    principalId: principalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: readerRoleDefinitionId
  }
}

@description('Resource ID of the role assignment.')
output roleAssignmentId string = readerAssignment.id
