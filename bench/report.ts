import type { LatencySummary } from './load.js';
import type { MachineInfo } from './machine.js';
import { machineLine } from './machine.js';
import type { ProfileName } from './scenarios.js';
import type { RatioTarget } from './targets.js';

/** Version of the JSON report's shape; bump it when a field changes meaning. */
export const REPORT_SCHEMA = 'eventflow-bench/1';

export interface RanScenario {
  status: 'ran';
  name: string;
  title: string;
  profile: ProfileName;
  measures: string;
  /** What bounds the number, in general. */
  limitedBy: string;
  /** What bounded it in this run, from the measured CPU shares. */
  bottleneck: string;
  connections: number;
  pipelining: number;
  /** Rounds the measurement was split into, alternating with its group (1: alone). */
  rounds: number;
  durationSeconds: number;
  requests: number;
  requestsPerSecond: number;
  latencyMs: LatencySummary;
  /** Connection errors and timeouts. */
  errors: number;
  timeouts: number;
  /** All answers outside 2xx. */
  non2xx: number;
  /** Non-2xx answers the scenario declares as an outcome (409 EVENT_FULL). */
  expectedConflicts: number;
  expectedConflictLabel: string | null;
  /** non2xx minus expectedConflicts: must be zero. */
  unexpectedNon2xx: number;
  statusCodes: Record<string, number>;
  cacheOutcomes: { hit: number; miss: number; none: number } | null;
  /** Peak resident set of the server process (main thread and workers) during the scenario. */
  peakRssMiB: number | null;
  /** CPU of the server process during the measured phase, in % of one core. */
  serverCpuPercent: number | null;
  /** Server CPU time per completed request, in µs (robust to other load on the machine). */
  serverCpuMicrosPerRequest: number | null;
  loadCpuPercent: number;
  /** How busy the server's CPUs were in all (any process), in % (others = busy - server). */
  serverCoresBusyPercent: number | null;
  loadCoresBusyPercent: number | null;
  /** CPU of the bench's private Redis during the measured phase, in % of one core (null: none). */
  redisCpuPercent: number | null;
  /**
   * What other processes (neither this server nor the private Redis) took of the server
   * CPUs during the measured phase, in % of one core; null when unknown (unpinned).
   */
  otherServerCorePercent: number | null;
  /** Which cache level answered: the server's counters over the scenario, warm-up included. */
  cacheLevels: CacheLevels | null;
  notes: string[];
}

/** Deltas of the server's eventflow_cache_* counters (GET /metrics) over one scenario. */
export interface CacheLevels {
  nearHits: number;
  nearMisses: number;
  /** Null when the server has no Redis level. */
  redisHits: number | null;
  redisMisses: number | null;
}

export interface SkippedScenario {
  status: 'skipped';
  name: string;
  title: string;
  profile: ProfileName;
  measures: string;
  limitedBy: string;
  reason: string;
}

export type ScenarioReport = RanScenario | SkippedScenario;

export interface Ratio {
  name: string;
  label: string;
  /** null when it could not be measured; `display` says why (e.g. "n/a (tracing not built)"). */
  value: number | null;
  display: string;
  basis: string;
  /** The two scenarios, numerator first. */
  sides: [string, string];
  /** Why this ratio may be unreliable in this run (other load, one round, saturated load). */
  warnings: string[];
  /** The design claim it checks, with the verdict; null for ratios that only inform. */
  target: RatioTarget | null;
}

export interface TraceProbe {
  status: number;
  xCache: string | null;
  traceId: string | null;
}

export interface TraceProof {
  eventId: number;
  miss: TraceProbe;
  hit: TraceProbe;
  /** Where spans went (the bench's sink, a given endpoint) or why there are none. */
  exportedTo: string;
  note: string;
}

export interface BenchReport {
  schema: string;
  startedAt: string;
  finishedAt: string;
  runSeconds: number;
  mode: 'quick' | 'full';
  options: {
    durationSeconds: number;
    warmupSeconds: number;
    rounds: number;
    connections: number;
    pipelining: number;
    workers: number;
    scenarioFilters: string[];
    database: string;
    redis: string;
    traceRatio: number;
  };
  machine: MachineInfo;
  placement: {
    pinned: boolean;
    server: string | null;
    loadGenerator: string | null;
    description: string;
  };
  dataset: {
    seed: string;
    events: number;
    readIds: number;
    participants: number;
    hotEventId: number | null;
    proofEventId: number | null;
    partialCacheBytes: number | null;
  };
  tracing: { built: boolean; endpoint: string | null; exportRequests: number; exportBytes: number };
  scenarios: ScenarioReport[];
  ratios: Ratio[];
  scale: {
    note: string;
    small: { events: number; databaseMiB: number; requestsPerSecond: number; p50Ms: number } | null;
    large: { events: number; databaseMiB: number; requestsPerSecond: number; p50Ms: number } | null;
  };
  traceProof: TraceProof | null;
  serverLog: Record<string, Array<{ level: string; message: string; count: number }>>;
  problems: string[];
}

export function formatMs(value: number): string {
  if (value < 1) return value.toFixed(3);
  if (value < 10) return value.toFixed(2);
  return value.toFixed(1);
}

function formatMicros(value: number): string {
  return value < 100 ? value.toFixed(1) : formatInt(value);
}

export function formatInt(value: number): string {
  return Math.round(value).toLocaleString('en-US');
}

function non2xxCell(s: RanScenario): string {
  if (s.non2xx === 0) return '0';
  if (s.expectedConflicts > 0)
    return `${formatInt(s.non2xx)} (${formatInt(s.expectedConflicts)} expected 409)`;
  return formatInt(s.non2xx);
}

const TABLE_HEAD = [
  'scenario',
  'req/s',
  'p50 ms',
  'p90 ms',
  'p99 ms',
  'errors',
  'non-2xx',
  'peak RSS MiB',
  'server CPU',
  'server µs/req',
  'loadgen CPU',
  'others on server CPU',
];

function tableRows(report: BenchReport): string[][] {
  return report.scenarios.map((s) =>
    s.status === 'skipped'
      ? [s.name, s.reason, '', '', '', '', '', '', '', '', '', '']
      : [
          s.name + (s.pipelining > 1 ? ` (p=${s.pipelining})` : ''),
          formatInt(s.requestsPerSecond),
          formatMs(s.latencyMs.p50),
          formatMs(s.latencyMs.p90),
          formatMs(s.latencyMs.p99),
          String(s.errors),
          non2xxCell(s),
          s.peakRssMiB === null ? 'n/a' : String(s.peakRssMiB),
          s.serverCpuPercent === null ? 'n/a' : `${s.serverCpuPercent}%`,
          s.serverCpuMicrosPerRequest === null ? 'n/a' : formatMicros(s.serverCpuMicrosPerRequest),
          `${s.loadCpuPercent}%`,
          s.otherServerCorePercent === null ? 'n/a' : `${s.otherServerCorePercent}%`,
        ],
  );
}

function textTable(head: string[], rows: string[][]): string {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]): string =>
    cells
      .map((cell, i) =>
        i === 0 ? cell.padEnd(widths[i] as number) : cell.padStart(widths[i] as number),
      )
      .join('  ')
      .trimEnd();
  return [line(head), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

function markdownTable(head: string[], rows: string[][], rightAligned: boolean[]): string {
  const escape = (cell: string): string => cell.replace(/\|/g, '\\|');
  const align = head.map((_, i) => (rightAligned[i] === true ? '---:' : '---'));
  return [
    `| ${head.map(escape).join(' | ')} |`,
    `| ${align.join(' | ')} |`,
    ...rows.map((r) => `| ${r.map(escape).join(' | ')} |`),
  ].join('\n');
}

/** ` (login: at most 2)` for every scenario that ran with fewer connections than asked. */
function connectionCaps(report: BenchReport): string {
  const capped = report.scenarios.filter(
    (s): s is RanScenario => s.status === 'ran' && s.connections < report.options.connections,
  );
  return capped.map((s) => ` (${s.name}: at most ${s.connections})`).join('');
}

function cacheLevelsText(levels: CacheLevels): string {
  const lookups = levels.nearHits + levels.nearMisses;
  const parts = [
    `Cache levels (server counters, warm-up included): ${formatInt(levels.nearHits)} near hits, ${formatInt(levels.nearMisses)} near misses`,
  ];
  if (levels.redisHits !== null && levels.redisMisses !== null) {
    const reads = levels.redisHits + levels.redisMisses;
    parts.push(
      `${formatInt(levels.redisHits)} Redis hits, ${formatInt(levels.redisMisses)} Redis misses`,
    );
    if (lookups > 0) parts.push(`${(reads / lookups).toFixed(3)} Redis reads per near lookup`);
  }
  return parts.join(', ');
}

/** The console form: one table, the ratios, the machine, the trace proof. */
export function renderText(report: BenchReport): string {
  const out: string[] = [];
  out.push(
    `EventFlow bench (${report.mode}): ${report.options.durationSeconds} s per scenario after ` +
      `${report.options.warmupSeconds} s warm-up, ${report.options.connections} connections, ` +
      `${report.options.workers} API workers, ${report.options.database}`,
  );
  out.push('');
  const ran = { ...report, scenarios: report.scenarios.filter((sc) => sc.status === 'ran') };
  out.push(textTable(TABLE_HEAD, tableRows(ran)));
  for (const skipped of report.scenarios) {
    if (skipped.status === 'skipped') out.push(`${skipped.name}: skipped, ${skipped.reason}`);
  }
  out.push('');
  out.push('Targets (ratios of the same run against the claims in the README):');
  for (const ratio of report.ratios) {
    if (ratio.target === null) continue;
    out.push(`  ${ratio.target.line}`);
    if (ratio.warnings.length > 0) out.push(`      unreliable: ${ratio.warnings.join('; ')}`);
  }
  out.push('');
  out.push('Ratios (same run):');
  for (const ratio of report.ratios) {
    out.push(`  ${ratio.label}: ${ratio.display}   [${ratio.basis}]`);
    if (ratio.target === null && ratio.warnings.length > 0)
      out.push(`      unreliable: ${ratio.warnings.join('; ')}`);
  }
  out.push('');
  out.push(`Scale check: ${report.scale.note}`);
  out.push(`Machine: ${machineLine(report.machine)}`);
  out.push(`Placement: ${report.placement.description}`);
  if (report.traceProof !== null) {
    const proof = report.traceProof;
    out.push('');
    out.push(`Trace proof, GET /event/${proof.eventId} twice (${proof.exportedTo}):`);
    out.push(
      `  1st: ${proof.miss.status} X-Cache: ${proof.miss.xCache ?? '-'}  X-Trace-Id: ${proof.miss.traceId ?? '-'}`,
    );
    out.push(
      `  2nd: ${proof.hit.status} X-Cache: ${proof.hit.xCache ?? '-'}  X-Trace-Id: ${proof.hit.traceId ?? '-'}`,
    );
    out.push(`  ${proof.note}`);
  }
  const warnings = Object.entries(report.serverLog).filter(([, lines]) => lines.length > 0);
  if (warnings.length > 0) {
    out.push('');
    out.push('Server warnings and errors:');
    for (const [profile, lines] of warnings) {
      for (const line of lines)
        out.push(`  [${profile}] ${line.level} x${line.count}: ${line.message}`);
    }
  }
  if (report.problems.length > 0) {
    out.push('');
    out.push('PROBLEMS:');
    for (const problem of report.problems) out.push(`  - ${problem}`);
  }
  return out.join('\n');
}

/** The Markdown form written next to the JSON (and, with --write-summary, to summary.md). */
export function renderMarkdown(report: BenchReport): string {
  const out: string[] = [];
  const right = [false, true, true, true, true, true, true, true, true, true, true, true];
  out.push(`# EventFlow benchmark, ${report.startedAt.slice(0, 10)} (${report.mode} run)`);
  out.push('');
  out.push(`- **Machine:** ${machineLine(report.machine)}`);
  out.push(`- **Placement:** ${report.placement.description}`);
  out.push(
    `- **Run:** ${report.options.durationSeconds} s measured per scenario after ` +
      `${report.options.warmupSeconds} s warm-up, ${report.options.connections} connections` +
      `${connectionCaps(report)}, pipelining ${report.options.pipelining} in the *-pipelined pair, ` +
      `${report.options.workers} API worker threads, whole run ${Math.round(report.runSeconds)} s`,
  );
  out.push(`- **Database:** ${report.options.database}; **cache:** ${report.options.redis}`);
  out.push(
    `- **Data:** ${report.dataset.seed}; spread reads draw from ${report.dataset.readIds} events`,
  );
  out.push('');
  out.push(markdownTable(TABLE_HEAD, tableRows(report), right));
  out.push('');
  out.push('Latencies are measured by the load generator per request (fractional milliseconds); ');
  out.push(
    'CPU columns are % of one core during the measured phase, and server µs/req the server ',
  );
  out.push(
    "process's CPU time per request (what a request costs, whatever else runs on the machine); ",
  );
  out.push('peak RSS is the server process (main thread and worker threads) sampled every 100 ms ');
  out.push('during warm-up and measurement; "others on server CPU" is what processes other than ');
  out.push('the measured server and its Redis took of the server CPUs meanwhile (% of one core).');
  out.push('');
  out.push('## Targets');
  out.push('');
  out.push('Ratios measured in this run against the claims in the README:');
  out.push('');
  const targeted = report.ratios.filter((r) => r.target !== null);
  out.push(
    markdownTable(
      ['claim', 'measured', 'target', 'verdict', 'from', 'unreliable because'],
      targeted.map((r) => {
        const target = r.target as RatioTarget;
        return [
          target.claim,
          r.display,
          `>= ${target.min.toFixed(2)}`,
          target.verdict,
          r.basis,
          r.warnings.join('; ') || '-',
        ];
      }),
      [false, true, true, false, false, false],
    ),
  );
  out.push('');
  for (const r of targeted) out.push(`- \`${(r.target as RatioTarget).line}\``);
  out.push('');
  out.push('Where the floors come from:');
  out.push('');
  for (const r of targeted)
    out.push(`- ${(r.target as RatioTarget).claim}: ${(r.target as RatioTarget).why}`);
  out.push('');
  out.push('## Ratios');
  out.push('');
  out.push(
    markdownTable(
      ['ratio', 'value', 'from', 'unreliable because'],
      report.ratios.map((r) => [r.label, r.display, r.basis, r.warnings.join('; ') || '-']),
      [false, true, false, false],
    ),
  );
  out.push('');
  out.push('## Scale check');
  out.push('');
  out.push(report.scale.note);
  out.push('');
  out.push('## What limits each number');
  out.push('');
  for (const s of report.scenarios) {
    if (s.status === 'skipped') {
      out.push(`- **${s.name}**: ${s.reason}. Measures ${s.measures}.`);
      continue;
    }
    const extra: string[] = [];
    if (s.cacheOutcomes !== null) {
      const total = s.cacheOutcomes.hit + s.cacheOutcomes.miss + s.cacheOutcomes.none;
      if (total > 0)
        extra.push(`X-Cache hit ratio ${((s.cacheOutcomes.hit / total) * 100).toFixed(1)}%`);
    }
    if (s.cacheLevels !== null) extra.push(cacheLevelsText(s.cacheLevels));
    if (s.expectedConflicts > 0 && s.expectedConflictLabel !== null) {
      extra.push(`${formatInt(s.expectedConflicts)} ${s.expectedConflictLabel}`);
    }
    extra.push(...s.notes);
    out.push(
      `- **${s.name}** (${s.title}): measures ${s.measures}. Limited by ${s.limitedBy}. ` +
        `This run: ${s.bottleneck}.${extra.length > 0 ? ` ${extra.join('; ')}.` : ''}`,
    );
  }
  if (report.traceProof !== null) {
    const proof = report.traceProof;
    out.push('');
    out.push('## Trace proof');
    out.push('');
    out.push(`GET /event/${proof.eventId} twice on a fresh server (${proof.exportedTo}):`);
    out.push('');
    out.push(
      markdownTable(
        ['request', 'status', 'X-Cache', 'X-Trace-Id'],
        [
          ['1st', String(proof.miss.status), proof.miss.xCache ?? '-', proof.miss.traceId ?? '-'],
          ['2nd', String(proof.hit.status), proof.hit.xCache ?? '-', proof.hit.traceId ?? '-'],
        ],
        [false, true, false, false],
      ),
    );
    out.push('');
    out.push(proof.note);
  }
  const warnings = Object.entries(report.serverLog).filter(([, lines]) => lines.length > 0);
  if (warnings.length > 0) {
    out.push('');
    out.push('## Server warnings and errors');
    out.push('');
    for (const [profile, lines] of warnings) {
      for (const line of lines)
        out.push(`- [${profile}] ${line.level} x${line.count}: ${line.message}`);
    }
  }
  if (report.problems.length > 0) {
    out.push('');
    out.push('## Problems');
    out.push('');
    for (const problem of report.problems) out.push(`- ${problem}`);
  }
  out.push('');
  return out.join('\n');
}
