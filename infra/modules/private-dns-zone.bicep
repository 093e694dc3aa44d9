// A private DNS zone linked to the deployment's virtual network: inside it, a data service's usual host name resolves
// to its private address.
param name string
param tags object
param vnetId string

resource zone 'Microsoft.Network/privateDnsZones@2024-06-01' = {
  name: name
  location: 'global'
  tags: tags
}

resource link 'Microsoft.Network/privateDnsZones/virtualNetworkLinks@2024-06-01' = {
  parent: zone
  name: 'vnet'
  location: 'global'
  tags: tags
  properties: {
    registrationEnabled: false
    virtualNetwork: { id: vnetId }
  }
}

output id string = zone.id
output name string = zone.name
