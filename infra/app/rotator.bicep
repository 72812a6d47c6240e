metadata description = 'The sas-rotator function app on a Flex Consumption plan (Linux, Node 22), running as one user-assigned identity, with every app setting of docs/design.md §4.2.'

@description('Required. Name of the function app.')
param name string

@description('Required. Name of the Flex Consumption plan.')
param planName string

@description('Required. Region of the plan and the app.')
param location string

@description('Optional. Tags of the plan and the app (the app also gets azd-service-name).')
param tags object = {}

@description('Required. Resource ID of the user-assigned identity the app runs as.')
param identityResourceId string

@description('Required. Client ID of that identity.')
param identityClientId string

@description('Required. Blob endpoint of the app\'s storage account (https://<account>.blob.<suffix>/).')
param storageBlobEndpoint string

@description('Required. Blob container for the Flex Consumption deployment package.')
param deploymentContainerName string

@description('Required. Application Insights connection string.')
param applicationInsightsConnectionString string

@description('Required. URI of the vault that holds the callback URLs.')
param keyVaultUri string

@description('Required. ROTATION_TARGETS: the targets as a JSON array (string() of the rotationTargets parameter).')
param rotationTargetsJson string

@description('Optional. ROTATION_SCHEDULE: six-field NCRONTAB schedule of the timer.')
param rotationSchedule string = '0 0 3 * * *'

@minValue(1)
@maxValue(365)
@description('Optional. ROTATION_INTERVAL_DAYS.')
param rotationIntervalDays int = 30

@minValue(1)
@maxValue(64)
@description('Optional. ROTATION_CONCURRENCY.')
param rotationConcurrency int = 8

@allowed([
  'inline'
  'fanout'
  'auto'
])
@description('Optional. ROTATION_MODE: inline (the timer rotates every target), fanout (one queue message per target) or auto (fan out above 1,000 targets).')
param rotationMode string = 'inline'

@description('Required. Queue endpoint of the host storage account, e.g. https://<account>.queue.core.windows.net/ (the fan-out queue).')
param storageQueueEndpoint string

@description('Optional. ROTATION_DISCOVERY. Empty: off.')
param rotationDiscovery string = ''

@description('Optional. FLOW_API_ENDPOINT.')
param flowApiEndpoint string = 'https://api.flow.microsoft.com'

@minValue(1)
@maxValue(1000)
@description('Optional. Flex Consumption maximum instance count.')
param maximumInstanceCount int = 40

@allowed([
  512
  2048
  4096
])
@description('Optional. Flex Consumption instance memory in MB.')
param instanceMemoryMB int = 2048

// docs/design.md §4.2 names the public-cloud default without a trailing slash; environment() has one.
// take(), not substring(): substring's length argument must be >= 0 and the compiler cannot tell
// that endsWith() guarantees a non-empty string (BCP329); take() accepts any count.
var armEndpointWithSlash = environment().resourceManager
var resourceManagerEndpoint = endsWith(armEndpointWithSlash, '/') ? take(armEndpointWithSlash, length(armEndpointWithSlash) - 1) : armEndpointWithSlash

// Every app setting of the function app, in one place (a test compares these names with
// settingNames in src/composition/config.ts). Flex Consumption takes the runtime and the package location from
// functionAppConfig, so FUNCTIONS_WORKER_RUNTIME, FUNCTIONS_EXTENSION_VERSION and
// WEBSITE_RUN_FROM_PACKAGE are deliberately absent.
var appSettings = [
  // Host storage through the identity: no connection string, no account key. Blobs for the timer's
  // schedule monitor and locks, host keys and the leases; the queue for fan-out mode.
  {
    name: 'AzureWebJobsStorage__blobServiceUri'
    value: storageBlobEndpoint
  }
  {
    name: 'AzureWebJobsStorage__queueServiceUri'
    value: storageQueueEndpoint
  }
  {
    name: 'AzureWebJobsStorage__credential'
    value: 'managedidentity'
  }
  {
    name: 'AzureWebJobsStorage__clientId'
    value: identityClientId
  }
  // Application Insights accepts only Entra ID tokens (local authentication disabled): the host
  // and the rotation telemetry authenticate as the identity.
  {
    name: 'APPLICATIONINSIGHTS_CONNECTION_STRING'
    value: applicationInsightsConnectionString
  }
  {
    name: 'APPLICATIONINSIGHTS_AUTHENTICATION_STRING'
    value: 'Authorization=AAD;ClientId=${identityClientId}'
  }
  // @azure/identity: straight to the managed identity, never environment secrets or a developer login.
  {
    name: 'AZURE_CLIENT_ID'
    value: identityClientId
  }
  {
    name: 'AZURE_TOKEN_CREDENTIALS'
    value: 'ManagedIdentityCredential'
  }
  // sas-rotator (docs/design.md §4.2).
  {
    name: 'ROTATION_SCHEDULE'
    value: rotationSchedule
  }
  {
    name: 'ROTATION_TARGETS'
    value: rotationTargetsJson
  }
  {
    name: 'ROTATION_DISCOVERY'
    value: rotationDiscovery
  }
  {
    name: 'ROTATION_INTERVAL_DAYS'
    value: string(rotationIntervalDays)
  }
  {
    name: 'ROTATION_MODE'
    value: rotationMode
  }
  {
    name: 'ROTATION_CONCURRENCY'
    value: string(rotationConcurrency)
  }
  {
    name: 'KEY_VAULT_URI'
    value: keyVaultUri
  }
  {
    name: 'AZURE_RESOURCE_MANAGER_ENDPOINT'
    value: resourceManagerEndpoint
  }
  {
    name: 'FLOW_API_ENDPOINT'
    value: flowApiEndpoint
  }
]

resource plan 'Microsoft.Web/serverfarms@2024-04-01' = {
  name: planName
  location: location
  tags: tags
  kind: 'functionapp'
  sku: {
    name: 'FC1'
    tier: 'FlexConsumption'
  }
  properties: {
    // Linux.
    reserved: true
  }
}

resource functionApp 'Microsoft.Web/sites@2024-04-01' = {
  name: name
  location: location
  // azd deploys the `rotator` service of azure.yaml to the app carrying this tag.
  tags: union(tags, { 'azd-service-name': 'rotator' })
  kind: 'functionapp,linux'
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: {
      '${identityResourceId}': {}
    }
  }
  properties: {
    serverFarmId: plan.id
    httpsOnly: true
    siteConfig: {
      minTlsVersion: '1.2'
      appSettings: appSettings
    }
    functionAppConfig: {
      deployment: {
        storage: {
          type: 'blobContainer'
          value: '${storageBlobEndpoint}${deploymentContainerName}'
          authentication: {
            type: 'UserAssignedIdentity'
            userAssignedIdentityResourceId: identityResourceId
          }
        }
      }
      scaleAndConcurrency: {
        maximumInstanceCount: maximumInstanceCount
        instanceMemoryMB: instanceMemoryMB
      }
      runtime: {
        name: 'node'
        version: '22'
      }
    }
  }
}

@description('Name of the function app.')
output name string = functionApp.name

@description('Resource ID of the function app.')
output resourceId string = functionApp.id

@description('Default host name of the function app.')
output defaultHostName string = functionApp.properties.defaultHostName
