// Least privilege in PostgreSQL (docs/deploy-azure.md, "Database roles"): the server's administrator owns the schema and
// is the migrate step's connection; the API connects as a role of its own, which the migrate step creates with the
// password kept here and grants only to add and read events, checkpoints and keys. This module keeps the two secrets
// the migrate step needs; resources.bicep runs the step as the API's init container.
param keyVaultName string
param serverFqdn string
param databaseName string
param administratorLogin string
@secure()
param administratorPassword string
@secure()
param appRolePassword string

resource vault 'Microsoft.KeyVault/vaults@2023-07-01' existing = {
  name: keyVaultName
}

resource ownerConnection 'Microsoft.KeyVault/vaults/secrets@2023-07-01' = {
  parent: vault
  name: 'kavachdb-owner-connection-string'
  properties: {
    value: 'Host=${serverFqdn};Port=5432;Database=${databaseName};Username=${administratorLogin};Password=${administratorPassword};SSL Mode=VerifyFull'
  }
}

resource appPassword 'Microsoft.KeyVault/vaults/secrets@2023-07-01' = {
  parent: vault
  name: 'kavachdb-app-password'
  properties: { value: appRolePassword }
}

output ownerConnectionVaultEntry string = ownerConnection.name
output appRoleVaultEntry string = appPassword.name
