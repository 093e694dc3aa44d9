// Azure Database for PostgreSQL Flexible Server holding the stream (database kavachdb). TLS is required on every
// connection; high availability and backup retention are parameters. The API's replicas migrate the schema
// themselves, once per deployment (see docs/deploy-azure.md).
param name string
param location string
param tags object
param administratorLogin string
@secure()
param administratorPassword string
param databaseName string = 'kavachdb'

@description('Burstable B2s (about 430 connections) fits two to ten API replicas of 22 pooled connections each.')
param skuName string = 'Standard_B2s'
@allowed([ 'Burstable', 'GeneralPurpose', 'MemoryOptimized' ])
param skuTier string = 'Burstable'
param storageSizeGB int = 32
param version string = '16'

@description('ZoneRedundant or SameZone keeps a hot standby (GeneralPurpose or MemoryOptimized tiers only).')
@allowed([ 'Disabled', 'ZoneRedundant', 'SameZone' ])
param highAvailability string = 'Disabled'

@minValue(7)
@maxValue(35)
param backupRetentionDays int = 7
param geoRedundantBackup bool = false

resource server 'Microsoft.DBforPostgreSQL/flexibleServers@2024-08-01' = {
  name: name
  location: location
  tags: tags
  sku: {
    name: skuName
    tier: skuTier
  }
  properties: {
    version: version
    administratorLogin: administratorLogin
    administratorLoginPassword: administratorPassword
    storage: { storageSizeGB: storageSizeGB }
    backup: {
      backupRetentionDays: backupRetentionDays
      geoRedundantBackup: geoRedundantBackup ? 'Enabled' : 'Disabled'
    }
    highAvailability: { mode: highAvailability }
    network: { publicNetworkAccess: 'Enabled' }
  }
}

// Only from inside Azure (the Container Apps environment's outbound addresses are Azure's). For a private network,
// see docs/deploy-azure.md.
resource azureServices 'Microsoft.DBforPostgreSQL/flexibleServers/firewallRules@2024-08-01' = {
  parent: server
  name: 'AllowAllAzureServicesAndResourcesWithinAzureIps'
  properties: {
    startIpAddress: '0.0.0.0'
    endIpAddress: '0.0.0.0'
  }
}

resource requireTls 'Microsoft.DBforPostgreSQL/flexibleServers/configurations@2024-08-01' = {
  parent: server
  name: 'require_secure_transport'
  properties: {
    value: 'ON'
    source: 'user-override'
  }
}

resource database 'Microsoft.DBforPostgreSQL/flexibleServers/databases@2024-08-01' = {
  parent: server
  name: databaseName
  properties: {
    charset: 'UTF8'
    collation: 'en_US.utf8'
  }
  dependsOn: [ requireTls ]
}

output serverName string = server.name
output fullyQualifiedDomainName string = server.properties.fullyQualifiedDomainName
output databaseName string = database.name
