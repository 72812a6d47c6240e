metadata description = 'The vault that holds the published callback URLs: RBAC authorization, soft delete, purge protection.'

@description('Required. Name of the vault (3-24 letters, digits and hyphens).')
@minLength(3)
@maxLength(24)
param name string

@description('Required. Region of the vault.')
param location string

@description('Optional. Tags of the vault.')
param tags object = {}

@description('Optional. Recover a soft-deleted vault of this name instead of creating one.')
param recoverSoftDeleted bool = false

@minValue(7)
@maxValue(90)
@description('Optional. Days a deleted vault or secret stays recoverable. Cannot be changed after the vault is created.')
param softDeleteRetentionInDays int = 90

@description('Required. Principal ID of the app\'s identity, which gets Key Vault Secrets Officer on the vault.')
param principalId string

// Key Vault Secrets Officer: getSecret for the latest version and setSecret for a new one. Consumers
// get Key Vault Secrets User on their own secret only (docs/security.md), not from this template.
var keyVaultSecretsOfficerRoleId = subscriptionResourceId('Microsoft.Authorization/roleDefinitions', 'b86a8fe4-44ce-4948-aee5-eccb2c155cd7')

resource vault 'Microsoft.KeyVault/vaults@2023-07-01' = {
  name: name
  location: location
  tags: tags
  properties: {
    tenantId: subscription().tenantId
    sku: {
      family: 'A'
      name: 'standard'
    }
    createMode: recoverSoftDeleted ? 'recover' : 'default'
    enableRbacAuthorization: true
    enableSoftDelete: true
    softDeleteRetentionInDays: softDeleteRetentionInDays
    // Purge protection cannot be turned off again: a deleted callback-URL secret can always be
    // recovered during the retention period, by anyone, including after an accidental `azd down`.
    enablePurgeProtection: true
    enabledForDeployment: false
    enabledForDiskEncryption: false
    enabledForTemplateDeployment: false
    publicNetworkAccess: 'Enabled'
    networkAcls: {
      defaultAction: 'Allow'
      bypass: 'AzureServices'
    }
  }
}

resource secretsOfficer 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(vault.id, principalId, keyVaultSecretsOfficerRoleId)
  scope: vault
  properties: {
    principalId: principalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: keyVaultSecretsOfficerRoleId
  }
}

@description('Resource ID of the vault.')
output resourceId string = vault.id

@description('Name of the vault.')
output name string = vault.name

@description('URI of the vault (https://<name>.vault.azure.net/), for KEY_VAULT_URI.')
output uri string = vault.properties.vaultUri
