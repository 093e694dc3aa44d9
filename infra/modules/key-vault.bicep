// Key Vault holding every secret the apps get: the token signing key, the checkpoint key, the console's access key, its
// Entra ID client secret, its client secret and its response client's secret, and both connection strings. Access is per
// secret (key-vault-secret.bicep): the API's identity reads what the API needs, the console's identity only the Redis
// connection string, its access key, its Entra ID client secret and its two client secrets.
// Nothing secret is in an app's plain environment or in a deployment output.
param name string
param location string
param tags object
param streamApiPrincipalId string
param consolePrincipalId string

@secure()
param signingKey string
@secure()
param checkpointKey string
@secure()
param consoleAccessKey string
@secure()
param consoleOidcClientSecret string
@secure()
param consoleClientSecret string
@secure()
param consoleResponderClientSecret string
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
    // A deleted secret (the checkpoint key) cannot be purged before its retention ends, not even by the vault's owner.
    enablePurgeProtection: true
  }
}

var streamApiOnly = [ streamApiPrincipalId ]
var bothApps = [ streamApiPrincipalId, consolePrincipalId ]

module signingKeySecret 'key-vault-secret.bicep' = {
  name: 'secret-kavach-signing-key'
  params: { vaultName: vault.name, name: 'kavach-signing-key', value: signingKey, readerPrincipalIds: streamApiOnly }
}

module checkpointKeySecret 'key-vault-secret.bicep' = {
  name: 'secret-kavach-checkpoint-key'
  params: { vaultName: vault.name, name: 'kavach-checkpoint-key', value: checkpointKey, readerPrincipalIds: streamApiOnly }
}

module postgresSecret 'key-vault-secret.bicep' = {
  name: 'secret-kavachdb-connection-string'
  params: { vaultName: vault.name, name: 'kavachdb-connection-string', value: postgresConnectionString, readerPrincipalIds: streamApiOnly }
}

module consoleClientSecretSecret 'key-vault-secret.bicep' = {
  name: 'secret-console-client-secret'
  params: { vaultName: vault.name, name: 'console-client-secret', value: consoleClientSecret, readerPrincipalIds: bothApps }
}

module consoleResponderClientSecretSecret 'key-vault-secret.bicep' = {
  name: 'secret-console-responder-client-secret'
  params: { vaultName: vault.name, name: 'console-responder-client-secret', value: consoleResponderClientSecret, readerPrincipalIds: bothApps }
}

module consoleOidcClientSecretSecret 'key-vault-secret.bicep' = {
  name: 'secret-console-oidc-client-secret'
  params: { vaultName: vault.name, name: 'console-oidc-client-secret', value: consoleOidcClientSecret, readerPrincipalIds: [ consolePrincipalId ] }
}

module consoleAccessKeySecret 'key-vault-secret.bicep' = {
  name: 'secret-console-access-key'
  params: { vaultName: vault.name, name: 'console-access-key', value: consoleAccessKey, readerPrincipalIds: [ consolePrincipalId ] }
}

resource redis 'Microsoft.Cache/redisEnterprise@2025-07-01' existing = {
  name: redisName
}

resource redisDatabase 'Microsoft.Cache/redisEnterprise/databases@2025-07-01' existing = {
  parent: redis
  name: 'default'
}

// What StackExchange.Redis needs for Azure Managed Redis: TLS on the database's port (10000) with its access key.
module redisSecret 'key-vault-secret.bicep' = {
  name: 'secret-redis-connection-string'
  params: {
    vaultName: vault.name
    name: 'redis-connection-string'
    value: '${redis.properties.hostName}:${redisDatabase.properties.port},password=${redisDatabase.listKeys().primaryKey},ssl=True,abortConnect=False'
    readerPrincipalIds: bothApps
  }
}

output name string = vault.name
output uri string = vault.properties.vaultUri
