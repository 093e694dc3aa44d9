// The virtual network the deployment lives in: the Container Apps environment in a subnet of its own (delegated, as a
// workload-profiles environment needs), PostgreSQL in a subnet delegated to Flexible Server (private access), and a
// subnet for private endpoints (Redis). Nothing in it has a public address; the apps' ingress is the way in.
param name string
param location string
param tags object
param addressPrefix string = '10.40.0.0/16'
@description('The Container Apps environment\'s infrastructure subnet: /23 leaves room for the environment\'s own addresses and every replica.')
param appsSubnetPrefix string = '10.40.0.0/23'
param postgresSubnetPrefix string = '10.40.2.0/24'
param privateEndpointsSubnetPrefix string = '10.40.3.0/24'

resource vnet 'Microsoft.Network/virtualNetworks@2024-05-01' = {
  name: name
  location: location
  tags: tags
  properties: {
    addressSpace: { addressPrefixes: [ addressPrefix ] }
    subnets: [
      {
        name: 'apps'
        properties: {
          addressPrefix: appsSubnetPrefix
          delegations: [
            { name: 'container-apps', properties: { serviceName: 'Microsoft.App/environments' } }
          ]
        }
      }
      {
        name: 'postgres'
        properties: {
          addressPrefix: postgresSubnetPrefix
          delegations: [
            { name: 'postgres', properties: { serviceName: 'Microsoft.DBforPostgreSQL/flexibleServers' } }
          ]
        }
      }
      {
        name: 'private-endpoints'
        properties: {
          addressPrefix: privateEndpointsSubnetPrefix
        }
      }
    ]
  }
}

output id string = vnet.id
output appsSubnetId string = resourceId('Microsoft.Network/virtualNetworks/subnets', vnet.name, 'apps')
output appsSubnetPrefix string = appsSubnetPrefix
output postgresSubnetId string = resourceId('Microsoft.Network/virtualNetworks/subnets', vnet.name, 'postgres')
output privateEndpointsSubnetId string = resourceId('Microsoft.Network/virtualNetworks/subnets', vnet.name, 'private-endpoints')
