// One Key Vault secret and who may read it: Key Vault Secrets User on this secret alone, for each reader. An app
// reaches only the secrets it is listed on, never the whole vault.
param vaultName string
param name string
@secure()
param value string
@description('Principal ids of the identities that read this secret.')
param readerPrincipalIds string[]

resource vault 'Microsoft.KeyVault/vaults@2023-07-01' existing = {
  name: vaultName
}

resource secret 'Microsoft.KeyVault/vaults/secrets@2023-07-01' = {
  parent: vault
  name: name
  properties: { value: value }
}

var secretsUserRoleId = '4633458b-17de-408a-b874-0445c86b69e6'

resource readers 'Microsoft.Authorization/roleAssignments@2022-04-01' = [for principalId in readerPrincipalIds: {
  scope: secret
  name: guid(secret.id, principalId, secretsUserRoleId)
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', secretsUserRoleId)
    principalId: principalId
    principalType: 'ServicePrincipal'
  }
}]

output name string = secret.name
