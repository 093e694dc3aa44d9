// Azure Managed Redis (Microsoft.Cache/redisEnterprise): cross-replica commit hints and presence for the API, and the
// console's Data Protection key ring. TLS only (clientProtocol Encrypted, port 10000), reached only through a private
// endpoint in the deployment's network (public network access off). Nothing in it is the record (PostgreSQL is), so no
// persistence. The Enterprise cluster policy shows one endpoint to clients, as a single Redis would.
param name string
param location string
param tags object
@description('Balanced_B0 is the smallest Azure Managed Redis (about 0.5 GB); B1 and up add memory and throughput.')
param skuName string = 'Balanced_B0'
@description('A replica in another zone: off by default (what Redis holds is rebuilt from PostgreSQL).')
param highAvailability bool = false
param privateEndpointSubnetId string
param privateDnsZoneId string

resource cluster 'Microsoft.Cache/redisEnterprise@2025-07-01' = {
  name: name
  location: location
  tags: tags
  sku: { name: skuName }
  properties: {
    minimumTlsVersion: '1.2'
    highAvailability: highAvailability ? 'Enabled' : 'Disabled'
    publicNetworkAccess: 'Disabled'
  }
}

resource database 'Microsoft.Cache/redisEnterprise/databases@2025-07-01' = {
  parent: cluster
  name: 'default'
  properties: {
    clientProtocol: 'Encrypted'
    port: 10000
    clusteringPolicy: 'EnterpriseCluster'
    evictionPolicy: 'NoEviction'
    // StackExchange.Redis signs in with the database's access key (Key Vault: redis-connection-string).
    accessKeysAuthentication: 'Enabled'
  }
}

resource endpoint 'Microsoft.Network/privateEndpoints@2024-05-01' = {
  name: 'pe-${name}'
  location: location
  tags: tags
  properties: {
    subnet: { id: privateEndpointSubnetId }
    privateLinkServiceConnections: [
      {
        name: 'redis'
        properties: {
          privateLinkServiceId: cluster.id
          groupIds: [ 'redisEnterprise' ]
        }
      }
    ]
  }
}

resource dnsRecords 'Microsoft.Network/privateEndpoints/privateDnsZoneGroups@2024-05-01' = {
  parent: endpoint
  name: 'default'
  properties: {
    privateDnsZoneConfigs: [
      { name: 'redis', properties: { privateDnsZoneId: privateDnsZoneId } }
    ]
  }
}

output name string = cluster.name
output databaseName string = database.name
output hostName string = cluster.properties.hostName
output port int = database.properties.port!
