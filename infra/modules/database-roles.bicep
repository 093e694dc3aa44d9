// Least privilege in PostgreSQL (docs/deploy-azure.md, "Database roles"): the server's administrator owns the schema and
// is the migrate step's connection; the API connects as a role of its own, which the migrate step creates with the
// password kept here and grants only to add and read events, checkpoints and keys. This module keeps the two secrets
// the migrate step needs, readable by the API's identity alone; resources.bicep runs the step as the API's init
// container, inside the virtual network, so it reaches the server's private address. Nothing here connects to
// PostgreSQL.
param keyVaultName string
param serverFqdn string
param databaseName string
param administratorLogin string
@secure()
param administratorPassword string
@secure()
param appRolePassword string
param streamApiPrincipalId string

module ownerConnection 'key-vault-secret.bicep' = {
  name: 'secret-kavachdb-owner-connection-string'
  params: {
    vaultName: keyVaultName
    name: 'kavachdb-owner-connection-string'
    value: 'Host=${serverFqdn};Port=5432;Database=${databaseName};Username=${administratorLogin};Password=${administratorPassword};SSL Mode=VerifyFull'
    readerPrincipalIds: [ streamApiPrincipalId ]
  }
}

module appPassword 'key-vault-secret.bicep' = {
  name: 'secret-kavachdb-app-password'
  params: { vaultName: keyVaultName, name: 'kavachdb-app-password', value: appRolePassword, readerPrincipalIds: [ streamApiPrincipalId ] }
}

output ownerConnectionVaultEntry string = ownerConnection.outputs.name
output appRoleVaultEntry string = appPassword.outputs.name
