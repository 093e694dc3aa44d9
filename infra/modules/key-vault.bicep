// Key Vault holding every secret the apps get: the token signing key, the console's access key and client secret,
// and both connection strings. The apps' identity reads them (Key Vault Secrets User); nothing secret is in an
// app's plain environment or in a deployment output.
param name string
param location string
param tags object
param readerPrincipalId string

@secure()
param signingKey string
@secure()
param checkpointKey string
@secure()
param consoleAccessKey string
@secure()
param consoleClientSecret string
@secure()
param postgresConnectionString string
param redisName string

resource vault 'Microsoft.KeyVault/vaults@2023-07-01' = {
  name: name
  location: location
  tags: tags
  properties: {
    tenantId: subscription().tenantId
    sku: { family: 'A', name: 'standard' }
    enableRbacAuthorization: true
    enableSoftDelete: true
    softDeleteRetentionInDays: 7
  }
}

var secretsUserRoleId = '4633458b-17de-408a-b874-0445c86b69e6'

resource secretsUser 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  scope: vault
  name: guid(vault.id, readerPrincipalId, secretsUserRoleId)
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', secretsUserRoleId)
    principalId: readerPrincipalId
    principalType: 'ServicePrincipal'
  }
}

resource redis 'Microsoft.Cache/redis@2024-03-01' existing = {
  name: redisName
}

var secrets = [
  { name: 'kavach-signing-key', value: signingKey }
  { name: 'kavach-checkpoint-key', value: checkpointKey }
  { name: 'console-access-key', value: consoleAccessKey }
  { name: 'console-client-secret', value: consoleClientSecret }
  { name: 'kavachdb-connection-string', value: postgresConnectionString }
]

resource staticSecrets 'Microsoft.KeyVault/vaults/secrets@2023-07-01' = [for secret in secrets: {
  parent: vault
  name: secret.name
  properties: { value: secret.value }
}]

output name string = vault.name
output uri string = vault.properties.vaultUri

// Written apart from the others: its value is known only once the cache exists.
resource redisSecret 'Microsoft.KeyVault/vaults/secrets@2023-07-01' = {
  parent: vault
  name: 'redis-connection-string'
  properties: {
    value: '${redis.properties.hostName}:${redis.properties.sslPort},password=${redis.listKeys().primaryKey},ssl=True,abortConnect=False'
  }
}
