import { spawn, spawnSync, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { cpus } from 'node:os';

/** Where the server and the load generator run. */
export interface Placement {
  pinned: boolean;
  /** taskset CPU list of the servers (API, bare ceiling), null when unpinned. */
  serverCpus: string | null;
  loadCpus: string | null;
  /** Number of CPUs the servers may use (for reading CPU shares). */
  serverCpuCount: number;
  /** How it was placed, for the report. */
  description: string;
}

/** CPUs this process may run on (Cpus_allowed_list), or all of them. */
export function allowedCpus(): number[] {
  try {
    const status = readFileSync('/proc/self/status', 'utf8');
    const list = /^Cpus_allowed_list:\s*(.+)$/m.exec(status)?.[1];
    if (list !== undefined) return expandCpuList(list.trim());
  } catch {
    // not Linux: fall through
  }
  return cpus().map((_, index) => index);
}

export function expandCpuList(list: string): number[] {
  const result: number[] = [];
  for (const part of list.split(',')) {
    const [from, to] = part.split('-').map(Number);
    if (from === undefined || Number.isNaN(from)) continue;
    for (let cpu = from; cpu <= (to ?? from); cpu++) result.push(cpu);
  }
  return result;
}

export function hasTaskset(): boolean {
  const probe = spawnSync('taskset', ['-c', String(allowedCpus()[0] ?? 0), 'true'], {
    stdio: 'ignore',
  });
  return probe.status === 0;
}

/**
 * Server on the first half of the allowed CPUs, load generator on the rest (on a 2-core box:
 * CPU 0 and CPU 1), when taskset exists and there are at least two CPUs.
 */
export function choosePlacement(serverCpus: string | null, loadCpus: string | null): Placement {
  const allowed = allowedCpus();
  if (!hasTaskset()) {
    return unpinned(allowed.length, 'unpinned: taskset not found');
  }
  if (allowed.length < 2 && (serverCpus === null || loadCpus === null)) {
    return unpinned(allowed.length, `unpinned: only ${allowed.length} CPU available`);
  }
  const half = Math.max(1, Math.floor(allowed.length / 2));
  const server = serverCpus ?? allowed.slice(0, half).join(',');
  const load = loadCpus ?? allowed.slice(half).join(',');
  const serverCount = expandCpuList(server).length;
  return {
    pinned: true,
    serverCpus: server,
    loadCpus: load,
    serverCpuCount: serverCount,
    description:
      `pinned with taskset: servers (API with its worker threads, bare ceiling, Redis) on CPU ${server}; ` +
      `load generator (and the bench's own process, OTLP sink included) on CPU ${load}`,
  };
}

function unpinned(cpuCount: number, description: string): Placement {
  return {
    pinned: false,
    serverCpus: null,
    loadCpus: null,
    serverCpuCount: Math.max(1, cpuCount),
    description: `${description}; server and load generator share ${cpuCount} CPU(s)`,
  };
}

/** The command line for `node <script>` on the given CPUs. */
export function nodeCommand(cpuList: string | null, script: string, args: string[] = []) {
  const node = [process.execPath, script, ...args];
  return cpuList === null
    ? { command: node[0] as string, args: node.slice(1) }
    : { command: 'taskset', args: ['-c', cpuList, ...node] };
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** Resident set size of a process in bytes (Linux), or null. */
export function readRssBytes(pid: number): number | null {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = /^VmRSS:\s+(\d+)\s+kB/m.exec(status)?.[1];
    return kb === undefined ? null : Number(kb) * 1024;
  } catch {
    return null;
  }
}

let clockTicks: number | null = null;

/** User + system CPU seconds a process has used, all threads (Linux), or null. */
export function readCpuSeconds(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the parenthesised command name; utime and stime are fields 14 and 15.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[11]) + Number(fields[12]);
    clockTicks ??= Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout) || 100;
    return ticks / clockTicks;
  } catch {
    return null;
  }
}

/** Busy and total jiffies per CPU since boot (/proc/stat), or null where it is missing. */
export function readCpuTimes(): Map<number, { busy: number; total: number }> | null {
  try {
    const times = new Map<number, { busy: number; total: number }>();
    for (const line of readFileSync('/proc/stat', 'utf8').split('\n')) {
      const match = /^cpu(\d+)\s+(.+)$/.exec(line);
      if (match === null) continue;
      // user nice system idle iowait irq softirq steal ...: idle and iowait are the free time;
      // steal (time the hypervisor gave to someone else) counts as busy.
      const [user, nice, system, idle, iowait, irq, softirq, steal] = (match[2] as string)
        .split(/\s+/)
        .map(Number);
      const busy =
        (user ?? 0) + (nice ?? 0) + (system ?? 0) + (irq ?? 0) + (softirq ?? 0) + (steal ?? 0);
      times.set(Number(match[1]), { busy, total: busy + (idle ?? 0) + (iowait ?? 0) });
    }
    return times;
  } catch {
    return null;
  }
}

/** Samples a process's RSS every 100 ms and keeps the peak. */
export class RssSampler {
  #peak = 0;
  #timer: NodeJS.Timeout | null = null;

  constructor(private readonly pid: number) {}

  start(): void {
    this.#peak = 0;
    this.#sample();
    this.#timer = setInterval(() => this.#sample(), 100);
  }

  /** Peak RSS in bytes since start, or null where /proc is missing. */
  stop(): number | null {
    if (this.#timer !== null) clearInterval(this.#timer);
    this.#timer = null;
    this.#sample();
    return this.#peak === 0 ? null : this.#peak;
  }

  #sample(): void {
    const rss = readRssBytes(this.pid);
    if (rss !== null && rss > this.#peak) this.#peak = rss;
  }
}

/**
 * Every child the bench starts, so that a failure or Ctrl-C stops them all. Children are
 * stopped by their own pid, SIGTERM first, SIGKILL after a grace period.
 */
export class ChildRegistry {
  readonly #children = new Set<ChildProcess>();

  spawn(command: string, args: string[], options: SpawnOptions): ChildProcess {
    const child = spawn(command, args, options);
    this.#children.add(child);
    child.once('exit', () => this.#children.delete(child));
    return child;
  }

  async stop(child: ChildProcess, graceMs = 15_000): Promise<void> {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    await exited;
    clearTimeout(timer);
  }

  async stopAll(): Promise<void> {
    await Promise.all([...this.#children].map((child) => this.stop(child, 5000)));
  }

  /** Synchronous last resort (process exit handlers cannot wait). */
  killAll(): void {
    for (const child of this.#children) {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }
  }
}
