import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, posix, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Deployment, type IDeployment } from 'kubernetes-models/apps/v1/Deployment';
import {
  HorizontalPodAutoscaler,
  type IHorizontalPodAutoscaler,
} from 'kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler';
import { type IPodDisruptionBudget, PodDisruptionBudget } from 'kubernetes-models/policy/v1/PodDisruptionBudget';
import { ConfigMap, type IConfigMap } from 'kubernetes-models/v1/ConfigMap';
import type { IContainer } from 'kubernetes-models/v1/Container';
import { Namespace } from 'kubernetes-models/v1/Namespace';
import type { IPodSpec } from 'kubernetes-models/v1/PodSpec';
import { type IService, Service } from 'kubernetes-models/v1/Service';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, parseAllDocuments, stringify } from 'yaml';
import { artSearchConfigSchema, loadArtSearchConfig } from '../../services/art-search/src/config/settings.js';
import { loadModelServerConfig, modelServerConfigSchema } from '../../services/model-server/src/config/settings.js';
import {
  loadOrchestratorConfig,
  orchestratorConfigSchema,
} from '../../services/price-orchestrator/src/config/settings.js';

// Renders deploy/k8s with the kustomize built into kubectl (what `kubectl apply -k` runs) and checks the result
// offline: no cluster is reachable from the test machines.

const repository = fileURLToPath(new URL('../..', import.meta.url));
const k8s = join(repository, 'deploy', 'k8s');

/** Why the manifests cannot be rendered here, or undefined when they can. */
function kustomizeUnavailable(): string | undefined {
  const result = spawnSync('kubectl', ['version', '--client', '-o', 'json'], { encoding: 'utf8' });
  if (result.error)
    return `kubectl is not on PATH (${result.error.message}); install kubectl 1.27+ to check deploy/k8s`;
  if (result.status !== 0) return `kubectl version failed: ${result.stderr.trim()}`;
  const version = (JSON.parse(result.stdout) as { kustomizeVersion?: string }).kustomizeVersion ?? '';
  const major = Number(/^v?(\d+)\./.exec(version)?.[1] ?? 0);
  // labels, patches with targets and components need kustomize v4+; older kubectls embed v2/v3.
  if (major < 4)
    return `kubectl embeds kustomize ${version || '(unknown)'}, older than v4; kubectl 1.21+ embeds v4, 1.27+ v5`;
  return undefined;
}

const unavailable = kustomizeUnavailable();
if (unavailable) console.warn(`deploy/tests/k8s.test.ts skipped: ${unavailable}`);

interface ModelClass {
  new (data: never): { validate(): void };
  prototype: { validate(): void };
}

/** The kinds the manifests may hold; any other is an error, so a new kind gets a schema here first. */
const models: Record<string, ModelClass> = {
  'v1/Namespace': Namespace,
  'v1/ConfigMap': ConfigMap,
  'v1/Service': Service,
  'apps/v1/Deployment': Deployment,
  'autoscaling/v2/HorizontalPodAutoscaler': HorizontalPodAutoscaler,
  'policy/v1/PodDisruptionBudget': PodDisruptionBudget,
};

interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
}

interface LoadedConfig {
  env: string;
  host: string;
  port: number;
  shutdownGraceMs: number;
}

interface ServiceConfig {
  schema: { shape: Record<string, unknown> };
  /** The key of the upstream block, whose keys the kit's upstream schema owns. */
  upstream?: string;
  load(variables: Record<string, string | undefined>): LoadedConfig & Record<string, unknown>;
}

/** Each service that reads a YAML config (CONFIG_FILE), by container name, with its real schema and loader. */
const serviceConfigs: Record<string, ServiceConfig> = {
  'art-search': { schema: artSearchConfigSchema, upstream: 'met', load: loadArtSearchConfig },
  'model-server': { schema: modelServerConfigSchema, load: loadModelServerConfig },
  'price-orchestrator': { schema: orchestratorConfigSchema, upstream: 'modelServer', load: loadOrchestratorConfig },
};

interface Variant {
  name: string;
  env: string;
  /** An overlay directory under deploy/k8s, or an ad-hoc kustomization composing some. */
  overlay?: string;
  compose?: { resources: string[]; components: string[]; images: { name: string; newName: string; newTag: string }[] };
}

const variants: Variant[] = [
  { name: 'the dev overlay', env: 'dev', overlay: 'overlays/dev' },
  { name: 'the prod overlay', env: 'prod', overlay: 'overlays/prod' },
  {
    name: 'the prod overlay with the model-from-volume component',
    env: 'prod',
    compose: {
      resources: ['overlays/prod'],
      components: ['components/model-from-volume'],
      images: [{ name: 'housing-price-model', newName: 'registry.example.com/mlms/housing-price-model', newTag: '1' }],
    },
  },
];

const temporaryDirectories: string[] = [];
afterAll(() => {
  for (const directory of temporaryDirectories.splice(0)) rmSync(directory, { recursive: true, force: true });
});

function temporaryDirectory(prefix: string): string {
  const directory = mkdtempSync(join(tmpdir(), prefix));
  temporaryDirectories.push(directory);
  return directory;
}

function render(variant: Variant): { stdout: string; stderr: string } {
  let directory = join(k8s, variant.overlay ?? '');
  if (variant.compose) {
    // kustomize refuses absolute paths to bases and components: point at them relative to the temporary root.
    directory = temporaryDirectory('k8s-variant-');
    const toK8s = (path: string) => relative(directory, join(k8s, path)).split('\\').join(posix.sep);
    const kustomization = {
      apiVersion: 'kustomize.config.k8s.io/v1beta1',
      kind: 'Kustomization',
      resources: variant.compose.resources.map(toK8s),
      components: variant.compose.components.map(toK8s),
      images: variant.compose.images,
    };
    writeFileSync(join(directory, 'kustomization.yaml'), stringify(kustomization));
  }
  const result = spawnSync('kubectl', ['kustomize', directory], { encoding: 'utf8', maxBuffer: 16 * 1024 * 1024 });
  if (result.status !== 0) throw new Error(`kubectl kustomize ${directory} failed:\n${result.stderr}`);
  return { stdout: result.stdout, stderr: result.stderr };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Fields the schema does not define, as JSON pointers: kubernetes-models ignores them, `kubectl --validate=strict`
 * rejects them. The schemas ship only as compiled validators, so the object is validated through proxies that record
 * which properties the validator reads: it reads every property its schema defines, and enumerates the keys of
 * free-form maps (labels, ConfigMap data, resource lists). A key never read is not in the schema.
 */
function unknownFields(model: ModelClass, object: unknown): string[] {
  const read = new WeakMap<object, Set<PropertyKey>>();
  const proxies = new WeakMap<object, object>();
  const track = (value: unknown): unknown => {
    if (typeof value !== 'object' || value === null) return value;
    const known = proxies.get(value);
    if (known) return known;
    const seen = new Set<PropertyKey>();
    read.set(value, seen);
    const proxy = new Proxy(value, {
      get(target, key, receiver) {
        seen.add(key);
        return track(Reflect.get(target, key, receiver));
      },
      has(target, key) {
        seen.add(key);
        return Reflect.has(target, key);
      },
      ownKeys(target) {
        const keys = Reflect.ownKeys(target);
        for (const key of keys) seen.add(key);
        return keys;
      },
    });
    proxies.set(value, proxy);
    return proxy;
  };
  try {
    model.prototype.validate.call(track(object));
  } catch {
    // Schema errors are the other check's to report; this one only looks for fields never read.
  }
  const unknown: string[] = [];
  const walk = (value: unknown, path: string) => {
    if (Array.isArray(value)) {
      value.forEach((item, index) => {
        walk(item, `${path}/${index}`);
      });
    } else if (isRecord(value)) {
      const seen = read.get(value);
      for (const [key, item] of Object.entries(value)) {
        if (seen?.has(key)) walk(item, `${path}/${key}`);
        else unknown.push(`${path}/${key}`);
      }
    }
  };
  walk(object, '');
  return unknown;
}

const healthPaths = { live: '/health/live', ready: '/health/ready' };

/** CPU in cores or memory in bytes, from a Kubernetes quantity (`500m`, `2`, `256Mi`). */
function quantity(value: string | number | undefined): number {
  if (typeof value === 'number') return value;
  const match = /^(\d+(?:\.\d+)?)(m|k|M|G|Ki|Mi|Gi)?$/.exec(value ?? '');
  if (!match) throw new Error(`not a quantity: ${value}`);
  const factors: Record<string, number> = { m: 1e-3, k: 1e3, M: 1e6, G: 1e9, Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30 };
  return Number(match[1]) * (match[2] ? (factors[match[2]] as number) : 1);
}

function matches(selector: Record<string, string> | undefined, labels: Record<string, string> | undefined): boolean {
  const entries = Object.entries(selector ?? {});
  return entries.length > 0 && entries.every(([key, value]) => labels?.[key] === value);
}

/** One rendered variant, with the lookups the assertions share. */
class Rendered {
  readonly objects: K8sObject[];

  constructor(
    readonly variant: Variant,
    readonly stderr: string,
    stdout: string,
  ) {
    this.objects = parseAllDocuments(stdout).map((document) => document.toJS() as K8sObject);
  }

  ofKind<T>(kind: string): (T & K8sObject)[] {
    return this.objects.filter((object) => object.kind === kind) as (T & K8sObject)[];
  }

  get deployments() {
    return this.ofKind<IDeployment>('Deployment');
  }

  configMap(name: string | undefined): (IConfigMap & K8sObject) | undefined {
    return this.ofKind<IConfigMap>('ConfigMap').find((configMap) => configMap.metadata.name === name);
  }

  /** The environment variables of a container, from `env` values and `envFrom` ConfigMaps. */
  variables(container: IContainer): Record<string, string> {
    const variables: Record<string, string> = {};
    for (const source of container.envFrom ?? []) {
      const configMap = this.configMap(source.configMapRef?.name);
      if (!configMap)
        throw new Error(`${container.name}: envFrom names a missing ConfigMap ${source.configMapRef?.name}`);
      Object.assign(variables, configMap.data);
    }
    for (const variable of container.env ?? []) {
      if (variable.value !== undefined) variables[variable.name] = variable.value;
    }
    return variables;
  }

  /** The YAML text CONFIG_FILE names in a container, read from the ConfigMap volume mounted over its directory. */
  configFile(pod: IPodSpec, container: IContainer): { configMap: string; text: string } | undefined {
    const file = this.variables(container).CONFIG_FILE;
    if (file === undefined) return undefined;
    const mount = container.volumeMounts?.find((candidate) => posix.dirname(file) === candidate.mountPath);
    const volume = pod.volumes?.find((candidate) => candidate.name === mount?.name);
    const configMap = this.configMap(volume?.configMap?.name);
    if (!mount || !volume?.configMap || !configMap) {
      throw new Error(`${container.name}: CONFIG_FILE=${file} is not in a directory mounted from a ConfigMap`);
    }
    const key = volume.configMap.items?.find((item) => item.path === posix.basename(file))?.key ?? posix.basename(file);
    const text = configMap.data?.[key];
    if (text === undefined)
      throw new Error(`${container.name}: ConfigMap ${configMap.metadata.name} has no key ${key}`);
    return { configMap: configMap.metadata.name, text };
  }

  /** The fewest replicas a Deployment runs: its autoscaler's minimum, else its replicas (1 when unset). */
  minReplicas(deployment: IDeployment & K8sObject): number {
    const autoscaler = this.ofKind<IHorizontalPodAutoscaler>('HorizontalPodAutoscaler').find(
      (candidate) => candidate.spec?.scaleTargetRef.name === deployment.metadata.name,
    );
    return autoscaler ? (autoscaler.spec?.minReplicas ?? 1) : (deployment.spec?.replicas ?? 1);
  }
}

/** Loads a config text through the service's loader, dropping the pending keys its schema does not know yet. */
function loadServiceConfig(
  service: ServiceConfig,
  text: string,
  variables: Record<string, string>,
): { config: LoadedConfig & Record<string, unknown> } {
  // The service's own strict schema is the check: a key it does not know, or one it needs and the ConfigMap lacks,
  // fails here with the loader's message.
  const file = join(temporaryDirectory('k8s-config-'), 'config.yaml');
  writeFileSync(file, text);
  return { config: service.load({ ...variables, CONFIG_FILE: file }) };
}

describe('unknownFields (the strict field check)', () => {
  it('given a Deployment with a misspelt probe and an unknown top-level key, when checked, then both are reported', () => {
    // Given
    const deployment = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'x', labels: { 'any-label': 'is fine' } },
      spec: {
        selector: { matchLabels: { app: 'x' } },
        template: {
          metadata: { labels: { app: 'x' } },
          spec: { containers: [{ name: 'x', image: 'x', livenesProbe: {}, resources: { limits: { cpu: '1' } } }] },
        },
      },
      extra: true,
    };

    // When
    const unknown = unknownFields(Deployment, deployment);

    // Then
    expect(unknown).toEqual(['/spec/template/spec/containers/0/livenesProbe', '/extra']);
  });
});

describe.skipIf(unavailable !== undefined).each(variants)('given $name rendered by kubectl kustomize', (variant) => {
  let rendered: Rendered;
  beforeAll(() => {
    const { stdout, stderr } = render(variant);
    rendered = new Rendered(variant, stderr, stdout);
  });

  it('when rendered, then kustomize prints no warning (no deprecated syntax)', () => {
    expect(rendered.stderr).toBe('');
    expect(rendered.objects.length).toBeGreaterThan(0);
  });

  it('when each object is validated against the Kubernetes schema of its apiVersion and kind, then all pass', () => {
    const problems: string[] = [];
    for (const object of rendered.objects) {
      const where = `${object.kind} ${object.metadata?.name}`;
      const model = models[`${object.apiVersion}/${object.kind}`];
      if (!model) {
        problems.push(`${where}: no schema for ${object.apiVersion} ${object.kind} (add it to the test's models)`);
        continue;
      }
      try {
        new model(object as never).validate();
      } catch (error) {
        problems.push(`${where}: ${(error as Error).message}`);
      }
      for (const field of unknownFields(model, object)) problems.push(`${where}: unknown field ${field}`);
    }
    expect(problems).toEqual([]);
  });

  it('when the namespace is read, then every object is in the one namespace, which enforces the restricted pod standard', () => {
    const namespaces = rendered.ofKind('Namespace');
    expect(namespaces).toHaveLength(1);
    const namespace = namespaces[0] as K8sObject;
    expect(namespace.metadata.labels?.['pod-security.kubernetes.io/enforce']).toBe('restricted');
    for (const object of rendered.objects.filter((candidate) => candidate.kind !== 'Namespace')) {
      expect(object.metadata.namespace, `${object.kind} ${object.metadata.name}`).toBe(namespace.metadata.name);
    }
  });

  it('when each Deployment is read, then it has probes, resources, a locked-down security context, /tmp and a shutdown budget', () => {
    expect(rendered.deployments.length).toBeGreaterThan(0);
    for (const deployment of rendered.deployments) {
      const name = deployment.metadata.name;
      const pod = deployment.spec?.template.spec as IPodSpec;
      expect(pod.automountServiceAccountToken, name).toBe(false);
      expect(pod.enableServiceLinks, name).toBe(false);
      expect(pod.securityContext, name).toMatchObject({
        runAsNonRoot: true,
        runAsUser: 1000,
        seccompProfile: { type: 'RuntimeDefault' },
      });
      for (const container of [...(pod.initContainers ?? []), ...pod.containers]) {
        const where = `${name}/${container.name}`;
        expect(container.securityContext, where).toMatchObject({
          runAsNonRoot: true,
          runAsUser: 1000,
          readOnlyRootFilesystem: true,
          allowPrivilegeEscalation: false,
          seccompProfile: { type: 'RuntimeDefault' },
        });
        expect(container.securityContext?.capabilities?.drop, where).toContain('ALL');
        for (const resource of ['cpu', 'memory']) {
          const request = quantity(container.resources?.requests?.[resource]);
          const limit = quantity(container.resources?.limits?.[resource]);
          expect(request, `${where} ${resource} request`).toBeGreaterThan(0);
          expect(limit, `${where} ${resource} limit`).toBeGreaterThanOrEqual(request);
        }
        // The root filesystem is read-only: whatever a container may write to is an emptyDir.
        for (const mount of container.volumeMounts?.filter((candidate) => !candidate.readOnly) ?? []) {
          const volume = pod.volumes?.find((candidate) => candidate.name === mount.name);
          expect(volume?.emptyDir, `${where} writes to ${mount.mountPath}`).toBeDefined();
        }
      }

      const [container, ...sidecars] = pod.containers;
      expect(sidecars, name).toEqual([]);
      if (!container) throw new Error(`${name} has no container`);
      const portNames = (container.ports ?? []).map((port) => port.name);
      // The emulator has no /health routes; its admin health route neither counts in its stats nor takes faults.
      const probes =
        name === 'met-emulator' ? { live: '/__emulator/health', ready: '/__emulator/health' } : healthPaths;
      expect(container.livenessProbe?.httpGet?.path, name).toBe(probes.live);
      expect(container.readinessProbe?.httpGet?.path, name).toBe(probes.ready);
      for (const probe of [container.livenessProbe, container.readinessProbe, container.startupProbe]) {
        if (probe) expect(portNames, `${name} probes a named port`).toContain(probe.httpGet?.port);
      }
      // Loading the model takes seconds before the port opens: without a startup probe liveness could kill it.
      if (name === 'model-server') expect(container.startupProbe?.httpGet?.path, name).toBe('/health/live');

      const tmp = container.volumeMounts?.find((mount) => mount.mountPath === '/tmp');
      expect(pod.volumes?.find((volume) => volume.name === tmp?.name)?.emptyDir, `${name} /tmp`).toBeDefined();
      expect(tmp?.readOnly, `${name} /tmp`).not.toBe(true);

      const preStop = container.lifecycle?.preStop;
      const preStopSeconds = preStop?.sleep?.seconds ?? (preStop?.exec ? 5 : 0);
      expect(preStopSeconds, `${name} preStop wait`).toBeGreaterThanOrEqual(5);
      // SIGTERM comes after preStop; the service then drains and waits for in-flight requests, all within the grace
      // period, which also needs a margin for the exit itself.
      const file = rendered.configFile(pod, container);
      const section = file ? (parse(file.text) as Record<string, Record<string, number>>)[rendered.variant.env] : {};
      const drainSeconds = (section?.shutdownDrainMs ?? 0) / 1000;
      const graceSeconds = (section?.shutdownGraceMs ?? 0) / 1000;
      expect(pod.terminationGracePeriodSeconds, `${name} grace period`).toBeGreaterThanOrEqual(
        preStopSeconds + drainSeconds + graceSeconds + 5,
      );
    }
  });

  it('when the replicas and images are read, then they are what the environment promises', () => {
    const names = rendered.deployments.map((deployment) => deployment.metadata.name).sort();
    const images = rendered.deployments.flatMap((deployment) =>
      [
        ...(deployment.spec?.template.spec?.initContainers ?? []),
        ...(deployment.spec?.template.spec?.containers ?? []),
      ].map((container) => container.image ?? ''),
    );
    if (rendered.variant.env === 'dev') {
      expect(names).toEqual(['art-search', 'met-emulator', 'model-server', 'price-orchestrator']);
      expect(rendered.ofKind('HorizontalPodAutoscaler')).toEqual([]);
      for (const deployment of rendered.deployments)
        expect(deployment.spec?.replicas, deployment.metadata.name).toBe(1);
      for (const image of images) expect(image).toMatch(/:dev$/);
    } else {
      expect(names).toEqual(['art-search', 'model-server', 'price-orchestrator']);
      for (const deployment of rendered.deployments) {
        expect(rendered.minReplicas(deployment), deployment.metadata.name).toBeGreaterThanOrEqual(2);
      }
      // Pinned: a registry, and a release tag or digest, never a moving tag.
      for (const image of images)
        expect(image).toMatch(/^[a-z0-9.-]+\.[a-z]+\/[^:@]+(:[\w.-]+)?(@sha256:[0-9a-f]{64})?$/);
      for (const image of images) expect(image).not.toMatch(/:(latest|dev)$|^[^:@]+$/);
    }
  });

  it('when each HorizontalPodAutoscaler is read, then it scales an existing Deployment that leaves replicas to it', () => {
    const autoscalers = rendered.ofKind<IHorizontalPodAutoscaler>('HorizontalPodAutoscaler');
    if (rendered.variant.env === 'prod') {
      const targets = autoscalers.map((autoscaler) => autoscaler.spec?.scaleTargetRef.name).sort();
      expect(targets).toEqual(['model-server', 'price-orchestrator']);
    }
    for (const autoscaler of autoscalers) {
      const target = autoscaler.spec?.scaleTargetRef;
      const deployment = rendered.deployments.find((candidate) => candidate.metadata.name === target?.name);
      expect(target, autoscaler.metadata.name).toMatchObject({ apiVersion: 'apps/v1', kind: 'Deployment' });
      expect(deployment, `${autoscaler.metadata.name} targets ${target?.name}`).toBeDefined();
      // An apply would otherwise reset the autoscaler's count to the Deployment's.
      expect(deployment?.spec?.replicas, `${target?.name} replicas`).toBeUndefined();
      expect(autoscaler.spec?.maxReplicas).toBeGreaterThanOrEqual(autoscaler.spec?.minReplicas ?? 1);
      // Utilization targets are relative to the CPU request.
      for (const container of deployment?.spec?.template.spec?.containers ?? []) {
        expect(container.resources?.requests?.cpu, `${target?.name} CPU request`).toBeDefined();
      }
    }
  });

  it('when the PodDisruptionBudgets are read, then each Deployment of more than one replica has one that lets one pod go', () => {
    const budgets = rendered.ofKind<IPodDisruptionBudget>('PodDisruptionBudget');
    for (const deployment of rendered.deployments) {
      const labels = deployment.spec?.template.metadata?.labels;
      const budget = budgets.filter((candidate) => matches(candidate.spec?.selector?.matchLabels, labels));
      const replicas = rendered.minReplicas(deployment);
      if (replicas > 1) {
        expect(budget, `${deployment.metadata.name} budget`).toHaveLength(1);
        expect(budget[0]?.spec?.minAvailable, deployment.metadata.name).toBe(1);
      }
    }
    for (const budget of budgets) {
      const selected = rendered.deployments.filter((deployment) =>
        matches(budget.spec?.selector?.matchLabels, deployment.spec?.template.metadata?.labels),
      );
      expect(selected, `${budget.metadata.name} selects one Deployment`).toHaveLength(1);
    }
  });

  it('when each Service is read, then it selects the pods of one Deployment and targets a named container port', () => {
    const services = rendered.ofKind<IService>('Service');
    expect(services.map((service) => service.metadata.name).sort()).toEqual(
      rendered.deployments.map((deployment) => deployment.metadata.name).sort(),
    );
    for (const service of services) {
      const selected = rendered.deployments.filter((deployment) =>
        matches(service.spec?.selector, deployment.spec?.template.metadata?.labels),
      );
      expect(selected, `${service.metadata.name} selects one Deployment`).toHaveLength(1);
      const ports = selected[0]?.spec?.template.spec?.containers.flatMap((container) => container.ports ?? []) ?? [];
      for (const port of service.spec?.ports ?? []) {
        expect(typeof port.targetPort, `${service.metadata.name} targetPort is a name`).toBe('string');
        expect(ports.map((candidate) => candidate.name)).toContain(port.targetPort);
      }
    }
  });

  it("when each service's ConfigMap is loaded through the service's own config schema, then it is valid for the overlay's ENV", () => {
    const used = new Set<string>();
    for (const deployment of rendered.deployments) {
      const pod = deployment.spec?.template.spec as IPodSpec;
      for (const container of pod.containers) {
        for (const source of container.envFrom ?? []) used.add(source.configMapRef?.name ?? '');
        const variables = rendered.variables(container);
        const file = rendered.configFile(pod, container);
        const service = serviceConfigs[container.name];
        // Every service with a YAML config reads it from the ConfigMap; the emulator has none.
        expect(file !== undefined, `${container.name} CONFIG_FILE`).toBe(service !== undefined);
        if (!file || !service) continue;
        used.add(file.configMap);
        expect(variables.ENV, container.name).toBe(rendered.variant.env);
        // Only the selected environment: the service's own YAML stays the source of the others.
        expect(Object.keys(parse(file.text) as object), file.configMap).toEqual([rendered.variant.env]);

        const { config } = loadServiceConfig(service, file.text, variables);

        expect(config.env).toBe(rendered.variant.env);
        expect(config.host, container.name).toBe('0.0.0.0');
        expect(container.ports?.map((port) => port.containerPort)).toContain(config.port);
        if (container.name === 'model-server') {
          // The baked-in model (the image's MODEL_URI), or a directory mounted into the container.
          const mounts = container.volumeMounts?.map((mount) => mount.mountPath) ?? [];
          expect(['/app/model', ...mounts]).toContain(config.modelUri);
        }
        // Upstreams inside the cluster are Services of this overlay, on a port they expose.
        const upstream = service.upstream ? (config[service.upstream] as { url: string }) : undefined;
        const url = upstream ? new URL(upstream.url) : undefined;
        if (url && !url.hostname.includes('.')) {
          const target = rendered
            .ofKind<IService>('Service')
            .find((candidate) => candidate.metadata.name === url.hostname);
          expect(target, `${container.name} calls ${url.origin}`).toBeDefined();
          expect(target?.spec?.ports?.map((port) => String(port.port))).toContain(url.port);
        }
        if (rendered.variant.env === 'prod') expect(url?.hostname ?? '', container.name).not.toBe('met-emulator');
      }
    }
    const configMaps = rendered.ofKind<IConfigMap>('ConfigMap').map((configMap) => configMap.metadata.name);
    expect(
      configMaps.filter((name) => !used.has(name)),
      'ConfigMaps nothing reads',
    ).toEqual([]);
  });
});
