// Log Analytics: the Container Apps environment's console and system logs (Azure Monitor reads them here).
param name string
param location string
param tags object
@description('Days logs are kept (30 is included in the price).')
param retentionInDays int = 30

resource workspace 'Microsoft.OperationalInsights/workspaces@2023-09-01' = {
  name: name
  location: location
  tags: tags
  properties: {
    sku: { name: 'PerGB2018' }
    retentionInDays: retentionInDays
  }
}

output workspaceName string = workspace.name
output workspaceId string = workspace.id
