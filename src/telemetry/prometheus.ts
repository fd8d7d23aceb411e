import type { Labels, MetricFamily } from './metric-family.js';

/** Content type of the Prometheus text exposition format, version 0.0.4. */
export const PROMETHEUS_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

/** Renders metric families in the Prometheus text exposition format. */
export function renderPrometheus(families: readonly MetricFamily[]): string {
  const lines: string[] = [];
  for (const family of families) {
    const name = family.type === 'counter' ? `${family.name}_total` : family.name;
    lines.push(`# HELP ${name} ${escapeHelp(family.help)}`, `# TYPE ${name} ${family.type}`);

    if (family.type !== 'histogram') {
      for (const sample of family.samples) {
        lines.push(`${name}${labelText(sample.labels)} ${formatNumber(sample.value)}`);
      }
      continue;
    }

    for (const sample of family.samples) {
      let cumulative = 0;
      for (let i = 0; i < sample.counts.length; i++) {
        cumulative += sample.counts[i] ?? 0;
        const le = i < family.bounds.length ? formatNumber(family.bounds[i] ?? 0) : '+Inf';
        lines.push(`${name}_bucket${labelText(sample.labels, le)} ${cumulative}`);
      }
      lines.push(`${name}_sum${labelText(sample.labels)} ${formatNumber(sample.sum)}`);
      lines.push(`${name}_count${labelText(sample.labels)} ${sample.count}`);
    }
  }
  lines.push('');
  return lines.join('\n');
}

function labelText(labels: Labels, le?: string): string {
  const parts: string[] = [];
  for (const [key, value] of Object.entries(labels)) parts.push(`${key}="${escapeLabel(value)}"`);
  if (le !== undefined) parts.push(`le="${le}"`);
  return parts.length === 0 ? '' : `{${parts.join(',')}}`;
}

function formatNumber(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Infinity) return '+Inf';
  if (value === -Infinity) return '-Inf';
  return String(value);
}

function escapeLabel(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
}

function escapeHelp(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
}
