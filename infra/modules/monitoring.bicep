// Log Analytics: the Container Apps environment's console and system logs (Azure Monitor reads them here). Application
// Insights on the same workspace receives the apps' traces and metrics, the Kavach meters included, by OpenTelemetry.
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

resource appInsights 'Microsoft.Insights/components@2020-02-02' = {
  name: 'appi-${name}'
  location: location
  tags: tags
  kind: 'web'
  properties: {
    Application_Type: 'web'
    WorkspaceResourceId: workspace.id
  }
}

output workspaceName string = workspace.name
output workspaceId string = workspace.id
output appInsightsConnectionString string = appInsights.properties.ConnectionString
