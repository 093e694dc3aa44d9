// Everything in the resource group, and the wiring between it: which setting of which app comes from where.
// The apps' settings are the keys of docs/configuration.md as environment variables.
param location string
param tags object
param token string

@secure()
param kavachSigningKey string
@secure()
param kavachCheckpointKey string
param consoleAuthMode string
param consoleOidcAuthority string
param consoleOidcClientId string
@secure()
param consoleOidcClientSecret string
@secure()
param consoleAccessKey string
@secure()
param consoleClientSecret string
@secure()
param consoleResponderClientSecret string
param postgresAdministratorLogin string
@secure()
param postgresAdministratorPassword string
@secure()
param postgresAppPassword string
@secure()
param existingPostgresConnectionString string
param postgresHighAvailability string
param postgresSkuName string
param postgresSkuTier string
param postgresBackupRetentionDays int
param redisSkuName string
param redisHighAvailability bool
param streamApiMinReplicas int
param streamApiMaxReplicas int
param streamApiMaxConnections int
param streamApiScaleCpuPercent int
param streamApiScaleMemoryPercent int
param streamApiImage string
param consoleImage string
param heartbeatInterval string
param witnessImmutabilityDays int

// The console's service client at the API: read-only (demo traffic, which needs emit, is for local runs).
var consoleClientId = 'kavach-console'
var consoleResponderClientId = 'kavach-console-responder'

module monitoring 'modules/monitoring.bicep' = {
  name: 'monitoring'
  params: {
    name: 'log-${token}'
    location: location
    tags: tags
  }
}

// One virtual network: the apps' environment, PostgreSQL (private access) and Redis (private endpoint) inside it.
module network 'modules/network.bicep' = {
  name: 'network'
  params: {
    name: 'vnet-${token}'
    location: location
    tags: tags
  }
}

module environment 'modules/container-apps-environment.bicep' = {
  name: 'container-apps-environment'
  params: {
    name: 'cae-${token}'
    location: location
    tags: tags
    logAnalyticsWorkspaceName: monitoring.outputs.workspaceName
    infrastructureSubnetId: network.outputs.appsSubnetId
  }
}

module registry 'modules/registry.bicep' = {
  name: 'registry'
  params: {
    name: 'acr${token}'
    location: location
    tags: tags
  }
}

// An identity per app: each pulls its image and reads only its own secrets; only the API's writes to the witness.
module streamApiIdentity 'modules/app-identity.bicep' = {
  name: 'identity-streamapi'
  params: {
    name: 'id-streamapi-${token}'
    location: location
    tags: tags
    registryName: registry.outputs.name
  }
}

module consoleIdentity 'modules/app-identity.bicep' = {
  name: 'identity-console'
  params: {
    name: 'id-console-${token}'
    location: location
    tags: tags
    registryName: registry.outputs.name
  }
}

// An existing PostgreSQL (its Npgsql connection string given) replaces the Flexible Server this would create.
var useExistingPostgres = !empty(existingPostgresConnectionString)

// Private access: the name resolves inside the network only (Azure asks for a zone ending in postgres.database.azure.com).
module postgresDns 'modules/private-dns-zone.bicep' = if (!useExistingPostgres) {
  name: 'postgres-dns'
  params: {
    name: 'kavach-${token}.private.postgres.database.azure.com'
    tags: tags
    vnetId: network.outputs.id
  }
}

module postgres 'modules/postgres.bicep' = if (!useExistingPostgres) {
  name: 'postgres'
  params: {
    delegatedSubnetId: network.outputs.postgresSubnetId
    privateDnsZoneId: postgresDns!.outputs.id
    name: 'psql-${token}'
    location: location
    tags: tags
    administratorLogin: postgresAdministratorLogin
    administratorPassword: postgresAdministratorPassword
    skuName: postgresSkuName
    skuTier: postgresSkuTier
    highAvailability: postgresHighAvailability
    backupRetentionDays: postgresBackupRetentionDays
  }
}

// Azure Managed Redis's private endpoints register in this zone (its host names end in redis.azure.net).
module redisDns 'modules/private-dns-zone.bicep' = {
  name: 'redis-dns'
  params: {
    name: 'privatelink.redis.azure.net'
    tags: tags
    vnetId: network.outputs.id
  }
}

module redis 'modules/redis.bicep' = {
  name: 'redis'
  params: {
    name: 'redis-${token}'
    location: location
    tags: tags
    skuName: redisSkuName
    highAvailability: redisHighAvailability
    privateEndpointSubnetId: network.outputs.privateEndpointsSubnetId
    privateDnsZoneId: redisDns.outputs.id
  }
}

module keyVault 'modules/key-vault.bicep' = {
  name: 'key-vault'
  params: {
    name: 'kv-${token}'
    location: location
    tags: tags
    streamApiPrincipalId: streamApiIdentity.outputs.principalId
    consolePrincipalId: consoleIdentity.outputs.principalId
    signingKey: kavachSigningKey
    checkpointKey: kavachCheckpointKey
    consoleAccessKey: consoleAccessKey
    consoleOidcClientSecret: consoleOidcClientSecret
    consoleClientSecret: consoleClientSecret
    consoleResponderClientSecret: consoleResponderClientSecret
    // VerifyFull: the server's certificate chains to a public CA the base image trusts, and is issued for the server's
    // usual name, which the private DNS zone resolves to its private address.
    // The API's own: the service role's (below), or an existing PostgreSQL's as given.
    postgresConnectionString: useExistingPostgres
      ? existingPostgresConnectionString
      : 'Host=${postgres!.outputs.fullyQualifiedDomainName};Port=5432;Database=${postgres!.outputs.databaseName};Username=${postgresAppRole};Password=${postgresAppPassword};SSL Mode=VerifyFull'
    redisName: redis.outputs.name
  }
}

var secretsUri = '${keyVault.outputs.uri}secrets'

// Every checkpoint also goes to Blob Storage under a version-level WORM policy (docs/integrity.md, "The witness"): what
// a database writer cannot reach. The API writes with its own identity; the console has no access.
module witness 'modules/witness-storage.bicep' = {
  name: 'witness-storage'
  params: {
    name: 'stw${token}'
    location: location
    tags: tags
    writerPrincipalId: streamApiIdentity.outputs.principalId
    immutabilityDays: witnessImmutabilityDays
  }
}

// Least privilege in PostgreSQL (docs/deploy-azure.md, "Database roles"). The server's administrator owns the schema.
// Before each revision of the API starts, its init container runs the same image as `Kavach.StreamApi migrate` with the
// administrator's connection: it migrates the schema and creates (or updates) the service's role with its password and
// grants it only what the service needs. The API's replicas connect as that role: they may add and read events, never
// change or delete them. With an existing PostgreSQL, its connection string is the API's as given and there is no step.
var postgresAppRole = 'kavach_app'

module databaseRoles 'modules/database-roles.bicep' = if (!useExistingPostgres) {
  name: 'database-roles'
  params: {
    keyVaultName: keyVault.outputs.name
    serverFqdn: postgres!.outputs.fullyQualifiedDomainName
    databaseName: postgres!.outputs.databaseName
    administratorLogin: postgresAdministratorLogin
    administratorPassword: postgresAdministratorPassword
    appRolePassword: postgresAppPassword
    streamApiPrincipalId: streamApiIdentity.outputs.principalId
  }
}

var migrateSecrets = useExistingPostgres ? [] : [
  { name: 'kavachdb-owner', keyVaultUrl: '${secretsUri}/${databaseRoles!.outputs.ownerConnectionVaultEntry}' }
  { name: 'kavachdb-app-password', keyVaultUrl: '${secretsUri}/${databaseRoles!.outputs.appRoleVaultEntry}' }
]

// Only once azd has pushed an image: the first provision's placeholder cannot migrate. azd deploy changes only the app
// container's image, so run `azd provision` after it to bring this step to the same build (docs/deploy-azure.md).
var migrateStep = useExistingPostgres || empty(streamApiImage) ? [] : [
  {
    name: 'migrate'
    image: streamApiImage
    args: [ 'migrate' ]
    resources: { cpu: json('0.25'), memory: '0.5Gi' }
    env: [
      { name: 'ConnectionStrings__kavachdb', secretRef: 'kavachdb-owner' }
      { name: 'Kavach__Database__AppRole', value: postgresAppRole }
      { name: 'Kavach__Database__AppRolePassword', secretRef: 'kavachdb-app-password' }
    ]
  }
]

// Settings both apps get: the ingress ends TLS, the host stops within the grace period, and traces and metrics go to
// Application Insights (its connection string only lets one send telemetry, so it is plain configuration).
var ingressSettings = [
  { name: 'ASPNETCORE_ENVIRONMENT', value: 'Production' }
  { name: 'Kavach__Ingress__TrustForwardedHeaders', value: 'true' }
  { name: 'Kavach__ShutdownTimeout', value: '00:00:20' }
  { name: 'APPLICATIONINSIGHTS_CONNECTION_STRING', value: monitoring.outputs.appInsightsConnectionString }
]

module streamApi 'modules/container-app.bicep' = {
  name: 'streamapi'
  params: {
    name: 'streamapi'
    serviceName: 'streamapi'
    location: location
    tags: tags
    environmentId: environment.outputs.environmentId
    identityId: streamApiIdentity.outputs.id
    registryLoginServer: registry.outputs.loginServer
    image: streamApiImage
    minReplicas: streamApiMinReplicas
    maxReplicas: streamApiMaxReplicas
    // Streams are long-lived: the HTTP rule counts requests started per second and barely sees them, and a TCP rule
    // needs TCP ingress. What a stream costs a replica is memory while it idles (W3: ~17 KiB, plus the kernel's socket)
    // and CPU while events flow, so the API scales on both (docs/deploy-azure.md, "Scaling"), before a replica's
    // Kavach:Stream:MaxConnections turns new streams away.
    scaleRules: [
      {
        name: 'stream-memory'
        custom: { type: 'memory', metadata: { type: 'Utilization', value: string(streamApiScaleMemoryPercent) } }
      }
      {
        name: 'stream-cpu'
        custom: { type: 'cpu', metadata: { type: 'Utilization', value: string(streamApiScaleCpuPercent) } }
      }
    ]
    secrets: concat([
      { name: 'kavachdb', keyVaultUrl: '${secretsUri}/kavachdb-connection-string' }
      { name: 'redis', keyVaultUrl: '${secretsUri}/redis-connection-string' }
      { name: 'signing-key', keyVaultUrl: '${secretsUri}/kavach-signing-key' }
      { name: 'checkpoint-key', keyVaultUrl: '${secretsUri}/kavach-checkpoint-key' }
      { name: 'console-client-secret', keyVaultUrl: '${secretsUri}/console-client-secret' }
      { name: 'console-responder-client-secret', keyVaultUrl: '${secretsUri}/console-responder-client-secret' }
    ], migrateSecrets)
    initContainers: migrateStep
    env: concat(ingressSettings, [
      { name: 'ConnectionStrings__kavachdb', secretRef: 'kavachdb' }
      { name: 'ConnectionStrings__redis', secretRef: 'redis' }
      { name: 'Kavach__Auth__SigningKey', secretRef: 'signing-key' }
      { name: 'Kavach__Integrity__CheckpointKey', secretRef: 'checkpoint-key' }
      { name: 'Kavach__Integrity__Witness__ServiceUri', value: witness.outputs.blobEndpoint }
      { name: 'Kavach__Integrity__Witness__ManagedIdentityClientId', value: streamApiIdentity.outputs.clientId }
      { name: 'Kavach__Auth__Clients__0__Id', value: consoleClientId }
      { name: 'Kavach__Auth__Clients__0__Secret', secretRef: 'console-client-secret' }
      { name: 'Kavach__Auth__Clients__0__Scopes', value: 'events:read alerts:write' }
      { name: 'Kavach__Auth__Clients__1__Id', value: consoleResponderClientId }
      { name: 'Kavach__Auth__Clients__1__Secret', secretRef: 'console-responder-client-secret' }
      { name: 'Kavach__Auth__Clients__1__Scopes', value: 'events:revoke' }
      { name: 'Kavach__Stream__HeartbeatInterval', value: heartbeatInterval }
      { name: 'Kavach__Stream__IngressIdleTimeout', value: '00:04:00' }
      { name: 'Kavach__Stream__MaxConnections', value: string(streamApiMaxConnections) }
    ])
  }
}

module console 'modules/container-app.bicep' = {
  name: 'console'
  params: {
    name: 'console'
    serviceName: 'console'
    location: location
    tags: tags
    environmentId: environment.outputs.environmentId
    identityId: consoleIdentity.outputs.id
    registryLoginServer: registry.outputs.loginServer
    image: consoleImage
    // One replica: the live feed and alert state are in its memory. Sticky sessions all the same, so a revision
    // swap or a later scale-out keeps each Blazor circuit on its replica.
    minReplicas: 1
    maxReplicas: 1
    stickySessions: true
    secrets: [
      { name: 'redis', keyVaultUrl: '${secretsUri}/redis-connection-string' }
      { name: 'console-access-key', keyVaultUrl: '${secretsUri}/console-access-key' }
      { name: 'console-oidc-client-secret', keyVaultUrl: '${secretsUri}/console-oidc-client-secret' }
      { name: 'console-client-secret', keyVaultUrl: '${secretsUri}/console-client-secret' }
      { name: 'console-responder-client-secret', keyVaultUrl: '${secretsUri}/console-responder-client-secret' }
    ]
    env: concat(ingressSettings, [
      { name: 'ConnectionStrings__redis', secretRef: 'redis' }
      { name: 'StreamApi__BaseAddress', value: 'https://streamapi.${environment.outputs.defaultDomain}' }
      { name: 'StreamApi__ClientId', value: consoleClientId }
      { name: 'StreamApi__ClientSecret', secretRef: 'console-client-secret' }
      { name: 'StreamApi__ResponderClientId', value: consoleResponderClientId }
      { name: 'StreamApi__ResponderClientSecret', secretRef: 'console-responder-client-secret' }
      // People sign in with Entra ID (docs/console.md, "Sign-in and roles"); the access key only with consoleAuthMode AccessKey.
      { name: 'Console__Auth__Mode', value: consoleAuthMode }
      { name: 'Console__Auth__Authority', value: consoleOidcAuthority }
      { name: 'Console__Auth__ClientId', value: consoleOidcClientId }
      { name: 'Console__Auth__ClientSecret', secretRef: 'console-oidc-client-secret' }
      { name: 'Console__AccessKey', secretRef: 'console-access-key' }
    ])
  }
}

output registryLoginServer string = registry.outputs.loginServer
output environmentId string = environment.outputs.environmentId
output keyVaultName string = keyVault.outputs.name
output streamApiFqdn string = streamApi.outputs.fqdn
output consoleFqdn string = console.outputs.fqdn
output witnessBlobEndpoint string = witness.outputs.blobEndpoint
