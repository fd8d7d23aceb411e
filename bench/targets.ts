import type { RanScenario } from './report.js';

/**
 * The performance claims the bench checks (README, Performance), each as a ratio of two scenarios
 * measured in the same run against a floor, and the conditions under which such a ratio
 * cannot be trusted.
 */

/** A claim: the ratio must reach at least `min`. */
export interface TargetSpec {
  /** The line's subject, e.g. "near-cache hit / bare uWS". */
  claim: string;
  min: number;
  /** Where the floor comes from. */
  why: string;
}

export type TargetVerdict = 'met' | 'missed' | 'not measured';

export interface RatioTarget extends TargetSpec {
  verdict: TargetVerdict;
  /** `near-cache hit / bare uWS: 0.93x (target >= 0.85: met)` */
  line: string;
}

/** What a ratio compares, for the warnings: rates and latencies move with the load generator. */
export type RatioBasis = 'rate' | 'latency' | 'cpu';

/**
 * Other processes (not the measured server, not its Redis) taking at least this share of a
 * server core while a side was measured make the ratio unreliable: on a 2-core machine
 * shared with others, a ratio of two req/s numbers moves with whoever else ran at the time.
 */
export const OTHER_PROCESSES_WARN_PERCENT = 20;

export function checkTarget(spec: TargetSpec, value: number | null, display: string): RatioTarget {
  const verdict: TargetVerdict =
    value === null ? 'not measured' : value >= spec.min ? 'met' : 'missed';
  return {
    ...spec,
    verdict,
    line: `${spec.claim}: ${display} (target >= ${spec.min.toFixed(2)}: ${verdict})`,
  };
}

/** Why the ratio of these measured sides may not be trusted (empty: no known reason). */
export function measurementWarnings(sides: readonly RanScenario[], basis: RatioBasis): string[] {
  const warnings = new Set<string>();
  for (const side of sides) {
    const others = side.otherServerCorePercent;
    if (others === null) {
      warnings.add(
        `the share of the server core other processes took is unknown (unpinned, or no /proc) for ${side.name}`,
      );
    } else if (others >= OTHER_PROCESSES_WARN_PERCENT) {
      warnings.add(
        `other processes took ${others}% of a server core while ${side.name} was measured`,
      );
    }
    if (basis !== 'cpu' && side.bottleneck.startsWith('load generator saturated')) {
      warnings.add(
        `the load generator was saturated while ${side.name} was measured: the ratio shows its limit more than the server's (the CPU-second ratio does not)`,
      );
    }
  }
  if (sides.some((side) => side.rounds < 2)) {
    warnings.add('one round each, not alternated (as in --quick): indicative only');
  }
  return [...warnings];
}
