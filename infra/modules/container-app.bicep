// One Kavach service as a container app: external HTTPS ingress (TLS ends there; the app reads X-Forwarded-*),
// probes on the service defaults' /alive and /health, secrets read from Key Vault by the apps' identity, and a
// termination grace period longer than the app's own shutdown timeout (Kavach:ShutdownTimeout).
param name string
param location string
param tags object
@description('The azure.yaml service this app runs (azd finds the app by this tag).')
param serviceName string
param environmentId string
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

// Until azd deploy pushes the service's image, a public placeholder keeps the first provision whole.
var placeholderImage = 'mcr.microsoft.com/k8se/quickstart:latest'

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
        targetPort: targetPort
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
          image: empty(image) ? placeholderImage : image
          resources: {
            cpu: json(cpu)
            memory: memory
          }
          env: env
          probes: [
            {
              type: 'Startup'
              httpGet: { path: '/alive', port: targetPort }
              periodSeconds: 2
              failureThreshold: 30
            }
            {
              type: 'Liveness'
              httpGet: { path: '/alive', port: targetPort }
              periodSeconds: 10
              failureThreshold: 3
            }
            {
              // Ready only once PostgreSQL answers and the schema is migrated: no traffic before.
              type: 'Readiness'
              httpGet: { path: '/health', port: targetPort }
              periodSeconds: 5
              failureThreshold: 3
            }
          ]
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
