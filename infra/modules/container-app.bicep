// One Kavach service as a container app: external HTTPS ingress (TLS ends there; the app reads X-Forwarded-*),
// probes on the service defaults' /alive and /health, secrets read from Key Vault by the app's own identity, and a
// termination grace period longer than the app's own shutdown timeout (Kavach:ShutdownTimeout). Until azd pushes the
// service's image, a public placeholder runs instead: Microsoft's ASP.NET Core sample, which serves on 8080 like the
// services' own images (so the ingress's port stays right when azd deploy swaps only the image) but has neither /alive
// nor /health, so it gets Container Apps' default probes (TCP on that port) instead of the services'.
param name string
param location string
param tags object
@description('The azure.yaml service this app runs (azd finds the app by this tag).')
param serviceName string
param environmentId string
@description('The app\'s own user-assigned identity: pulls its image, reads its Key Vault secrets.')
param identityId string
param registryLoginServer string
@description('The image azd built; empty on the first provision, before azd deploy pushes one.')
param image string = ''
param targetPort int = 8080
param cpu string = '0.5'
param memory string = '1Gi'
param minReplicas int
param maxReplicas int
@description('Cookie affinity (needs single-revision mode): a Blazor Server circuit must keep reaching its replica.')
param stickySessions bool = false
param scaleRules array = []
@description('Key Vault secrets: [{ name, keyVaultUrl }].')
param secrets array = []
@description('Environment: [{ name, value }] or [{ name, secretRef }].')
param env array = []
@description('Containers run to completion before each revision\'s app container starts: [{ name, image, args, env, resources }].')
param initContainers resourceInput<'Microsoft.App/containerApps@2024-03-01'>.properties.template.initContainers = []
@description('Seconds between SIGTERM and SIGKILL; above the app\'s Kavach:ShutdownTimeout (20 s).')
param terminationGracePeriodSeconds int = 30

var placeholderImage = 'mcr.microsoft.com/dotnet/samples:aspnetapp'
var placeholderPort = 8080
var runsPlaceholder = empty(image)
var servedPort = runsPlaceholder ? placeholderPort : targetPort
var serviceProbes = [
  {
    type: 'Startup'
    httpGet: { path: '/alive', port: servedPort }
    periodSeconds: 2
    failureThreshold: 30
  }
  {
    type: 'Liveness'
    httpGet: { path: '/alive', port: servedPort }
    periodSeconds: 10
    failureThreshold: 3
  }
  {
    // Ready only once PostgreSQL answers and the schema is migrated: no traffic before.
    type: 'Readiness'
    httpGet: { path: '/health', port: servedPort }
    periodSeconds: 5
    failureThreshold: 3
  }
]

resource app 'Microsoft.App/containerApps@2024-03-01' = {
  name: name
  location: location
  tags: union(tags, { 'azd-service-name': serviceName })
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: { '${identityId}': {} }
  }
  properties: {
    environmentId: environmentId
    workloadProfileName: 'Consumption'
    configuration: {
      activeRevisionsMode: 'Single'
      ingress: {
        external: true
        targetPort: servedPort
        transport: 'auto'
        allowInsecure: false
        stickySessions: { affinity: stickySessions ? 'sticky' : 'none' }
      }
      registries: [
        { server: registryLoginServer, identity: identityId }
      ]
      secrets: [for secret in secrets: {
        name: secret.name
        keyVaultUrl: secret.keyVaultUrl
        identity: identityId
      }]
    }
    template: {
      terminationGracePeriodSeconds: terminationGracePeriodSeconds
      initContainers: initContainers
      containers: [
        {
          name: serviceName
          image: runsPlaceholder ? placeholderImage : image
          resources: {
            cpu: json(cpu)
            memory: memory
          }
          env: env
          probes: runsPlaceholder ? [] : serviceProbes
        }
      ]
      scale: {
        minReplicas: minReplicas
        maxReplicas: maxReplicas
        rules: scaleRules
      }
    }
  }
}

output name string = app.name
output fqdn string = app.properties.configuration.ingress.fqdn
