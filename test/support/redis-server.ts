import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A private redis-server child process on a free port, for fault-injection tests. */
export interface RedisServer {
  port: number;
  url: string;
  readonly pid: number;
  /** SIGKILL: connections reset, data gone. */
  kill(): Promise<void>;
  /** SIGSTOP: the process freezes, connections stay open and go silent. */
  pause(): void;
  /** SIGCONT after `pause`. */
  resume(): void;
  /**
   * Kills (if running) and starts the server again on the same port: empty, unless an explicit
   * SAVE wrote a snapshot, which it then loads (as a persistent Redis would after a crash).
   */
  restart(): Promise<void>;
  /** Ends the server for good. */
  stop(): Promise<void>;
}

/** True when `redis-server` can be run here. */
export function isRedisAvailable(): boolean {
  const probe = spawnSync('redis-server', ['--version'], { stdio: 'ignore' });
  return probe.error === undefined && probe.status === 0;
}

/**
 * Whether a suite that needs Redis should run. Without redis-server the suite is skipped,
 * unless REQUIRE_REDIS=1 (CI), where that is an error.
 */
export function shouldRunRedisSuites(): boolean {
  if (isRedisAvailable()) return true;
  if (process.env['REQUIRE_REDIS'] === '1') {
    throw new Error('REQUIRE_REDIS=1 but redis-server is not installed or not on PATH');
  }
  process.stdout.write('redis-server not found: skipping (set REQUIRE_REDIS=1 to fail)\n');
  return false;
}

/**
 * Starts `redis-server` on a free port and waits for PING. It saves nothing by itself; an
 * explicit SAVE writes a snapshot into its own folder, which a `restart` loads again.
 */
export async function startRedisServer(): Promise<RedisServer> {
  const port = await freePort();
  const folder = mkdtempSync(join(tmpdir(), 'eventflow-redis-'));
  const options = ['--dir', folder];
  let child = await launch(port, options);
  const live = new Set<ChildProcess>([child]);
  const killAll = () => {
    for (const server of live) server.kill('SIGKILL');
  };
  process.once('exit', killAll);

  const kill = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;
    live.delete(child);
  };

  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    get pid() {
      return child.pid as number;
    },
    kill,
    pause: () => child.kill('SIGSTOP'),
    resume: () => child.kill('SIGCONT'),
    async restart() {
      await kill();
      child = await launch(port, options);
      live.add(child);
    },
    async stop() {
      await kill();
      process.removeListener('exit', killAll);
      rmSync(folder, { recursive: true, force: true });
    },
  };
}

/** A private Redis Cluster of masters without replicas. */
export interface RedisCluster {
  /** `127.0.0.1:port` of every node. */
  nodes: string[];
  stop(): Promise<void>;
}

/**
 * Starts `size` cluster-enabled redis-server processes, joins them with
 * `redis-cli --cluster create` and waits until every node reports the cluster ok.
 */
export async function startRedisCluster(size = 3): Promise<RedisCluster> {
  const folder = mkdtempSync(join(tmpdir(), 'eventflow-redis-cluster-'));
  const children: ChildProcess[] = [];
  const ports: number[] = [];
  const killAll = () => {
    for (const child of children) child.kill('SIGKILL');
  };
  process.once('exit', killAll);
  const stop = async () => {
    process.removeListener('exit', killAll);
    await Promise.all(
      children.map((child) => {
        if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGKILL');
        return exited;
      }),
    );
    rmSync(folder, { recursive: true, force: true });
  };

  try {
    for (let i = 0; i < size; i++) {
      // The cluster bus listens on port + 10000, so ports stay below 55536.
      const port = await freePort(20_000, 30_000);
      ports.push(port);
      children.push(
        await launch(port, [
          '--cluster-enabled',
          'yes',
          '--cluster-config-file',
          join(folder, `nodes-${port}.conf`),
          '--cluster-node-timeout',
          '2000',
          '--dir',
          folder,
        ]),
      );
    }
    const nodes = ports.map((port) => `127.0.0.1:${port}`);
    const created = spawnSync(
      'redis-cli',
      ['--cluster', 'create', ...nodes, '--cluster-replicas', '0', '--cluster-yes'],
      { encoding: 'utf8', timeout: 20_000 },
    );
    if (created.status !== 0) throw new Error(`cluster create failed: ${created.stdout}`);

    const deadline = Date.now() + 20_000;
    while (!ports.every((port) => clusterIsOk(port))) {
      if (Date.now() > deadline) throw new Error('the cluster did not become ok');
      await sleep(100);
    }
    return { nodes, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

function clusterIsOk(port: number): boolean {
  const info = spawnSync('redis-cli', ['-p', String(port), 'cluster', 'info'], {
    encoding: 'utf8',
  });
  return info.stdout.includes('cluster_state:ok');
}

async function launch(port: number, extra: string[] = []): Promise<ChildProcess> {
  const child = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', ...extra],
    { stdio: 'ignore' },
  );
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`redis-server exited with ${child.exitCode}`);
    if (await answersPing(port)) return child;
    await sleep(25);
  }
  child.kill('SIGKILL');
  throw new Error(`redis-server did not answer PING on port ${port}`);
}

function answersPing(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(500, () => done(false));
    socket.once('error', () => done(false));
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.once('data', (data) => done(data.toString().startsWith('+PONG')));
  });
}

/** A free port: any, or one in [from, to) whose cluster-bus twin (+10000) is free too. */
async function freePort(from?: number, to?: number): Promise<number> {
  if (from === undefined || to === undefined) return listenOn(0);

  for (let attempt = 0; attempt < 50; attempt++) {
    const port = from + Math.floor(Math.random() * (to - from));
    try {
      await listenOn(port);
      await listenOn(port + 10_000);
      return port;
    } catch {
      // Taken: try another.
    }
  }
  throw new Error(`no free port pair in ${from}..${to}`);
}

function listenOn(port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      const address = server.address();
      const bound = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(bound));
    });
  });
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
