// Kavach on Azure Container Apps: `azd up` provisions this, then builds and deploys the two services of azure.yaml.
// One resource group holds Log Analytics with Application Insights, a virtual network, the Container Apps environment
// in it (with the Aspire dashboard), the registry and one identity per app, PostgreSQL Flexible Server (private access),
// Azure Managed Redis (private endpoint), Key Vault (access per secret), the checkpoint witness (Blob Storage under a
// WORM policy) and the two container apps.
targetScope = 'subscription'

@minLength(1)
@maxLength(64)
@description('azd environment name; names the resource group and, hashed, every resource.')
param environmentName string

@minLength(1)
@description('Azure region for every resource.')
param location string

@description('Token signing key of the stream API (HS256, at least 32 bytes). Rotating it ends every token it signed.')
@secure()
@minLength(32)
param kavachSigningKey string

@description('ECDSA P-256 private key (PEM), base64-encoded on one line, that signs the event log\'s checkpoints (docs/integrity.md). Auditors verify with its public key. Base64 because azd writes values into main.parameters.json as they are, and a PEM\'s line breaks would break the JSON.')
@secure()
@minLength(100)
param kavachCheckpointKeyBase64 string

@description('How people sign in to the console: Oidc (Entra ID, the three consoleOidc* parameters) or, as an explicit fallback, AccessKey (consoleAccessKey).')
@allowed([ 'Oidc', 'AccessKey' ])
param consoleAuthMode string = 'Oidc'

@description('Entra ID authority the console signs people in with, e.g. https://login.microsoftonline.com/<tenant id>/v2.0.')
param consoleOidcAuthority string

@description('Client (application) id of the console\'s Entra ID app registration (app roles viewer, responder, admin; redirect URI https://<console>/signin-oidc).')
param consoleOidcClientId string

@description('Client secret of that app registration.')
@secure()
@minLength(16)
param consoleOidcClientSecret string

@description('The shared key of the access-key fallback (consoleAuthMode AccessKey); unused with Oidc.')
@secure()
@minLength(16)
param consoleAccessKey string

@description('The console\'s service client secret: it asks the API for its own short-lived read token with it.')
@secure()
@minLength(32)
param consoleClientSecret string

// The console's response credential (client kavach-console-responder, scope events:revoke only).
@secure()
@minLength(32)
param consoleResponderClientSecret string

param postgresAdministratorLogin string = 'kavachadmin'
@description('Administrator password of the new Flexible Server (Azure asks for 3 of: upper case, lower case, digits, symbols; no \';\', it ends up in a connection string). Unused with an existing PostgreSQL.')
@secure()
param postgresAdministratorPassword string = ''
@description('Password of the API\'s own PostgreSQL role (kavach_app), which the migrate step creates and grants only to add and read events: at least 16 printable characters, no \';\'. Unused with an existing PostgreSQL.')
@secure()
param postgresAppPassword string = ''
@description('An existing PostgreSQL instead of a new Flexible Server: its Npgsql connection string, database included (SSL Mode=VerifyFull).')
@secure()
param existingPostgresConnectionString string = ''

@allowed([ 'Disabled', 'ZoneRedundant', 'SameZone' ])
param postgresHighAvailability string = 'Disabled'
param postgresSkuName string = 'Standard_B2s'
@allowed([ 'Burstable', 'GeneralPurpose', 'MemoryOptimized' ])
param postgresSkuTier string = 'Burstable'
@minValue(7)
@maxValue(35)
param postgresBackupRetentionDays int = 7

@description('Azure Managed Redis SKU (Balanced_B0 is the smallest).')
param redisSkuName string = 'Balanced_B0'
@description('A Redis replica in another zone (what Redis holds is rebuilt from PostgreSQL, so off by default).')
param redisHighAvailability bool = false

@description('API replicas never fewer (2: a replica\'s restart hands its streams to the other).')
@minValue(2)
param streamApiMinReplicas int = 2
@description('Each replica holds up to 22 PostgreSQL connections: keep max × 22 under the server\'s max_connections.')
param streamApiMaxReplicas int = 10
@description('Streams one API replica holds before it answers 503 (Kavach:Stream:MaxConnections). 16,000: under the 19,370 idle streams one replica held in the benchmarks\' W3, at about 22 KiB each with the kernel\'s socket (docs/deploy-azure.md, "Scaling").')
@minValue(1)
param streamApiMaxConnections int = 16000
@description('Average CPU use (% of each replica\'s 0.5 vCPU) above which another replica is added: busy streams.')
@minValue(1)
@maxValue(100)
param streamApiScaleCpuPercent int = 70
@description('Average memory use (% of each replica\'s 1 GiB) above which another replica is added: many idle streams. 40 % is reached near 12,000 streams, before the 16,000 a replica holds.')
@minValue(1)
@maxValue(100)
param streamApiScaleMemoryPercent int = 40

@description('Images azd built and pushed (empty on the first provision).')
param streamApiImage string = ''
param consoleImage string = ''

@description('Every quiet stream gets a heartbeat this often; at most half the ingress idle timeout (240 s).')
param heartbeatInterval string = '00:00:30'

@description('Days every checkpoint stays immutable in the witness (Blob Storage, version-level WORM); at least the event retention (7 days).')
@minValue(7)
param witnessImmutabilityDays int = 90

var tags = { 'azd-env-name': environmentName }
var token = toLower(uniqueString(subscription().id, environmentName, location))

resource resourceGroup 'Microsoft.Resources/resourceGroups@2024-03-01' = {
  name: 'rg-${environmentName}'
  location: location
  tags: tags
}

module resources 'resources.bicep' = {
  scope: resourceGroup
  name: 'kavach-resources'
  params: {
    location: location
    tags: tags
    token: token
    kavachSigningKey: kavachSigningKey
    kavachCheckpointKey: base64ToString(kavachCheckpointKeyBase64)
    consoleAuthMode: consoleAuthMode
    consoleOidcAuthority: consoleOidcAuthority
    consoleOidcClientId: consoleOidcClientId
    consoleOidcClientSecret: consoleOidcClientSecret
    consoleAccessKey: consoleAccessKey
    consoleClientSecret: consoleClientSecret
    consoleResponderClientSecret: consoleResponderClientSecret
    postgresAdministratorLogin: postgresAdministratorLogin
    postgresAdministratorPassword: postgresAdministratorPassword
    postgresAppPassword: postgresAppPassword
    existingPostgresConnectionString: existingPostgresConnectionString
    postgresHighAvailability: postgresHighAvailability
    postgresSkuName: postgresSkuName
    postgresSkuTier: postgresSkuTier
    postgresBackupRetentionDays: postgresBackupRetentionDays
    redisSkuName: redisSkuName
    redisHighAvailability: redisHighAvailability
    streamApiMinReplicas: streamApiMinReplicas
    streamApiMaxReplicas: streamApiMaxReplicas
    streamApiMaxConnections: streamApiMaxConnections
    streamApiScaleCpuPercent: streamApiScaleCpuPercent
    streamApiScaleMemoryPercent: streamApiScaleMemoryPercent
    streamApiImage: streamApiImage
    consoleImage: consoleImage
    heartbeatInterval: heartbeatInterval
    witnessImmutabilityDays: witnessImmutabilityDays
  }
}

// azd reads these (names as azd expects them).
output AZURE_LOCATION string = location
output AZURE_RESOURCE_GROUP string = resourceGroup.name
output AZURE_CONTAINER_REGISTRY_ENDPOINT string = resources.outputs.registryLoginServer
output AZURE_CONTAINER_APPS_ENVIRONMENT_ID string = resources.outputs.environmentId
output AZURE_KEY_VAULT_NAME string = resources.outputs.keyVaultName
output STREAMAPI_URL string = 'https://${resources.outputs.streamApiFqdn}'
output CONSOLE_URL string = 'https://${resources.outputs.consoleFqdn}'
