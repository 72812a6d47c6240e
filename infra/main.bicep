// sas-rotator: the timer function, its identity, storage, Key Vault, monitoring and least-privilege RBAC.
//
// Subscription scope, as azd templates do: the deployment creates its own resource group, and two
// things this template needs live above any one resource group anyway: the custom role definition
// (a subscription-level resource whose assignable scopes cover every target subscription) and the
// list of target workflows' resource groups the role must be assignable in (the assignments
// themselves are infra/access/workflow-access.bicep, kept out of azd's reach). The same holds for
// the second custom role, the dependent update role, and infra/access/dependents-access.bicep.
targetScope = 'subscription'

// ---------------------------------------------------------------------------------------------
// Parameters
// ---------------------------------------------------------------------------------------------

@minLength(1)
@maxLength(64)
@description('Required. Name of the azd environment; used for the resource group name and, hashed, in every resource name.')
param environmentName string

@minLength(1)
@description('Required. Azure region of every resource. It must offer the Flex Consumption plan (az functionapp list-flexconsumption-locations).')
@metadata({
  azd: {
    type: 'location'
  }
})
param location string

@description('Optional. Name of the resource group to create. Default: rg-<environmentName>.')
param resourceGroupName string = ''

@description('Optional. Name of the Key Vault. Default: kv-<token>. The vault has purge protection, so after `azd down` its name stays taken (soft-deleted) for the retention period: pick another name here, or recover it with keyVaultRecoverSoftDeleted.')
@maxLength(24)
param keyVaultName string = ''

@description('Optional. Recover a soft-deleted vault of the same name (createMode recover) instead of creating a new one, which keeps the published callback URLs that consumers read. Only for a redeployment after `azd down`.')
param keyVaultRecoverSoftDeleted bool = false

@description('Optional. The rotation targets (docs/design.md §4.1), set as the ROTATION_TARGETS app setting with string(). Each item: { workflowId, trigger?, secretName?, intervalDays?, adopt? }. The resource group of every workflowId also gets the workflow key role. Empty: the function reports a configuration error on every run until targets are set.')
param rotationTargets rotationTarget[] = []

@description('Optional. More resource groups that get the workflow key role, as resource IDs (/subscriptions/<id>/resourceGroups/<name>), e.g. for workflows you will add to rotationTargets later. The resource groups of the workflows in rotationTargets are always included.')
param targetResourceGroupIds string[] = []

@description('Optional. More scopes that get the dependent update role (docs/security.md), as resource IDs: resource groups (/subscriptions/<id>/resourceGroups/<name>), subscriptions (for event subscriptions on a subscription), API Management services or action groups; e.g. for dependents that discovery finds in workflow tags. The scopes of the dependents in rotationTargets are always included.')
param dependentScopeIds string[] = []

@description('Optional. ROTATION_SCHEDULE: six-field NCRONTAB schedule of the timer, UTC. Keep scheduleIntervalHours in step with it.')
param rotationSchedule string = '0 0 3 * * *'

@minValue(1)
@maxValue(365)
@description('Optional. ROTATION_INTERVAL_DAYS: a target is due when its last rotation is older than this.')
param rotationIntervalDays int = 30

@minValue(1)
@maxValue(64)
@description('Optional. ROTATION_CONCURRENCY: targets rotated at once.')
param rotationConcurrency int = 8

@allowed([
  'inline'
  'fanout'
  'auto'
])
@description('Optional. ROTATION_MODE: inline, fanout (one queue message per target, for large estates) or auto (fan out above 1,000 targets).')
param rotationMode string = 'inline'

@description('Optional. ROTATION_DISCOVERY: comma-separated ARM scopes (/subscriptions/<id> or …/resourceGroups/<rg>) scanned at each run for workflows and Standard sites tagged sas-rotation: enabled. Empty: off. The identity needs read access there (Reader).')
param rotationDiscovery string = ''

@description('Optional. FLOW_API_ENDPOINT: Power Automate Flow API endpoint.')
param flowApiEndpoint string = 'https://api.flow.microsoft.com'

@minValue(1)
@maxValue(24)
@description('Optional. Hours between two scheduled runs of ROTATION_SCHEDULE (24 for the daily default). The "no successful run" alert looks back twice this long.')
param scheduleIntervalHours int = 24

@description('Optional. Resource ID of an existing action group that the alert rules notify. Empty: the alert rules fire without actions (visible in Azure Monitor only).')
param actionGroupResourceId string = ''

@minValue(1)
@maxValue(1000)
@description('Optional. Flex Consumption maximum instance count. A timer function runs on one instance at a time; this only caps scale-out.')
param functionMaximumInstanceCount int = 40

@allowed([
  512
  2048
  4096
])
@description('Optional. Flex Consumption instance memory in MB.')
param functionInstanceMemoryMB int = 2048

@minValue(30)
@maxValue(730)
@description('Optional. Log Analytics retention in days. The workbook\'s "due next" view needs the last rotation of every target, so keep it longer than the longest rotation interval.')
param logRetentionInDays int = 90

@description('Optional. Tags for every resource, merged with azd-env-name.')
param tags object = {}

// ---------------------------------------------------------------------------------------------
// Types
// ---------------------------------------------------------------------------------------------

@description('A rotation target as in ROTATION_TARGETS (docs/design.md §4.1); the function validates it again at run time.')
type rotationTarget = {
  @description('Required. Resource ID of a Consumption workflow: /subscriptions/<id>/resourceGroups/<rg>/providers/Microsoft.Logic/workflows/<name>.')
  workflowId: string

  @description('Optional. Name of its Request trigger. Default: manual.')
  trigger: string?

  @description('Optional. Key Vault secret to publish to. Default: <workflow>-<trigger>-url.')
  secretName: string?

  @description('Optional. Rotation interval of this target in days. Default: ROTATION_INTERVAL_DAYS.')
  intervalDays: int?

  @description('Optional. Take over an existing secret that sas-rotator did not create.')
  adopt: bool?

  @description('Optional. Resource IDs of the callers that keep their own copy of the URL: API Management named values, action groups, Event Grid event subscriptions (src/rotation/Dependent.ts). Their scopes get the dependent update role.')
  dependents: string[]?
}

// ---------------------------------------------------------------------------------------------
// Names
// ---------------------------------------------------------------------------------------------

var abbrs = loadJsonContent('abbreviations.json')
var resourceToken = toLower(uniqueString(subscription().id, environmentName, location))
var allTags = union(tags, { 'azd-env-name': environmentName })
var functionAppName = '${abbrs.webSitesFunctions}rotator-${resourceToken}'
var deploymentContainerName = 'app-package-${take(functionAppName, 32)}-${take(toLower(uniqueString(functionAppName, resourceToken)), 7)}'

// Resource groups that hold target workflows: those of rotationTargets plus the listed ones,
// lower-cased so that one resource group never gets two modules (and two assignments).
var listedResourceGroupIds = map(targetResourceGroupIds, id => toLower(join(take(split(trim(id), '/'), 5), '/')))
var targetWorkflowResourceGroupIds = map(rotationTargets, target => toLower(join(take(split(trim(target.workflowId), '/'), 5), '/')))
var workflowResourceGroupIds = union(listedResourceGroupIds, targetWorkflowResourceGroupIds)

// A custom role is assignable only within its assignable scopes: this subscription, plus every
// other subscription that holds a target resource group.
var targetSubscriptionIds = map(workflowResourceGroupIds, id => '/subscriptions/${split(id, '/')[2]}')
var workflowRoleAssignableScopes = union([subscription().id], targetSubscriptionIds)

// Where the dependent update role is assigned: the listed scopes, plus for each dependent in
// rotationTargets the narrowest scope that also covers the status URLs of its long-running update
// (docs/security.md): an action group itself (not long-running), a named value's API Management
// service (its status URL lies under the service), an event subscription's resource group, or its
// subscription for one on a subscription (Event Grid's status URLs are regional, under the subscription).
var listedDependentScopeIds = map(dependentScopeIds, id => toLower(endsWith(trim(id), '/') ? take(trim(id), length(trim(id)) - 1) : trim(id)))
var targetDependentIds = map(flatten(map(rotationTargets, target => target.?dependents ?? [])), id => toLower(trim(id)))
var targetDependentScopeIds = map(
  targetDependentIds,
  id => join(
    take(
      split(id, '/'),
      contains(id, '/providers/microsoft.eventgrid/eventsubscriptions/')
        ? (split(id, '/')[3] == 'resourcegroups' ? 5 : 3)
        : 9
    ),
    '/'
  )
)
var dependentUpdateRoleScopeIds = union(listedDependentScopeIds, targetDependentScopeIds)
var dependentRoleAssignableScopes = union([subscription().id], map(dependentUpdateRoleScopeIds, id => '/subscriptions/${split(id, '/')[2]}'))

// ---------------------------------------------------------------------------------------------
// Resources
// ---------------------------------------------------------------------------------------------

resource rg 'Microsoft.Resources/resourceGroups@2021-04-01' = {
  name: !empty(resourceGroupName) ? resourceGroupName : '${abbrs.resourcesResourceGroups}${environmentName}'
  location: location
  tags: allTags
}

// The one identity of the app: host storage, deployment, ARM, Key Vault and telemetry all use it.
module identity 'core/identity/user-assigned-identity.bicep' = {
  name: 'identity'
  scope: rg
  params: {
    name: '${abbrs.managedIdentityUserAssignedIdentities}rotator-${resourceToken}'
    location: location
    tags: allTags
  }
}

module storage 'core/storage/storage-account.bicep' = {
  name: 'storage'
  scope: rg
  params: {
    name: '${abbrs.storageStorageAccounts}${resourceToken}'
    location: location
    tags: allTags
    containerNames: [
      deploymentContainerName
      'sas-rotator-leases'
    ]
    principalId: identity.outputs.principalId
  }
}

module keyVault 'core/security/key-vault.bicep' = {
  name: 'key-vault'
  scope: rg
  params: {
    name: !empty(keyVaultName) ? keyVaultName : '${abbrs.keyVaultVaults}${resourceToken}'
    location: location
    tags: allTags
    recoverSoftDeleted: keyVaultRecoverSoftDeleted
    principalId: identity.outputs.principalId
  }
}

module monitoring 'core/monitor/monitoring.bicep' = {
  name: 'monitoring'
  scope: rg
  params: {
    logAnalyticsName: '${abbrs.operationalInsightsWorkspaces}${resourceToken}'
    applicationInsightsName: '${abbrs.insightsComponents}${resourceToken}'
    location: location
    tags: allTags
    retentionInDays: logRetentionInDays
    principalId: identity.outputs.principalId
  }
}

module workflowKeyRole 'core/security/workflow-key-role.bicep' = {
  name: 'workflow-key-role-${resourceToken}'
  params: {
    roleName: 'sas-rotator workflow key operator (${environmentName}, ${resourceToken})'
    assignableScopes: workflowRoleAssignableScopes
  }
}

// The role is granted on the target resource groups by infra/access/workflow-access.bicep, deployed
// separately: role assignments made here would sit in those resource groups, and `azd down`
// deletes every resource group an azd deployment put resources in (Azure/azure-dev#2916).

// Likewise granted by infra/access/dependents-access.bicep, on DEPENDENT_UPDATE_ROLE_SCOPE_IDS.
module dependentUpdateRole 'core/security/dependent-update-role.bicep' = {
  name: 'dependent-update-role-${resourceToken}'
  params: {
    roleName: 'sas-rotator dependent updater (${environmentName}, ${resourceToken})'
    assignableScopes: dependentRoleAssignableScopes
  }
}

module rotator 'app/rotator.bicep' = {
  name: 'rotator'
  scope: rg
  params: {
    name: functionAppName
    planName: '${abbrs.webServerFarms}${resourceToken}'
    location: location
    tags: allTags
    identityResourceId: identity.outputs.resourceId
    identityClientId: identity.outputs.clientId
    storageBlobEndpoint: storage.outputs.primaryBlobEndpoint
    storageQueueEndpoint: storage.outputs.primaryQueueEndpoint
    rotationMode: rotationMode
    deploymentContainerName: deploymentContainerName
    applicationInsightsConnectionString: monitoring.outputs.applicationInsightsConnectionString
    keyVaultUri: keyVault.outputs.uri
    rotationTargetsJson: string(rotationTargets)
    rotationSchedule: rotationSchedule
    rotationIntervalDays: rotationIntervalDays
    rotationConcurrency: rotationConcurrency
    rotationDiscovery: rotationDiscovery
    flowApiEndpoint: flowApiEndpoint
    maximumInstanceCount: functionMaximumInstanceCount
    instanceMemoryMB: functionInstanceMemoryMB
  }
}

module rotationWorkbook 'monitoring/rotation-workbook.bicep' = {
  name: 'rotation-workbook'
  scope: rg
  params: {
    displayName: 'sas-rotator: SAS key rotations (${environmentName})'
    location: location
    tags: allTags
    applicationInsightsResourceId: monitoring.outputs.applicationInsightsResourceId
  }
}

module rotationAlerts 'monitoring/rotation-alerts.bicep' = {
  name: 'rotation-alerts'
  scope: rg
  params: {
    namePrefix: '${abbrs.insightsScheduledQueryRules}sas-rotator-${resourceToken}'
    location: location
    tags: allTags
    applicationInsightsResourceId: monitoring.outputs.applicationInsightsResourceId
    scheduleIntervalHours: scheduleIntervalHours
    actionGroupResourceId: actionGroupResourceId
  }
}

// ---------------------------------------------------------------------------------------------
// Outputs (azd writes them to .azure/<env>/.env; `azd env get-values` feeds the operator CLI)
// ---------------------------------------------------------------------------------------------

@description('Region of the deployment.')
output AZURE_LOCATION string = location

@description('Tenant of the deployment.')
output AZURE_TENANT_ID string = tenant().tenantId

@description('Resource group that holds sas-rotator.')
output AZURE_RESOURCE_GROUP string = rg.name

@description('Name of the function app.')
output AZURE_FUNCTION_APP_NAME string = rotator.outputs.name

@description('Name of the function app, under the azd service-name convention.')
output SERVICE_ROTATOR_NAME string = rotator.outputs.name

@description('The vault that holds the callback URLs (KEY_VAULT_URI of the app and the CLI).')
output KEY_VAULT_URI string = keyVault.outputs.uri

@description('Name of the vault.')
output KEY_VAULT_NAME string = keyVault.outputs.name

@description('Application Insights connection string (a destination, not a credential: local authentication is disabled).')
output APPLICATIONINSIGHTS_CONNECTION_STRING string = monitoring.outputs.applicationInsightsConnectionString

@description('Resource ID of Application Insights.')
output APPLICATIONINSIGHTS_RESOURCE_ID string = monitoring.outputs.applicationInsightsResourceId

@description('Client ID of the app\'s user-assigned identity (its AZURE_CLIENT_ID). Not named AZURE_CLIENT_ID here so that a shell loaded from the azd environment keeps using the operator\'s own identity.')
output ROTATOR_IDENTITY_CLIENT_ID string = identity.outputs.clientId

@description('Principal (object) ID of the app\'s user-assigned identity, for granting it the workflow key role on more resource groups.')
output ROTATOR_IDENTITY_PRINCIPAL_ID string = identity.outputs.principalId

@description('Resource ID of the app\'s user-assigned identity.')
output ROTATOR_IDENTITY_RESOURCE_ID string = identity.outputs.resourceId

@description('Resource ID of the custom workflow key role, for assigning it on more resource groups.')
output WORKFLOW_KEY_ROLE_DEFINITION_ID string = workflowKeyRole.outputs.roleDefinitionId
output WORKFLOW_KEY_ROLE_GUID string = workflowKeyRole.outputs.roleDefinitionGuid

@description('Resource groups on which the identity holds the workflow key role.')
output WORKFLOW_KEY_ROLE_RESOURCE_GROUP_IDS array = workflowResourceGroupIds

@description('Resource ID of the custom dependent update role, for assigning it on more scopes.')
output DEPENDENT_UPDATE_ROLE_DEFINITION_ID string = dependentUpdateRole.outputs.roleDefinitionId

@description('GUID of the dependent update role (the roleDefinitionGuid of infra/access/dependents-access.bicep).')
output DEPENDENT_UPDATE_ROLE_GUID string = dependentUpdateRole.outputs.roleDefinitionGuid

@description('Scopes on which the identity should hold the dependent update role (the dependentScopeIds of infra/access/dependents-access.bicep).')
output DEPENDENT_UPDATE_ROLE_SCOPE_IDS array = dependentUpdateRoleScopeIds

@description('Name of the function app\'s storage account (host storage; lease container sas-rotator-leases).')
output AZURE_STORAGE_ACCOUNT_NAME string = storage.outputs.name

@description('Blob endpoint of that account under the name the CLI reads, so that a CLI run from the azd environment takes the same per-target leases as the function (the operator needs Storage Blob Data Contributor on the sas-rotator-leases container).')
output AzureWebJobsStorage__blobServiceUri string = storage.outputs.primaryBlobEndpoint

@description('Resource ID of the rotation workbook.')
output ROTATION_WORKBOOK_ID string = rotationWorkbook.outputs.resourceId

@description('Resource IDs of the alert rules.')
output ROTATION_ALERT_RULE_IDS array = rotationAlerts.outputs.resourceIds
