import { spawnSync, type ChildProcess } from 'node:child_process';
import { connect } from 'node:net';
import { sleep } from './http.js';
import { freePort, type ChildRegistry } from './processes.js';

/** True when `redis-server` can be run here. */
export function hasRedisServer(): boolean {
  const probe = spawnSync('redis-server', ['--version'], { stdio: 'ignore' });
  return probe.error === undefined && probe.status === 0;
}

export interface PrivateRedis {
  url: string;
  child: ChildProcess;
}

/**
 * A private redis-server (no persistence, loopback only) for the L2 scenario when no
 * --redis-url is given, pinned to the server CPUs: it is part of the server side.
 */
export async function startPrivateRedis(
  registry: ChildRegistry,
  cpus: string | null,
): Promise<PrivateRedis> {
  const port = await freePort();
  const redisArgs = [
    '--port',
    String(port),
    '--bind',
    '127.0.0.1',
    '--save',
    '',
    '--appendonly',
    'no',
  ];
  const { command, args } =
    cpus === null
      ? { command: 'redis-server', args: redisArgs }
      : { command: 'taskset', args: ['-c', cpus, 'redis-server', ...redisArgs] };
  const child = registry.spawn(command, args, { stdio: 'ignore' });
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    if (await ping(port)) return { url: `redis://127.0.0.1:${port}`, child };
    if (child.exitCode !== null) break;
    await sleep(50);
  }
  await registry.stop(child);
  throw new Error('redis-server did not answer PING');
}

function ping(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.setTimeout(500, () => socket.destroy());
    socket.on('connect', () => socket.write('PING\r\n'));
    socket.on('data', (data: Buffer) => {
      resolve(data.toString().startsWith('+PONG'));
      socket.destroy();
    });
    socket.on('error', () => resolve(false));
    socket.on('close', () => resolve(false));
  });
}
