import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { ConfigError, loadConfig, PLACEHOLDER_SECRET } from '../../src/config.js';
import { parseSqlServerUrl } from '../../src/db/mssql/sql-server-url.js';
import { ROUTES } from '../../src/server/routes.js';
import {
  activeServices,
  composeModel,
  configVariables,
  isOneShot,
  loadComposeFile,
  parseEnvFile,
  publishedPorts,
  repoFile,
  root,
  validateAgainstComposeSchema,
  type JsonObject,
  type Service,
} from './support/compose-model.js';

/**
 * Static checks of the Compose stack (no Docker engine needed): the files validate against
 * the Compose specification's JSON schema once merged and interpolated, and the services
 * are wired the way docs/deployment.md says.
 */

const BASE = 'docker-compose.yml';
const POSTGRES = 'docker-compose.postgres.yml';
const REPLICAS = 'docker-compose.replicas.yml';

/** What a user's .env looks like once filled in from .env.example. */
const FILLED_ENV = {
  ...parseEnvFile(repoFile('.env.example')),
  JWT_SECRET: 'k2Jx9vQe7LrT4mNp8sWz3yBc6hFd1gUa5oKi0jXq2wRt8yHn',
  MSSQL_SA_PASSWORD: 'Ef-3b9d2c7a41e84f06',
  SEQ_FIRSTRUN_ADMINPASSWORD: 'seq-admin-5f1e2d3c',
  POSTGRES_PASSWORD: 'pg-7c1d9e2b4a',
};

/** The variants documented in docs/deployment.md, as `docker compose -f ... -f ...`. */
const VARIANTS: { name: string; files: string[] }[] = [
  { name: 'SQL Server (default)', files: [BASE] },
  { name: 'PostgreSQL', files: [BASE, POSTGRES] },
  { name: 'replicas', files: [BASE, REPLICAS] },
  { name: 'PostgreSQL + replicas', files: [BASE, POSTGRES, REPLICAS] },
];

/** Variables the API must get in the stack (src/config.ts plus the OTel exporter's). */
const API_REQUIRED = [
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
];

function model(files: string[], env: Record<string, string | undefined> = FILLED_ENV) {
  const result = composeModel(files, env);
  assert.equal(result.errors, [], `interpolation errors for ${files.join(' + ')}`);
  return result.model;
}

function service(services: Service[], name: string): JsonObject {
  const found = services.find((s) => s.name === name);
  if (found === undefined) throw new Error(`no active service ${name}`);
  return found.spec;
}

function environment(spec: JsonObject): Record<string, string> {
  return Object.fromEntries(
    Object.entries(
      (spec.environment ?? {}) as Record<string, string | number | boolean | null>,
    ).map(([k, v]) => [k, String(v ?? '')]),
  );
}

const files = suite('compose files');

files('every Compose file parses, and the files it names exist', () => {
  for (const path of [BASE, POSTGRES, REPLICAS]) {
    const file = loadComposeFile(path);
    assert.type(file.data.services, 'object', `${path} has services`);
  }
  for (const path of ['ops/Dockerfile', 'ops/nginx/eventflow-lb.conf', '.env.example']) {
    assert.ok(existsSync(join(root, path)), `${path} exists`);
  }
});

files('each variant validates against the Compose specification schema', () => {
  for (const variant of VARIANTS) {
    const problems = validateAgainstComposeSchema(model(variant.files));
    assert.equal(problems, [], `${variant.name}: ${problems.join('\n')}`);
  }
});

files('the schema check is real: a broken model is rejected', () => {
  const broken = model([BASE]);
  const services = broken.services as Record<string, JsonObject>;
  services.api!.depends_on = { redis: { condition: 'service_ready' } };
  services.redis!.healthcheck = { test: ['CMD', 'true'], interval: 'ten seconds' };
  services.seq!.restrat = 'always';
  const problems = validateAgainstComposeSchema(broken);
  assert.ok(
    problems.some((p) => p.includes('/services/api/depends_on')),
    problems.join('\n'),
  );
  assert.ok(problems.some((p) => p.includes('/services/redis/healthcheck/interval')));
  assert.ok(problems.some((p) => p.includes('restrat')));
});

files.run();

const wiring = suite('compose wiring');

wiring('images are pinned to concrete tags', () => {
  for (const variant of VARIANTS) {
    for (const { name, spec } of activeServices(model(variant.files))) {
      const image = typeof spec.image === 'string' ? spec.image : '';
      if (spec.build !== undefined) {
        assert.is(image, 'eventflow/api:local', `${name} builds the API image`);
        continue;
      }
      const tag = /:([^:/@]+)$/.exec(image)?.[1];
      assert.ok(tag !== undefined && tag !== 'latest', `${name} pins ${image}`);
      assert.ok(/\d/.test(tag), `${name}: tag ${tag} names a version`);
    }
  }
});

wiring('every long-running service has a healthcheck; one-shots are the migration steps', () => {
  for (const variant of VARIANTS) {
    for (const { name, spec } of activeServices(model(variant.files))) {
      if (isOneShot(spec)) {
        assert.ok(['migrate', 'db-init'].includes(name), `${variant.name}: ${name} is one-shot`);
        continue;
      }
      const healthcheck = spec.healthcheck as JsonObject | undefined;
      assert.ok(healthcheck !== undefined, `${variant.name}: ${name} has a healthcheck`);
      assert.not.ok(healthcheck.disable, `${name}'s healthcheck is enabled`);
      const test = healthcheck.test as string[];
      assert.ok(Array.isArray(test) && ['CMD', 'CMD-SHELL'].includes(test[0]!), `${name} test`);
      assert.ok(test.length > 1, `${name} healthcheck runs something`);
    }
  }
});

wiring('dependencies wait for health (or for a one-shot to succeed), never just for start', () => {
  for (const variant of VARIANTS) {
    const services = activeServices(model(variant.files));
    for (const { name, spec } of services) {
      for (const [dependency, options] of Object.entries((spec.depends_on ?? {}) as JsonObject)) {
        const target = services.find((s) => s.name === dependency);
        if (target === undefined) {
          assert.unreachable(`${variant.name}: ${name} depends on inactive ${dependency}`);
          continue;
        }
        const expected = isOneShot(target.spec)
          ? 'service_completed_successfully'
          : 'service_healthy';
        assert.is((options as JsonObject).condition, expected, `${name} -> ${dependency}`);
      }
    }
  }
});

wiring('migrations run once before the API serves: db-init -> migrate -> api', () => {
  for (const variant of VARIANTS) {
    const services = activeServices(model(variant.files));
    const api = service(services, 'api');
    const migrate = service(services, 'migrate');
    assert.equal(migrate.command, ['node', 'dist/src/migrate.js']);
    assert.is(migrate.image, api.image, 'migrate runs the API image');
    assert.is(
      environment(migrate).DATABASE_URL,
      environment(api).DATABASE_URL,
      `${variant.name}: migrate and api use the same database`,
    );
    assert.equal((api.depends_on as JsonObject).migrate, {
      condition: 'service_completed_successfully',
    });
    const usesSqlServer = environment(api).DATABASE_URL!.startsWith('sqlserver://');
    const migrateWaitsFor = Object.keys(migrate.depends_on as JsonObject);
    assert.equal(migrateWaitsFor, usesSqlServer ? ['db-init'] : ['postgres'], variant.name);
    if (usesSqlServer) {
      const dbInit = service(services, 'db-init');
      assert.match(
        JSON.stringify(dbInit.command),
        /IF DB_ID\(N'eventflow'\) IS NULL CREATE DATABASE/,
      );
      assert.equal(Object.keys(dbInit.depends_on as JsonObject), ['sqlserver']);
    }
  }
});

wiring('the API gets every variable it needs, and only ones it reads', () => {
  const known = configVariables();
  assert.ok(known.has('JWT_SECRET') && known.has('DATABASE_URL'), 'config.ts scanned');
  for (const variant of VARIANTS) {
    const api = environment(service(activeServices(model(variant.files)), 'api'));
    for (const name of API_REQUIRED) {
      assert.ok(name in api, `${variant.name}: api sets ${name}`);
    }
    for (const name of Object.keys(api)) {
      const standard = name.startsWith('OTEL_') || name === 'NODE_ENV';
      assert.ok(standard || known.has(name), `${name} is read by src/config.ts`);
    }
    assert.is(api.NODE_ENV, 'production');
    assert.is(api.REDIS_URL, 'redis://redis:6379');
    assert.is(api.SEQ_URL, 'http://seq');
    assert.is(api.OTEL_EXPORTER_OTLP_ENDPOINT, 'http://jaeger:4318');
    assert.is(api.OTEL_SERVICE_NAME, 'eventflow');
  }
});

wiring('the API configuration loads: refused with the placeholder, accepted when filled in', () => {
  const base = model([BASE]);
  const api = environment(service(activeServices(base), 'api'));

  const config = loadConfig(api);
  assert.is(config.nodeEnv, 'production');
  assert.is(config.port, 8079);
  assert.is(config.redisUrl, 'redis://redis:6379');
  const sql = parseSqlServerUrl(config.databaseUrl);
  assert.is(sql.server, 'sqlserver');
  assert.is(sql.options?.port, 1433);
  assert.is(sql.options?.database, 'eventflow');
  assert.is(sql.options?.encrypt, true);
  assert.is(sql.options?.trustServerCertificate, true);
  assert.is(sql.authentication?.options.userName, 'sa');
  assert.is(sql.authentication?.options.password, FILLED_ENV.MSSQL_SA_PASSWORD);

  const withPlaceholder = environment(
    service(
      activeServices(model([BASE], { ...FILLED_ENV, JWT_SECRET: PLACEHOLDER_SECRET })),
      'api',
    ),
  );
  try {
    loadConfig(withPlaceholder);
    assert.unreachable('the placeholder secret must be refused in production');
  } catch (error) {
    assert.instance(error, ConfigError);
    assert.match((error as Error).message, /JWT_SECRET is still the placeholder/);
  }

  const postgres = environment(service(activeServices(model([BASE, POSTGRES])), 'api'));
  const url = new URL(loadConfig(postgres).databaseUrl);
  assert.is(url.protocol, 'postgres:');
  assert.is(url.hostname, 'postgres');
  assert.is(url.port, '5432');
  assert.is(url.pathname, '/eventflow');
  const pg = service(activeServices(model([BASE, POSTGRES])), 'postgres');
  assert.is(url.username, environment(pg).POSTGRES_USER);
  assert.is(url.pathname.slice(1), environment(pg).POSTGRES_DB);
  assert.is(decodeURIComponent(url.password), FILLED_ENV.POSTGRES_PASSWORD);
});

wiring('the API healthcheck asks a real, public route on the API port', () => {
  const api = service(activeServices(model([BASE])), 'api');
  const test = ((api.healthcheck as JsonObject).test as string[]).join(' ');
  const url = /http:\/\/127\.0\.0\.1:(\d+)(\/[\w/]+)/.exec(test);
  if (url === null) return assert.unreachable(`no URL in ${test}`);
  assert.is(url[1], environment(api).PORT);
  const route = ROUTES.find((r) => r.method === 'GET' && r.path === url[2]);
  if (route === undefined) return assert.unreachable(`${url[2]} is not a route`);
  assert.is(route.operation, 'health.ready');
  assert.not.ok(route.isProtected);
});

wiring('ports: API 8079, Jaeger UI 16686, Seq UI and ingestion 5341', () => {
  const base = activeServices(model([BASE]));
  assert.equal(publishedPorts(service(base, 'api')), [{ published: 8079, target: 8079 }]);
  assert.equal(publishedPorts(service(base, 'jaeger')), [{ published: 16686, target: 16686 }]);
  assert.equal(publishedPorts(service(base, 'seq')), [{ published: 5341, target: 80 }]);
  for (const name of ['sqlserver', 'redis', 'db-init', 'migrate']) {
    assert.equal(publishedPorts(service(base, name)), [], `${name} publishes nothing`);
  }
  const jaegerExpose = (service(base, 'jaeger').expose as string[]).map(String);
  assert.equal(jaegerExpose, ['4317', '4318'], 'OTLP gRPC and HTTP receivers');

  const replicas = activeServices(model([BASE, REPLICAS]));
  assert.equal(publishedPorts(service(replicas, 'api')), [], 'replicas publish no port');
  assert.equal(publishedPorts(service(replicas, 'lb')), [{ published: 8079, target: 80 }]);
});

wiring('the documentation names the same URLs', () => {
  const docs = repoFile('docs/deployment.md');
  for (const url of [
    'http://localhost:8079',
    'http://localhost:8079/swagger',
    'http://localhost:16686',
    'http://localhost:5341',
  ]) {
    assert.ok(docs.includes(url), `docs/deployment.md mentions ${url}`);
  }
  assert.ok(docs.includes('5341'), 'docs mention the Seq ingestion port');
  assert.ok(repoFile('README.md').includes('localhost:8079'), 'README uses port 8079');
});

wiring('SQL Server and Seq keep their data in named volumes', () => {
  for (const variant of VARIANTS) {
    const m = model(variant.files);
    const volumes = Object.keys((m.volumes ?? {}) as JsonObject);
    const mounts = (name: string) =>
      ((service(activeServices(m, ['sqlserver']), name).volumes ?? []) as string[]).map(String);
    assert.ok(mounts('sqlserver').includes('sqlserver-data:/var/opt/mssql'));
    assert.ok(mounts('seq').includes('seq-data:/data'));
    assert.ok(volumes.includes('sqlserver-data') && volumes.includes('seq-data'), variant.name);
  }
  const postgres = service(activeServices(model([BASE, POSTGRES])), 'postgres');
  assert.ok((postgres.volumes as string[]).includes('postgres-data:/var/lib/postgresql/data'));
});

wiring('PostgreSQL variant: SQL Server stays stopped, nothing active depends on it', () => {
  const names = activeServices(model([BASE, POSTGRES])).map((s) => s.name);
  assert.not.ok(names.includes('sqlserver'));
  assert.not.ok(names.includes('db-init'));
  assert.ok(names.includes('postgres'));
});

wiring('replicas variant: several API replicas behind nginx, sharing one Redis', () => {
  for (const files of [
    [BASE, REPLICAS],
    [BASE, POSTGRES, REPLICAS],
  ]) {
    const services = activeServices(model(files));
    const api = service(services, 'api');
    assert.ok(Number((api.deploy as JsonObject).replicas) >= 2, 'at least two replicas');
    assert.is(api.container_name, undefined, 'no container_name (it would block replicas)');
    assert.is(environment(api).REDIS_URL, 'redis://redis:6379');
    assert.is(environment(api).TRUST_PROXY_HOPS, '1', 'rate limits count clients behind nginx');
    assert.is(environment(api).NODE_ENV, 'production', 'the base environment is kept');
    const lb = service(services, 'lb');
    assert.equal(lb.depends_on, { api: { condition: 'service_healthy' } });
    assert.ok(
      (lb.volumes as string[]).includes(
        './ops/nginx/eventflow-lb.conf:/etc/nginx/conf.d/default.conf:ro',
      ),
    );
  }
  const nginx = repoFile('ops/nginx/eventflow-lb.conf');
  const port = environment(service(activeServices(model([BASE])), 'api')).PORT;
  assert.match(nginx, new RegExp(`server api:${port} resolve`), 'upstream is the api service');
  assert.match(nginx, /resolver 127\.0\.0\.11/, "Docker's DNS");
  assert.match(nginx, /location = \/lb-health/);
  assert.match(nginx, /listen 80;/);
  assert.match(nginx, /proxy_set_header X-Forwarded-For \$proxy_add_x_forwarded_for;/);
});

wiring.run();

const secrets = suite('compose secrets');

const SECRET_NAME = /PASSWORD|SECRET|API_KEY|TOKEN/;
const ONLY_REFERENCES = /^(\$\{[A-Z0-9_]+(:?[-?][^}]*)?\})+$/;

secrets('secret-looking variables are only ${...} references to .env', () => {
  let urlPasswords = 0;
  let commandPasswords = 0;
  for (const path of [BASE, POSTGRES, REPLICAS]) {
    const file = loadComposeFile(path);
    const walk = (value: unknown, key: string): void => {
      if (typeof value === 'string') {
        if (SECRET_NAME.test(key)) {
          assert.match(value, ONLY_REFERENCES, `${path}: ${key} is a reference, not a literal`);
          assert.not.match(value, /:-[^}]/, `${path}: ${key} has no default value`);
        }
        // Credentials inside URLs must come from .env as well.
        for (const userinfo of value.matchAll(/:\/\/[^/@\s:$]*:((?:\$\{[^}]*\}|[^@/\s])*)@/g)) {
          urlPasswords++;
          assert.match(userinfo[1]!, ONLY_REFERENCES, `${path}: password in ${key} is a reference`);
        }
        // Passwords on command lines are read from the container's environment.
        for (const argument of value.matchAll(/-P\s+("?)([^\s"]+)\1/g)) {
          commandPasswords++;
          assert.match(argument[2]!, /^\$\$[A-Z_]+$/, `${path}: sqlcmd -P takes $$VARIABLE`);
        }
      } else if (Array.isArray(value)) {
        value.forEach((item) => walk(item, key));
      } else if (value !== null && typeof value === 'object') {
        for (const [k, v] of Object.entries(value)) walk(v, k);
      }
    };
    walk(file.data, '');
    assert.not.ok(file.text.includes(PLACEHOLDER_SECRET), `${path} has no secret value`);
  }
  assert.ok(urlPasswords >= 3, 'the SQL Server and PostgreSQL URLs were checked');
  assert.ok(commandPasswords >= 2, 'the sqlcmd command lines were checked');
});

secrets('.env.example carries the placeholder and no secret; compose refuses it as is', () => {
  const example = parseEnvFile(repoFile('.env.example'));
  assert.is(example.JWT_SECRET, PLACEHOLDER_SECRET, 'the exact placeholder the API refuses');
  for (const name of ['MSSQL_SA_PASSWORD', 'SEQ_FIRSTRUN_ADMINPASSWORD', 'POSTGRES_PASSWORD']) {
    assert.is(example[name], '', `${name} is left empty in the example`);
  }
  assert.is(example.SEQ_API_KEY, '');

  const { errors } = composeModel([BASE, POSTGRES], example);
  const missing = new Set(errors.map((e) => e.variable));
  assert.equal([...missing].sort(), [
    'MSSQL_SA_PASSWORD',
    'POSTGRES_PASSWORD',
    'SEQ_FIRSTRUN_ADMINPASSWORD',
  ]);
  for (const error of errors) assert.match(error.message, /set \w+ in \.env/);

  const { errors: noJwt } = composeModel([BASE], { ...FILLED_ENV, JWT_SECRET: undefined });
  assert.equal(
    [...new Set(noJwt.map((e) => e.variable))],
    ['JWT_SECRET'],
    'no JWT_SECRET, no start',
  );

  // Every variable the Compose files read is documented in .env.example.
  const referenced = new Set<string>();
  for (const path of [BASE, POSTGRES, REPLICAS]) {
    for (const match of repoFile(path).matchAll(/(?<!\$)\$\{([A-Z0-9_]+)/g))
      referenced.add(match[1]!);
  }
  for (const name of referenced) assert.ok(name in example, `.env.example documents ${name}`);
});

secrets('.env stays out of git and out of the image build context', () => {
  const lines = (path: string) =>
    repoFile(path)
      .split('\n')
      .map((line) => line.trim());
  assert.ok(lines('.gitignore').includes('.env'), '.gitignore lists .env');
  assert.ok(lines('.dockerignore').includes('.env'), '.dockerignore lists .env');
  assert.ok(lines('.dockerignore').includes('.env.*'), '.dockerignore lists .env.*');
});

secrets.run();
