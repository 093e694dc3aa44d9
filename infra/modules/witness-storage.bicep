// The checkpoint witness (docs/integrity.md, "The witness"): a Blob Storage container where the API writes every signed
// checkpoint once, as a blob of its own, outside PostgreSQL. Version-level immutability (WORM) keeps every version for
// the retention period whatever anyone with the account's keys or the database's credentials does: a rewritten blob
// becomes a new version beside the old one, and no version can be deleted before its time. The API's identity may
// write blobs (Storage Blob Data Contributor on this container only); the account has no shared keys and no public access.
param name string
param location string
param tags object
@description('The principal (the apps\' managed identity) that writes checkpoints.')
param writerPrincipalId string
@description('Days every checkpoint version is kept immutable; at least the event retention (7 days).')
@minValue(1)
param immutabilityDays int
param containerName string = 'kavach-witness'

resource account 'Microsoft.Storage/storageAccounts@2023-05-01' = {
  name: name
  location: location
  tags: tags
  sku: { name: 'Standard_ZRS' }
  kind: 'StorageV2'
  properties: {
    accessTier: 'Hot'
    allowBlobPublicAccess: false
    allowSharedKeyAccess: false
    defaultToOAuthAuthentication: true
    minimumTlsVersion: 'TLS1_2'
    supportsHttpsTrafficOnly: true
    publicNetworkAccess: 'Enabled'
    // Version-level WORM needs the account to allow it from creation.
    immutableStorageWithVersioning: { enabled: true }
  }
}

resource blobs 'Microsoft.Storage/storageAccounts/blobServices@2023-05-01' = {
  parent: account
  name: 'default'
  properties: {
    isVersioningEnabled: true
  }
}

resource container 'Microsoft.Storage/storageAccounts/blobServices/containers@2023-05-01' = {
  parent: blobs
  name: containerName
  properties: {
    publicAccess: 'None'
    immutableStorageWithVersioning: { enabled: true }
  }
}

// The default policy every version gets. Unlocked as provisioned, so a mistaken period can still be shortened; lock it
// once it is right (docs/deploy-azure.md, "The witness"): then nobody, the account's owner included, can shorten it.
resource policy 'Microsoft.Storage/storageAccounts/blobServices/containers/immutabilityPolicies@2023-05-01' = {
  parent: container
  name: 'default'
  properties: {
    immutabilityPeriodSinceCreationInDays: immutabilityDays
    allowProtectedAppendWrites: false
  }
}

var blobDataContributorRoleId = 'ba92f5b4-2d11-453d-a403-e96b0029c9fe'

resource writer 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  scope: container
  name: guid(container.id, writerPrincipalId, blobDataContributorRoleId)
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', blobDataContributorRoleId)
    principalId: writerPrincipalId
    principalType: 'ServicePrincipal'
  }
}

output blobEndpoint string = account.properties.primaryEndpoints.blob
output containerName string = container.name
