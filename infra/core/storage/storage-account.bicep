metadata description = 'The function app\'s storage account: host storage, deployment packages and the per-target leases, reached only with Entra ID (shared keys disabled).'

@description('Required. Name of the storage account (3-24 lowercase letters and digits).')
@minLength(3)
@maxLength(24)
param name string

@description('Required. Region of the storage account.')
param location string

@description('Optional. Tags of the storage account.')
param tags object = {}

@description('Optional. Blob containers to create (the Flex Consumption deployment container, the lease container).')
param containerNames string[] = []

@description('Required. Principal ID of the app\'s identity, which gets Storage Blob Data Owner on the account.')
param principalId string

// Storage Blob Data Owner: what the Functions host needs for identity-based AzureWebJobsStorage
// (timer schedule monitor and locks, host keys) and what Flex Consumption needs to read its package.
// Storage Queue Data Contributor: the fan-out queue (ROTATION_MODE fanout/auto) that the timer
// writes and the queue-triggered function reads. No table role: no Durable Functions.
var storageBlobDataOwnerRoleId = subscriptionResourceId('Microsoft.Authorization/roleDefinitions', 'b7e6dc6d-f1e8-4753-8033-0f276bb0955b')
var storageQueueDataContributorRoleId = subscriptionResourceId('Microsoft.Authorization/roleDefinitions', '974c5e8b-45b9-4653-ba55-5f855dd0fb88')

resource storageAccount 'Microsoft.Storage/storageAccounts@2023-05-01' = {
  name: name
  location: location
  tags: tags
  kind: 'StorageV2'
  sku: {
    name: 'Standard_LRS'
  }
  properties: {
    accessTier: 'Hot'
    allowBlobPublicAccess: false
    // No account keys, no account or service SAS: every client, the Functions host included,
    // authenticates with Entra ID.
    allowSharedKeyAccess: false
    defaultToOAuthAuthentication: true
    allowCrossTenantReplication: false
    minimumTlsVersion: 'TLS1_2'
    supportsHttpsTrafficOnly: true
    publicNetworkAccess: 'Enabled'
    networkAcls: {
      defaultAction: 'Allow'
      bypass: 'AzureServices'
    }
  }
}

resource blobService 'Microsoft.Storage/storageAccounts/blobServices@2023-05-01' = {
  parent: storageAccount
  name: 'default'
}

resource containers 'Microsoft.Storage/storageAccounts/blobServices/containers@2023-05-01' = [for containerName in containerNames: {
  parent: blobService
  name: containerName
  properties: {
    publicAccess: 'None'
  }
}]

resource blobDataOwner 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(storageAccount.id, principalId, storageBlobDataOwnerRoleId)
  scope: storageAccount
  properties: {
    principalId: principalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: storageBlobDataOwnerRoleId
  }
}

resource queueDataContributor 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(storageAccount.id, principalId, storageQueueDataContributorRoleId)
  scope: storageAccount
  properties: {
    principalId: principalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: storageQueueDataContributorRoleId
  }
}

@description('Resource ID of the storage account.')
output resourceId string = storageAccount.id

@description('Name of the storage account.')
output name string = storageAccount.name

@description('Blob endpoint (https://<account>.blob.<suffix>/), for AzureWebJobsStorage__blobServiceUri and the deployment container.')
output primaryBlobEndpoint string = storageAccount.properties.primaryEndpoints.blob

@description('Queue endpoint of the account (the fan-out queue).')
output primaryQueueEndpoint string = storageAccount.properties.primaryEndpoints.queue
