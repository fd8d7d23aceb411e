import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { ROUTES } from '../../src/server/routes.js';
import { activeServices, composeModel, repoFile, root } from './support/compose-model.js';

/**
 * Static checks of ops/Dockerfile (no Docker engine here), plus the two health-check
 * commands run for real against a stand-in server.
 */

interface Instruction {
  keyword: string;
  args: string;
}

interface Stage {
  from: string;
  name: string | null;
  instructions: Instruction[];
}

/** Splits a Dockerfile into stages of instructions (continuations joined, comments dropped). */
function parseDockerfile(text: string): { args: Map<string, string>; stages: Stage[] } {
  const lines: string[] = [];
  let pending = '';
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line.startsWith('#') || (line === '' && pending === '')) continue;
    if (line.endsWith('\\')) {
      pending += line.slice(0, -1) + ' ';
      continue;
    }
    lines.push((pending + line).trim());
    pending = '';
  }

  const args = new Map<string, string>();
  const stages: Stage[] = [];
  for (const line of lines) {
    if (line === '') continue;
    const [, keyword = '', rest = ''] = /^(\w+)\s*(.*)$/.exec(line) ?? [];
    const instruction = { keyword: keyword.toUpperCase(), args: rest };
    if (instruction.keyword === 'FROM') {
      const [, from = '', name = null] = /^(\S+)(?:\s+AS\s+(\S+))?/i.exec(rest) ?? [];
      stages.push({ from, name, instructions: [] });
    } else if (stages.length === 0 && instruction.keyword === 'ARG') {
      const [name = '', value = ''] = rest.split('=');
      args.set(name, value);
    } else {
      stages[stages.length - 1]?.instructions.push(instruction);
    }
  }
  return { args, stages };
}

const dockerfile = parseDockerfile(repoFile('ops/Dockerfile'));
const runtime = dockerfile.stages[dockerfile.stages.length - 1]!;

function all(stage: Stage, keyword: string): string[] {
  return stage.instructions.filter((i) => i.keyword === keyword).map((i) => i.args);
}

function stage(name: string): Stage {
  const found = dockerfile.stages.find((s) => s.name === name);
  if (found === undefined) throw new Error(`no stage ${name}`);
  return found;
}

const image = suite('Dockerfile');

image('multi-stage on a pinned Node 20 Debian bookworm-slim (glibc) base', () => {
  assert.ok(dockerfile.stages.length >= 3, 'deps, build and runtime stages');
  const base = dockerfile.args.get('NODE_IMAGE');
  assert.match(base ?? '', /^node:20\.\d+\.\d+-bookworm-slim$/);
  for (const s of dockerfile.stages) assert.is(s.from, '${NODE_IMAGE}', `${s.name} uses the base`);
  assert.is(runtime.name, 'runtime');
});

image('production dependencies only, native addons built (and loaded) on the same base', () => {
  const deps = stage('deps')
    .instructions.map((i) => i.args)
    .join('\n');
  assert.match(deps, /npm ci --omit=dev/);
  assert.match(deps, /python3 make g\+\+/, 'a toolchain for better-sqlite3 when no prebuild fits');
  assert.match(deps, /require\('better-sqlite3'\)/, 'the addon is loaded at build time');
  assert.match(deps, /require\('uWebSockets\.js'\)/, 'the uWS binary is loaded at build time');
  const copies = all(runtime, 'COPY');
  assert.ok(copies.includes('--from=deps /app/node_modules ./node_modules'));
  assert.ok(copies.includes('--from=build /app/dist/src ./dist/src'));
  assert.ok(copies.includes('package.json openapi.json ./'));
  assert.not.ok(
    copies.some((c) => c.includes('--from=build /app/node_modules')),
    'no dev deps',
  );
});

image('the build stage compiles with the project build config', () => {
  const build = stage('build')
    .instructions.map((i) => i.args)
    .join('\n');
  assert.match(build, /npx tsc -p tsconfig\.build\.json/);
  for (const path of [
    'package.json',
    'package-lock.json',
    'tsconfig.json',
    'tsconfig.build.json',
    'openapi.json',
    'src',
  ]) {
    assert.ok(existsSync(join(root, path)), `${path} is in the build context`);
  }
  for (const script of ['src/main.ts', 'src/migrate.ts', 'src/seed.ts']) {
    assert.ok(existsSync(join(root, script)), `${script} exists (compose and docs run it)`);
  }
});

image('runtime: NODE_ENV=production, non-root numeric user, tini as PID 1, main.js', () => {
  const env = all(runtime, 'ENV').join(' ');
  assert.match(env, /NODE_ENV=production/);
  assert.match(env, /PORT=8079/);
  const user = all(runtime, 'USER');
  assert.is(user.length, 1);
  const uid = Number(user[0]!.split(':')[0]);
  assert.ok(Number.isInteger(uid) && uid > 0, `USER ${user[0]} is a non-root uid`);
  assert.equal(all(runtime, 'ENTRYPOINT'), ['["/usr/bin/tini", "--"]']);
  assert.equal(all(runtime, 'CMD'), ['["node", "dist/src/main.js"]']);
  assert.match(all(runtime, 'RUN').join('\n'), /apt-get install -y --no-install-recommends tini/);
  assert.equal(all(runtime, 'EXPOSE'), ['8079']);
  assert.equal(all(runtime, 'STOPSIGNAL'), ['SIGTERM']);
});

image('the lockfile matches package.json, so npm ci in the image installs what we test', () => {
  const pkg = JSON.parse(repoFile('package.json'));
  const lock = JSON.parse(repoFile('package-lock.json'));
  const locked = lock.packages[''];
  assert.equal(locked.dependencies ?? {}, pkg.dependencies ?? {});
  assert.equal(locked.devDependencies ?? {}, pkg.devDependencies ?? {});
});

image('uWebSockets.js ships a glibc binary for Node 20 (ABI 115) on x64 and arm64', () => {
  const folder = join(root, 'node_modules', 'uWebSockets.js', 'binaries');
  for (const arch of ['x64', 'arm64']) {
    assert.ok(existsSync(join(folder, `uws_linux_${arch}_115.node`)), arch);
  }
});

image('.dockerignore keeps secrets, local state and host binaries out of the context', () => {
  const lines = repoFile('.dockerignore')
    .split('\n')
    .map((l) => l.trim());
  for (const entry of ['.env', '.env.*', 'node_modules', 'dist', 'data', '.git']) {
    assert.ok(lines.includes(entry), `.dockerignore lists ${entry}`);
  }
});

image.run();

const health = suite('health-check commands');

/** A stand-in for the API's readiness route: answers `status` on /health/ready. */
async function standIn(status: number): Promise<{ server: Server; port: number }> {
  const server = createServer((req, res) => {
    res.statusCode = req.url === '/health/ready' ? status : 404;
    res.end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, port: (server.address() as AddressInfo).port };
}

function runCheck(script: string, port: number): number | null {
  const result = spawnSync(process.execPath, ['-e', script], {
    env: { PATH: process.env.PATH, PORT: String(port) },
    timeout: 10_000,
  });
  return result.status;
}

const dockerCheck = (() => {
  const line = all(runtime, 'HEALTHCHECK')[0] ?? '';
  const json = /CMD\s+(\[.*\])\s*$/.exec(line)?.[1] ?? '[]';
  return JSON.parse(json) as string[];
})();

health('the image HEALTHCHECK uses node (no curl in the slim image) on /health/ready', () => {
  assert.equal(dockerCheck.slice(0, 2), ['node', '-e']);
  assert.match(dockerCheck[2]!, /\/health\/ready/);
  assert.ok(ROUTES.some((r) => r.method === 'GET' && r.path === '/health/ready' && !r.isProtected));
});

health('the image HEALTHCHECK passes on 200 and fails on 503 or no server', async () => {
  const ok = await standIn(200);
  const down = await standIn(503);
  try {
    // Asynchronous children: the stand-ins answer on this process's event loop.
    assert.is(await runCheckAsync(dockerCheck[2]!, ok.port), 0);
    assert.is(await runCheckAsync(dockerCheck[2]!, down.port), 1);
  } finally {
    ok.server.close();
    down.server.close();
  }
  assert.is(runCheck(dockerCheck[2]!, ok.port), 1, 'nothing listens any more');
});

health('the compose API healthcheck (fixed port 8079) uses the same script', () => {
  const { model } = composeModel(['docker-compose.yml'], {
    JWT_SECRET: 'x'.repeat(48),
    MSSQL_SA_PASSWORD: 'Ef-123abc',
    SEQ_FIRSTRUN_ADMINPASSWORD: 'seq',
  });
  const api = activeServices(model).find((s) => s.name === 'api')!.spec as any;
  const script = api.healthcheck.test[3] as string;
  assert.is(
    script.replace("'http://127.0.0.1:8079/health/ready'", 'URL'),
    dockerCheck[2]!.replace(
      "'http://127.0.0.1:' + (process.env.PORT || 8079) + '/health/ready'",
      'URL',
    ),
  );
});

health.run();

function runCheckAsync(script: string, port: number): Promise<number | null> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['-e', script], {
      env: { PATH: process.env.PATH, PORT: String(port) },
      stdio: 'ignore',
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve(code);
    });
  });
}
