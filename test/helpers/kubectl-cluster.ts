/**
 * A big cluster as `kubectl get pods -A -o json` and `kubectl get nodes -o json` print it, for
 * tests of how audit reads inputs of realistic size: every pod carries what a real one does
 * (labels, annotations, managedFields, volumes, tolerations, affinity, container statuses with
 * imageID), every node its status.images. Deterministic: the same arguments give the same text.
 */

export interface ClusterSpec {
  pods: number
  nodes: number
  /** Images the pods run; pod i runs images[i % length]. */
  images: string[]
  /** Pins pod i to nodes of one architecture, or leaves it free. */
  archOf?: (pod: number) => 'amd64' | 'arm64' | undefined
}

function pod(index: number, spec: ClusterSpec): unknown {
  const app = `app-${index % 400}`
  const namespace = `team-${index % 40}`
  const name = `${app}-7d4b9c8f6d-${index.toString(36).padStart(5, '0')}`
  const image = spec.images[index % spec.images.length]
  const arch = spec.archOf?.(index)
  const container = (role: string) => ({
    args: ['--port=8080', `--name=${role}`],
    image,
    imagePullPolicy: 'IfNotPresent',
    name: role,
    ports: [{containerPort: 8080, name: 'http', protocol: 'TCP'}],
    resources: {limits: {memory: '256Mi'}, requests: {cpu: '100m', memory: '128Mi'}},
    terminationMessagePath: '/dev/termination-log',
    terminationMessagePolicy: 'File',
    volumeMounts: [{mountPath: '/var/run/secrets/kubernetes.io/serviceaccount', name: 'kube-api-access-x2x9k', readOnly: true}],
  })
  const status = (role: string) => ({
    containerID: `containerd://${index.toString(16).padStart(64, 'c')}`,
    image,
    imageID: `${image.replace(/:[^/]*$/, '')}@sha256:${'ab'.repeat(32)}`,
    lastState: {},
    name: role,
    ready: true,
    restartCount: 0,
    started: true,
    state: {running: {startedAt: '2026-12-06T21:00:05Z'}},
  })
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      annotations: {'kubectl.kubernetes.io/restartedAt': '2026-12-01T10:00:00Z', 'prometheus.io/scrape': 'true'},
      creationTimestamp: '2026-12-06T21:00:00Z',
      generateName: `${app}-7d4b9c8f6d-`,
      labels: {'app.kubernetes.io/name': app, 'pod-template-hash': '7d4b9c8f6d'},
      managedFields: [
        {
          apiVersion: 'v1',
          fieldsType: 'FieldsV1',
          fieldsV1: {'f:metadata': {'f:generateName': {}, 'f:labels': {'.': {}, 'f:app.kubernetes.io/name': {}}}},
          manager: 'kube-controller-manager',
          operation: 'Update',
          time: '2026-12-06T21:00:00Z',
        },
      ],
      name,
      namespace,
      ownerReferences: [
        {
          apiVersion: 'apps/v1',
          blockOwnerDeletion: true,
          controller: true,
          kind: 'ReplicaSet',
          name: `${app}-7d4b9c8f6d`,
          uid: `0e1f2a3b-0000-4000-8000-${String(index).padStart(12, '0')}`,
        },
      ],
      resourceVersion: String(1_000_000 + index),
      uid: `9a8b7c6d-0000-4000-8000-${String(index).padStart(12, '0')}`,
    },
    spec: {
      ...(arch
        ? {
            affinity: {
              nodeAffinity: {
                requiredDuringSchedulingIgnoredDuringExecution: {
                  nodeSelectorTerms: [{matchExpressions: [{key: 'kubernetes.io/arch', operator: 'In', values: [arch]}]}],
                },
              },
            },
          }
        : {}),
      containers: [container('app')],
      dnsPolicy: 'ClusterFirst',
      enableServiceLinks: true,
      // Even nodes are amd64, odd ones arm64 (see node): a pinned pod runs on one of its architecture.
      nodeName: `node-${String(arch ? (2 * index + (arch === 'arm64' ? 1 : 0)) % spec.nodes : index % spec.nodes).padStart(4, '0')}`,
      preemptionPolicy: 'PreemptLowerPriority',
      priority: 0,
      restartPolicy: 'Always',
      schedulerName: 'default-scheduler',
      securityContext: {},
      serviceAccount: 'default',
      serviceAccountName: 'default',
      terminationGracePeriodSeconds: 30,
      tolerations: [
        {effect: 'NoExecute', key: 'node.kubernetes.io/not-ready', operator: 'Exists', tolerationSeconds: 300},
        {effect: 'NoExecute', key: 'node.kubernetes.io/unreachable', operator: 'Exists', tolerationSeconds: 300},
      ],
      volumes: [
        {
          name: 'kube-api-access-x2x9k',
          projected: {
            defaultMode: 420,
            sources: [
              {serviceAccountToken: {expirationSeconds: 3607, path: 'token'}},
              {configMap: {items: [{key: 'ca.crt', path: 'ca.crt'}], name: 'kube-root-ca.crt'}},
              {downwardAPI: {items: [{fieldRef: {apiVersion: 'v1', fieldPath: 'metadata.namespace'}, path: 'namespace'}]}},
            ],
          },
        },
      ],
    },
    status: {
      conditions: ['Initialized', 'Ready', 'ContainersReady', 'PodScheduled'].map((type) => ({
        lastProbeTime: null,
        lastTransitionTime: '2026-12-06T21:00:06Z',
        status: 'True',
        type,
      })),
      containerStatuses: [status('app')],
      hostIP: `10.0.${index % 250}.1`,
      phase: 'Running',
      podIP: `10.8.${index % 250}.${index % 200}`,
      qosClass: 'Burstable',
      startTime: '2026-12-06T21:00:00Z',
    },
  }
}

function node(index: number): unknown {
  const arch = index % 2 === 0 ? 'amd64' : 'arm64'
  const name = `node-${String(index).padStart(4, '0')}`
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      labels: {
        'kubernetes.io/arch': arch,
        'kubernetes.io/hostname': name,
        'kubernetes.io/os': 'linux',
        'node.kubernetes.io/instance-type': 'm6.xlarge',
      },
      name,
      uid: `5c0e8a52-0000-4000-8000-${String(index).padStart(12, '0')}`,
    },
    spec: {podCIDR: `10.8.${index % 250}.0/24`, providerID: `aws:///eu-west-1a/i-${index.toString(16).padStart(17, '0')}`},
    status: {
      allocatable: {cpu: '3920m', memory: '13594872Ki', pods: '110'},
      conditions: [
        {
          lastHeartbeatTime: '2026-12-07T03:10:00Z',
          message: 'kubelet is posting ready status',
          reason: 'KubeletReady',
          status: 'True',
          type: 'Ready',
        },
      ],
      // What makes node lists big: every image each node holds.
      images: Array.from({length: 60}, (_, image) => ({
        names: [`registry.example/team-${image}/service@sha256:${'cd'.repeat(32)}`, `registry.example/team-${image}/service:1.${image}`],
        sizeBytes: 10_000_000 + image,
      })),
      nodeInfo: {
        architecture: arch,
        bootID: `b00t${String(index).padStart(4, '0')}-0000-4000-8000-000000000000`,
        containerRuntimeVersion: 'containerd://1.7.13',
        kernelVersion: '6.1.0-18-cloud-amd64',
        kubeProxyVersion: 'v1.29.1',
        kubeletVersion: 'v1.29.1',
        machineID: 'f'.repeat(32),
        operatingSystem: 'linux',
        osImage: 'Debian GNU/Linux 12 (bookworm)',
        systemUUID: `ec2${String(index).padStart(5, '0')}-0000-4000-8000-000000000000`,
      },
    },
  }
}

/** `kubectl get … -o json` output: a List printed with four-space indentation, as kubectl does. */
function list(items: Iterable<unknown>): string {
  const parts: string[] = []
  for (const item of items) parts.push(JSON.stringify(item, null, 4).replaceAll('\n', '\n        '))
  return `{\n    "apiVersion": "v1",\n    "items": [\n        ${parts.join(',\n        ')}\n    ],\n    "kind": "List",\n    "metadata": {\n        "resourceVersion": ""\n    }\n}\n`
}

export function kubectlPods(spec: ClusterSpec): string {
  return list(Array.from({length: spec.pods}, (_, index) => pod(index, spec)))
}

export function kubectlNodes(spec: Pick<ClusterSpec, 'nodes'>): string {
  return list(Array.from({length: spec.nodes}, (_, index) => node(index)))
}
