// Azure Database for PostgreSQL Flexible Server holding the stream (database kavachdb), with private access: the server
// lives in a subnet delegated to it, its name resolves through a private DNS zone linked to the virtual network, and
// public network access is off (no firewall rule exists, so nothing outside the network reaches it). TLS is required
// on every connection; high availability and backup retention are parameters. The API's init container migrates the
// schema (see docs/deploy-azure.md).
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
@description('The subnet delegated to Microsoft.DBforPostgreSQL/flexibleServers.')
param delegatedSubnetId string
@description('A private DNS zone ending in postgres.database.azure.com, linked to the virtual network.')
param privateDnsZoneId string

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
    network: {
      delegatedSubnetResourceId: delegatedSubnetId
      privateDnsZoneArmResourceId: privateDnsZoneId
      publicNetworkAccess: 'Disabled'
    }
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

// Search over history (migration 13) creates pg_trgm; Flexible Server lets a database create only allow-listed extensions.
// After requireTls: the server takes one configuration change at a time.
resource allowExtensions 'Microsoft.DBforPostgreSQL/flexibleServers/configurations@2024-08-01' = {
  parent: server
  name: 'azure.extensions'
  properties: {
    value: 'PG_TRGM'
    source: 'user-override'
  }
  dependsOn: [ requireTls ]
}

resource database 'Microsoft.DBforPostgreSQL/flexibleServers/databases@2024-08-01' = {
  parent: server
  name: databaseName
  properties: {
    charset: 'UTF8'
    collation: 'en_US.utf8'
  }
  dependsOn: [ requireTls, allowExtensions ]
}

output serverName string = server.name
output fullyQualifiedDomainName string = server.properties.fullyQualifiedDomainName
output databaseName string = database.name
