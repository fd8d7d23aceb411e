import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createConnection, createServer } from 'node:net';

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
  /** Kills (if running) and starts a fresh, empty server on the same port. */
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

/** Starts `redis-server` without persistence on a free port and waits for PING. */
export async function startRedisServer(): Promise<RedisServer> {
  const port = await freePort();
  let child = await launch(port);
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
      child = await launch(port);
      live.add(child);
    },
    async stop() {
      await kill();
      process.removeListener('exit', killAll);
    },
  };
}

async function launch(port: number): Promise<ChildProcess> {
  const child = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
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

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
