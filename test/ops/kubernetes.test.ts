import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { Deployment } from 'kubernetes-models/apps/v1/Deployment';
import { HorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1/PodDisruptionBudget';
import { ConfigMap } from 'kubernetes-models/v1/ConfigMap';
import { Secret } from 'kubernetes-models/v1/Secret';
import { Service } from 'kubernetes-models/v1/Service';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { parseAllDocuments } from 'yaml';
import { ConfigError, loadConfig, PLACEHOLDER_SECRET } from '../../src/config.js';
import { ROUTES } from '../../src/server/routes.js';
import { configVariables, repoFile, root } from './support/compose-model.js';

/**
 * The Kubernetes manifests in ops/k8s parse, validate against the Kubernetes API schemas
 * shipped by the kubernetes-models package, and fit together: probes point at real
 * routes, selectors match, names referenced exist, the pod runs locked down.
 */

const FOLDER = 'ops/k8s';

interface Manifest {
  file: string;
  object: any;
}

/** The API kinds we ship, each with the model that validates it. */
const MODELS: Record<string, new (data: any) => { validate(): void }> = {
  'apps/v1/Deployment': Deployment,
  'autoscaling/v2/HorizontalPodAutoscaler': HorizontalPodAutoscaler,
  'policy/v1/PodDisruptionBudget': PodDisruptionBudget,
  'v1/ConfigMap': ConfigMap,
  'v1/Secret': Secret,
  'v1/Service': Service,
};

function loadManifests(): Manifest[] {
  const manifests: Manifest[] = [];
  for (const file of readdirSync(join(root, FOLDER)).sort()) {
    if (!file.endsWith('.yaml') || file === 'kustomization.yaml') continue;
    for (const document of parseAllDocuments(repoFile(`${FOLDER}/${file}`))) {
      if ('errors' in document && document.errors.length > 0) {
        throw new Error(`${file}: ${document.errors.map((e) => e.message).join('\n')}`);
      }
      const object = document.toJS() as unknown;
      if (object !== null) manifests.push({ file, object });
    }
  }
  return manifests;
}

const manifests = loadManifests();

function only(kind: string): any {
  const found = manifests.filter((m) => m.object.kind === kind);
  assert.is(found.length, 1, `exactly one ${kind}`);
  return found[0]!.object;
}

const deployment = only('Deployment');
const podSpec = deployment.spec.template.spec;
const container = podSpec.containers.find((c: any) => c.name === 'api');
const configMap = only('ConfigMap');
const secret = only('Secret');

const schemas = suite('kubernetes schemas');

schemas('every manifest validates against its Kubernetes API schema', () => {
  assert.ok(manifests.length >= 6, 'Deployment, Service, HPA, PDB, ConfigMap, Secret');
  for (const { file, object } of manifests) {
    const key = `${object.apiVersion}/${object.kind}`;
    const Model = MODELS[key];
    if (Model === undefined) return assert.unreachable(`${file}: no schema for ${key}`);
    try {
      new Model(object).validate();
    } catch (error) {
      assert.unreachable(`${file}: ${(error as Error).message}`);
    }
  }
});

schemas('the schema check is real: a wrong type or a missing field is rejected', () => {
  const broken = structuredClone(deployment);
  broken.spec.template.spec.containers[0].ports[0].containerPort = 'http';
  assert.throws(() => new Deployment(broken).validate(), /containerPort/);
  const noSelector = structuredClone(deployment);
  delete noSelector.spec.selector;
  assert.throws(() => new Deployment(noSelector).validate(), /selector/);
});

schemas('every kind the issue asks for is there', () => {
  const kinds = manifests.map((m) => m.object.kind).sort();
  assert.equal(kinds, [
    'ConfigMap',
    'Deployment',
    'HorizontalPodAutoscaler',
    'PodDisruptionBudget',
    'Secret',
    'Service',
  ]);
});

schemas('kustomization lists every manifest except the Secret template', () => {
  const kustomization = parseAllDocuments(repoFile(`${FOLDER}/kustomization.yaml`))[0]!.toJS();
  const expected = [...new Set(manifests.map((m) => m.file))]
    .filter((file) => file !== 'secret.example.yaml')
    .sort();
  assert.equal([...(kustomization.resources as string[])].sort(), expected);
});

schemas.run();

const probes = suite('kubernetes probes');

function routeOf(path: string) {
  const route = ROUTES.find((r) => r.method === 'GET' && r.path === path);
  if (route === undefined) throw new Error(`${path} is not a route of the API`);
  assert.not.ok(route.isProtected, `${path} needs no token`);
  return route;
}

probes('liveness asks /health/live, readiness /health/ready: real, public routes', () => {
  assert.is(container.livenessProbe.httpGet.path, '/health/live');
  assert.is(routeOf('/health/live').operation, 'health.live');
  assert.is(container.readinessProbe.httpGet.path, '/health/ready');
  assert.is(routeOf('/health/ready').operation, 'health.ready');
  assert.is(container.startupProbe.httpGet.path, '/health/live');
});

probes('probes use the container port the API listens on', () => {
  const ports = container.ports as { name: string; containerPort: number }[];
  for (const probe of ['livenessProbe', 'readinessProbe', 'startupProbe']) {
    const port = container[probe].httpGet.port;
    const named = ports.find((p) => p.name === port || p.containerPort === port);
    assert.ok(named, `${probe} port ${port} is a container port`);
    assert.is(named?.containerPort, Number(configMap.data.PORT), `${probe} hits PORT`);
  }
});

probes(
  'start-up may take a while (migrations), liveness may not restart a pod for a DB outage',
  () => {
    const startup = container.startupProbe;
    assert.ok(startup.periodSeconds * startup.failureThreshold >= 60, 'a minute to migrate');
    assert.not.equal(container.livenessProbe.httpGet.path, '/health/ready');
  },
);

probes.run();

const pod = suite('kubernetes pod');

pod('resources: requests and limits for CPU and memory; WORKERS fits the CPU limit', () => {
  for (const bound of ['requests', 'limits']) {
    assert.ok(container.resources[bound].cpu, `${bound}.cpu`);
    assert.ok(container.resources[bound].memory, `${bound}.memory`);
  }
  const cpu = String(container.resources.limits.cpu);
  const cores = cpu.endsWith('m') ? Number(cpu.slice(0, -1)) / 1000 : Number(cpu);
  assert.ok(Number(configMap.data.WORKERS) <= Math.max(1, cores), 'no more workers than cores');
});

pod('securityContext: non-root (the image user), no privilege escalation, read-only root', () => {
  const user = /^USER\s+(\d+)(?::(\d+))?/m.exec(repoFile('ops/Dockerfile'));
  assert.ok(user, 'the Dockerfile sets a numeric USER');
  assert.is(podSpec.securityContext.runAsNonRoot, true);
  assert.is(podSpec.securityContext.runAsUser, Number(user?.[1]));
  assert.is(podSpec.securityContext.seccompProfile.type, 'RuntimeDefault');
  assert.is(podSpec.automountServiceAccountToken, false);
  assert.is(container.securityContext.allowPrivilegeEscalation, false);
  assert.is(container.securityContext.readOnlyRootFilesystem, true);
  assert.equal(container.securityContext.capabilities.drop, ['ALL']);
  const tmp = container.volumeMounts.find((m: any) => m.mountPath === '/tmp');
  assert.ok(
    podSpec.volumes.some((v: any) => v.name === tmp?.name && v.emptyDir),
    'writable /tmp',
  );
});

pod('graceful shutdown fits in the grace period: preStop pause + 10 s drain', () => {
  const pause = Number(container.lifecycle.preStop.exec.command[1]);
  assert.equal(container.lifecycle.preStop.exec.command, ['sleep', String(pause)]);
  assert.ok(podSpec.terminationGracePeriodSeconds >= pause + 10 + 5, 'room to drain and flush');
});

pod('image is pinned', () => {
  assert.match(container.image, /:[\w.-]*\d[\w.-]*$|@sha256:[0-9a-f]{64}$/);
  assert.not.match(container.image, /:latest$/);
});

pod.run();

const wiring = suite('kubernetes wiring');

wiring('selectors: Deployment, Service, PDB and HPA all point at the API pods', () => {
  const labels = deployment.spec.template.metadata.labels;
  const matches = (selector: Record<string, string>) =>
    Object.entries(selector).every(([k, v]) => labels[k] === v);
  assert.ok(matches(deployment.spec.selector.matchLabels), 'Deployment selects its pods');

  const service = only('Service');
  assert.ok(matches(service.spec.selector), 'Service selects the pods');
  const target = service.spec.ports[0].targetPort;
  assert.ok(
    container.ports.some((p: any) => p.name === target),
    `targetPort ${target} exists`,
  );

  const pdb = only('PodDisruptionBudget');
  assert.ok(matches(pdb.spec.selector.matchLabels), 'PDB selects the pods');

  const hpa = only('HorizontalPodAutoscaler');
  assert.equal(hpa.spec.scaleTargetRef, {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    name: deployment.metadata.name,
  });
  assert.ok(hpa.spec.minReplicas >= 2, 'at least two pods');
  assert.ok(pdb.spec.minAvailable < hpa.spec.minReplicas, 'a node drain can evict one pod');
  assert.ok(hpa.spec.maxReplicas > hpa.spec.minReplicas);
});

wiring('the pod gets its settings from the ConfigMap and Secret defined here', () => {
  const sources = container.envFrom as any[];
  assert.ok(sources.some((s) => s.configMapRef?.name === configMap.metadata.name));
  assert.ok(sources.some((s) => s.secretRef?.name === secret.metadata.name));
});

wiring('every variable the API needs is set; secrets only in the Secret', () => {
  const known = configVariables();
  const config = configMap.data as Record<string, string>;
  const secrets = secret.stringData as Record<string, string>;
  const all = { ...config, ...secrets };
  for (const name of [
    'NODE_ENV',
    'PORT',
    'DATABASE_URL',
    'REDIS_URL',
    'JWT_SECRET',
    'JWT_ISSUER',
    'JWT_AUDIENCE',
    'CACHE_TTL_SECONDS',
    'WORKERS',
    'DB_POOL_SIZE',
    'LOG_LEVEL',
    'SEQ_URL',
    'SEQ_API_KEY',
    'OTEL_SERVICE_NAME',
    'OTEL_EXPORTER_OTLP_ENDPOINT',
  ]) {
    assert.ok(name in all, `${name} is set`);
  }
  for (const name of Object.keys(all)) {
    assert.ok(name.startsWith('OTEL_') || name === 'NODE_ENV' || known.has(name), name);
  }
  for (const name of ['DATABASE_URL', 'REDIS_URL', 'JWT_SECRET', 'SEQ_API_KEY']) {
    assert.not.ok(name in config, `${name} is not in the ConfigMap`);
  }
});

wiring('the Secret template is refused as is, and accepted once filled in', () => {
  const env = { ...configMap.data, ...secret.stringData } as Record<string, string>;
  assert.is(env.JWT_SECRET, PLACEHOLDER_SECRET);
  try {
    loadConfig(env);
    assert.unreachable('the template secret must be refused');
  } catch (error) {
    assert.instance(error, ConfigError);
    assert.match((error as Error).message, /JWT_SECRET is still the placeholder/);
  }
  const filled = loadConfig({ ...env, JWT_SECRET: 'q'.repeat(24) + 'Z'.repeat(24) });
  assert.is(filled.nodeEnv, 'production');
  assert.is(filled.port, 8079);
  assert.match(filled.databaseUrl, /^sqlserver:\/\//);
});

wiring.run();
