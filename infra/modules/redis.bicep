// Azure Cache for Redis: cross-replica commit hints and presence for the API, and the console's Data Protection key
// ring. TLS only (port 6380); nothing in it is the record (PostgreSQL is), so no persistence is needed.
param name string
param location string
param tags object
@allowed([ 'Basic', 'Standard', 'Premium' ])
param skuName string = 'Standard'
param capacity int = 0

resource redis 'Microsoft.Cache/redis@2024-03-01' = {
  name: name
  location: location
  tags: tags
  properties: {
    sku: {
      name: skuName
      family: skuName == 'Premium' ? 'P' : 'C'
      capacity: capacity
    }
    enableNonSslPort: false
    minimumTlsVersion: '1.2'
    publicNetworkAccess: 'Enabled'
    redisConfiguration: {
      'maxmemory-policy': 'noeviction'
    }
  }
}

output name string = redis.name
output hostName string = redis.properties.hostName
output sslPort int = redis.properties.sslPort
