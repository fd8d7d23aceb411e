import type { HttpMethod, RouteSpec } from './routes.js';

export interface CompiledRoute {
  spec: RouteSpec;
  /** Lower-cased static segments, or null where the template has a parameter. */
  segments: readonly (string | null)[];
  paramNames: readonly string[];
  staticCount: number;
}

export type RouteMatch =
  | { kind: 'found'; route: CompiledRoute; rawParams: string[] }
  | { kind: 'method-not-allowed'; allowed: HttpMethod[] }
  | { kind: 'not-found' };

const NOT_FOUND: RouteMatch = { kind: 'not-found' };

/**
 * Case-insensitive router over the contract's templates. uWS routes are case-sensitive, so
 * the app registers one catch-all handler and matches here: routes are grouped by segment
 * count and tried most-specific first (more static segments), so `/event/all` beats
 * `/event/{id}`.
 */
export class Router {
  readonly #bySegmentCount = new Map<number, CompiledRoute[]>();

  constructor(specs: readonly RouteSpec[]) {
    for (const spec of specs) {
      const compiled = compile(spec);
      const group = this.#bySegmentCount.get(compiled.segments.length) ?? [];
      group.push(compiled);
      this.#bySegmentCount.set(compiled.segments.length, group);
    }
    for (const group of this.#bySegmentCount.values()) {
      group.sort((a, b) => b.staticCount - a.staticCount);
    }
  }

  match(method: string, path: string): RouteMatch {
    const parts = splitPath(path);
    const group = this.#bySegmentCount.get(parts.length);
    if (group === undefined) return NOT_FOUND;

    let allowed: HttpMethod[] | null = null;
    for (const route of group) {
      const rawParams = matchSegments(route, parts);
      if (rawParams === null) continue;
      if (route.spec.method === method) return { kind: 'found', route, rawParams };

      allowed ??= [];
      if (!allowed.includes(route.spec.method)) allowed.push(route.spec.method);
    }
    return allowed === null ? NOT_FOUND : { kind: 'method-not-allowed', allowed };
  }
}

function compile(spec: RouteSpec): CompiledRoute {
  const paramNames: string[] = [];
  const segments = splitPath(spec.path).map((segment) => {
    if (segment.startsWith('{')) {
      paramNames.push(segment.slice(1, -1));
      return null;
    }
    return segment.toLowerCase();
  });
  const staticCount = segments.filter((segment) => segment !== null).length;
  return { spec, segments, paramNames, staticCount };
}

/** `/Event/42/` -> `['Event', '42']`; one trailing slash is tolerated. */
function splitPath(path: string): string[] {
  const trimmed = path.length > 1 && path.endsWith('/') ? path.slice(0, -1) : path;
  return trimmed.split('/').slice(1);
}

function matchSegments(route: CompiledRoute, parts: string[]): string[] | null {
  const params: string[] = [];
  for (let i = 0; i < parts.length; i++) {
    const expected = route.segments[i];
    const actual = parts[i] as string;
    if (expected === null) {
      if (actual === '') return null;
      params.push(actual);
    } else if (expected !== actual.toLowerCase()) {
      return null;
    }
  }
  return params;
}
