import uWS, { type HttpRequest, type HttpResponse, type TemplatedApp } from 'uWebSockets.js';
import type { OperationInput } from '../app/operation.js';
import { CacheAside } from '../cache/cache-aside.js';
import type { CachedDocument } from '../cache/cache.js';
import type { Config } from '../config.js';
import { resourceKey, STATISTICS_KEY } from '../domain/cache-keys.js';
import { SWAGGER_ROUTE } from '../telemetry/http-metrics.js';
import type { Logger } from '../telemetry/logger.js';
import { PROMETHEUS_TYPE } from '../telemetry/prometheus.js';
import type { RequestObservation } from '../telemetry/request-telemetry.js';
import { epochMs, SPAN_KIND, STATUS } from '../telemetry/span-record.js';
import type { Telemetry } from '../telemetry/telemetry.js';
import { formatTraceparent, newSpanId, parseTraceparent } from '../telemetry/trace-context.js';
import { PoolOverloadedError, type TaskPool } from '../workers/task-pool.js';
import type { TaskRequest, TaskResponse } from '../workers/protocol.js';
import { isJsonContentType, parseJsonBody, readBody } from './body-reader.js';
import { Exchange } from './exchange.js';
import type { ListRules } from './list-rules.js';
import { paginationHeaders } from './pagination.js';
import { parseIdempotencyKey, parseIds, parseListQuery } from './request-parsing.js';
import { JSON_TYPE, statusLine, writeProblem } from './responses.js';
import type { CompiledRoute, Router } from './router.js';
import type { StaticAsset, StaticAssets } from './static-assets.js';
import { newTraceId } from './trace-id.js';
import type { BodyValidator } from './validation.js';

export interface TokenVerifier {
  verify(token: string): Promise<{ userId: number } | null>;
}

export interface HttpAppDependencies {
  config: Config;
  router: Router;
  pool: TaskPool;
  cacheAside: CacheAside;
  validator: BodyValidator;
  /** List query rules, read from openapi.json. */
  listRules: ListRules;
  tokens: TokenVerifier;
  assets: StaticAssets;
  log: Logger;
  /** Request metrics, sampling, spans and access lines (src/telemetry). */
  telemetry: Telemetry;
}

/** Headers of an async request, read before the handler returns (uWS frees the request). */
interface RequestHead {
  method: string;
  path: string;
  query: string;
  authorization: string;
  contentType: string;
  contentLength: string;
  ifNoneMatch: string;
  /** Read only on routes that honour it (RouteSpec.isIdempotent); '' elsewhere. */
  idempotencyKey: string;
}

const BEARER = /^bearer +([A-Za-z0-9\-_.~+/]+=*) *$/i;

const OVERLOADED = {
  detail: 'The service is overloaded; retry shortly.',
  headers: [['Retry-After', '1']] as [string, string][],
};

/**
 * The uWebSockets.js front end. One catch-all handler routes case-insensitively; a cached
 * read is answered synchronously from the near cache (no promise, no thread hop); anything
 * else becomes an Exchange that reads the body, validates, authenticates and runs one task
 * in the worker pool.
 */
export class HttpApp {
  readonly app: TemplatedApp;
  readonly #deps: HttpAppDependencies;
  /** Whether cache-aside reads consult a shared level (Redis) before loading. */
  readonly #hasSharedCache: boolean;
  #inFlight = 0;

  constructor(deps: HttpAppDependencies) {
    this.#deps = deps;
    this.#hasSharedCache = deps.cacheAside.cache.stats().shared !== undefined;
    this.app = uWS.App().any('/*', (res, req) => this.#handle(res, req));
  }

  /** Requests whose response has not been written yet. */
  get inFlight(): number {
    return this.#inFlight;
  }

  #handle(res: HttpResponse, req: HttpRequest): void {
    const startedAt = performance.now();
    const method = req.getCaseSensitiveMethod().toUpperCase();
    const path = req.getUrl();
    const traceparent = req.getHeader('traceparent');
    const parent = traceparent === '' ? null : parseTraceparent(traceparent);
    const traceId = parent?.traceId ?? newTraceId();
    const telemetry = this.#deps.telemetry.requests;

    if (method === 'GET' && path.length >= 8 && path.slice(0, 8).toLowerCase() === '/swagger') {
      const status = this.#serveSwagger(res, req, path, traceId);
      telemetry.answer(SWAGGER_ROUTE, method, path, status, startedAt, traceId, parent);
      return;
    }

    const match = this.#deps.router.match(method, path);
    if (match.kind === 'not-found') {
      writeProblem(res, traceId, 'ROUTE_NOT_FOUND', { detail: `No route matches ${path}.` });
      telemetry.answer(null, method, path, 404, startedAt, traceId, parent);
      return;
    }
    if (match.kind === 'method-not-allowed') {
      writeProblem(res, traceId, 'METHOD_NOT_ALLOWED', {
        detail: `${method} is not allowed here.`,
        headers: [['Allow', match.allowed.join(', ')]],
      });
      telemetry.answer(null, method, path, 405, startedAt, traceId, parent);
      return;
    }

    const { route, rawParams } = match;
    const spec = route.spec;
    const ids = parseIds(route.paramNames, rawParams);
    if (!ids.ok) {
      writeProblem(res, traceId, 'VALIDATION_FAILED', {
        detail: 'A path parameter is not valid.',
        errors: ids.errors,
      });
      telemetry.answer(spec, method, path, 400, startedAt, traceId, parent);
      return;
    }

    if (spec.operation === 'health.live') {
      writeJson(res, traceId, 200, '{"status":"ok"}');
      telemetry.answer(spec, method, path, 200, startedAt, traceId, parent);
      return;
    }
    if (spec.operation === 'openapi') {
      const ifNoneMatch = req.getHeader('if-none-match');
      const status = writeAsset(res, traceId, this.#deps.assets.openapi, ifNoneMatch);
      telemetry.answer(spec, method, path, status, startedAt, traceId, parent);
      return;
    }
    if (spec.operation === 'metrics') {
      writeMetrics(res, traceId, this.#deps.telemetry.renderPrometheus());
      telemetry.answer(spec, method, path, 200, startedAt, traceId, parent);
      return;
    }

    const cacheKey = cacheKeyOf(route, ids.value);
    // The cache span's times are read only when spans are recorded (an endpoint is set).
    const peekAt = telemetry.isRecording ? performance.now() : 0;
    let peekedAt = 0;
    if (cacheKey !== null) {
      // Hot path: a near-cache hit is written here, inside uWS's implicit cork. Telemetry
      // then counts it and, if sampled, records its spans (no span object before that).
      const document = this.#deps.cacheAside.peek(cacheKey);
      if (telemetry.isRecording) peekedAt = performance.now();
      if (document !== undefined) {
        const status = writeCached(res, traceId, document, 'hit', req.getHeader('if-none-match'));
        telemetry.hit(spec, method, path, status, startedAt, peekAt, peekedAt, traceId, parent);
        return;
      }
    }

    const observation = telemetry.begin(spec, method, path, startedAt, traceId, parent);
    if (cacheKey !== null) telemetry.nearMiss(observation, peekAt, peekedAt);
    const head: RequestHead = {
      method,
      path,
      query: req.getQuery() ?? '',
      authorization: req.getHeader('authorization'),
      contentType: req.getHeader('content-type'),
      contentLength: req.getHeader('content-length'),
      ifNoneMatch: req.getHeader('if-none-match'),
      idempotencyKey: spec.isIdempotent === true ? req.getHeader('idempotency-key') : '',
    };
    this.#handleAsync(res, head, route, ids.value, cacheKey, observation);
  }

  #handleAsync(
    res: HttpResponse,
    head: RequestHead,
    route: CompiledRoute,
    params: Record<string, number>,
    cacheKey: string | null,
    observation: RequestObservation,
  ): void {
    const { config } = this.#deps;
    const spec = route.spec;
    const exchange = new Exchange(res, observation, config.requestTimeoutMs);
    this.#inFlight++;

    const input: OperationInput = { params };
    if (spec.list !== undefined) {
      const query = parseListQuery(this.#deps.listRules, spec.list, head.query);
      if (!query.ok) {
        this.#end(exchange, () =>
          exchange.problem('VALIDATION_FAILED', {
            detail: 'A query parameter is not valid.',
            errors: query.errors,
          }),
        );
        return;
      }
      input.query = query.value;
    }

    let userId: Promise<number | null> | null = null;
    if (spec.isProtected) {
      const token = BEARER.exec(head.authorization)?.[1];
      if (token === undefined) {
        this.#end(exchange, () =>
          exchange.problem('UNAUTHORIZED', {
            detail: 'This route needs a bearer token in the Authorization header.',
            headers: [['WWW-Authenticate', 'Bearer realm="eventflow"']],
            closeConnection: spec.bodySchema !== undefined,
          }),
        );
        return;
      }
      userId = this.#deps.tokens.verify(token).then((claims) => claims?.userId ?? null);
    }

    if (spec.bodySchema === undefined) {
      this.#continue(exchange, head, route, input, userId, null, cacheKey);
      return;
    }

    const bodyProblem = checkBodyHeaders(head, config.maxBodyBytes);
    if (bodyProblem !== null) {
      this.#end(exchange, () => exchange.problem(bodyProblem.code, bodyProblem.options));
      return;
    }

    exchange.isReadingBody = true;
    readBody(res, config.maxBodyBytes, (outcome) => {
      exchange.isReadingBody = false;
      if (outcome.kind === 'too-large') {
        this.#end(exchange, () =>
          exchange.problem('PAYLOAD_TOO_LARGE', {
            detail: `The request body exceeds ${config.maxBodyBytes} bytes.`,
            closeConnection: true,
          }),
        );
        return;
      }
      this.#continue(exchange, head, route, input, userId, outcome.body, cacheKey);
    });
  }

  #continue(
    exchange: Exchange,
    head: RequestHead,
    route: CompiledRoute,
    input: OperationInput,
    userId: Promise<number | null> | null,
    body: Buffer | null,
    cacheKey: string | null,
  ): void {
    this.#process(exchange, head, route, input, userId, body, cacheKey).then(
      () => this.#settle(exchange),
      (error: unknown) => {
        this.#deps.log.error({ err: error, ...exchange.observation.logFields }, 'request failed');
        exchange.problem('INTERNAL_ERROR', { detail: 'The request failed unexpectedly.' });
        this.#settle(exchange);
      },
    );
  }

  async #process(
    exchange: Exchange,
    head: RequestHead,
    route: CompiledRoute,
    input: OperationInput,
    userId: Promise<number | null> | null,
    body: Buffer | null,
    cacheKey: string | null,
  ): Promise<void> {
    const spec = route.spec;

    if (userId !== null) {
      const id = await userId;
      if (id === null) {
        exchange.problem('INVALID_TOKEN', {
          detail: 'The bearer token is not valid.',
          headers: [['WWW-Authenticate', 'Bearer error="invalid_token"']],
        });
        return;
      }
      input.userId = id;
    }

    const idempotencyKey = parseIdempotencyKey(head.idempotencyKey);
    if (!idempotencyKey.ok) {
      exchange.problem('VALIDATION_FAILED', {
        detail: 'The Idempotency-Key header is not valid.',
        errors: idempotencyKey.errors,
      });
      return;
    }
    if (idempotencyKey.value !== null) input.idempotencyKey = idempotencyKey.value;

    if (body !== null && spec.bodySchema !== undefined) {
      const parsed = parseJsonBody(body);
      if (!parsed.ok) {
        exchange.problem('MALFORMED_BODY', { detail: parsed.detail });
        return;
      }
      const validation = this.#deps.validator.validate(spec.bodySchema, parsed.value);
      if (!validation.ok) {
        exchange.problem('VALIDATION_FAILED', {
          detail: 'The request body is not valid.',
          errors: validation.errors,
        });
        return;
      }
      input.body = parsed.value;
    }

    if (exchange.isFinished) return;

    const operation = spec.operation as TaskRequest['operation'];
    if (cacheKey !== null) {
      await this.#readThrough(
        exchange,
        head,
        operation,
        input,
        cacheKey,
        spec.isStatistics === true,
      );
      return;
    }

    const response = await this.#runTask(exchange, { operation, input });
    if (response === null) return;

    // Writes drop stale documents after commit and before the reply, so a client that reads
    // after its own write always sees it. This runs even if the client has gone away.
    if (response.invalidate.length > 0) await this.#deps.cacheAside.invalidate(response.invalidate);

    exchange.respond((res) => writeTaskResponse(res, exchange.traceId, head, response));
  }

  async #readThrough(
    exchange: Exchange,
    head: RequestHead,
    operation: TaskRequest['operation'],
    input: OperationInput,
    cacheKey: string,
    isStatistics: boolean,
  ): Promise<void> {
    const { config, cacheAside } = this.#deps;
    const ttl = isStatistics ? config.statisticsTtlSeconds : config.cacheTtlSeconds;

    const lookupAt = performance.now();
    let loadAt = 0;
    const read = await cacheAside.read(cacheKey, ttl, async () => {
      loadAt = performance.now();
      const response = await this.#runTask(exchange, { operation, input, wantsEtag: true });
      const document =
        response?.status === 200 && response.body !== null && response.etag !== undefined
          ? { body: Buffer.from(response.body), etag: response.etag }
          : null;
      return { value: response, document };
    });

    this.#deps.telemetry.requests.readThrough(
      exchange.observation,
      read.outcome,
      lookupAt,
      loadAt,
      performance.now(),
      this.#hasSharedCache,
    );

    const { document, value } = read;
    if (document !== null) {
      exchange.respond((res) =>
        writeCached(res, exchange.traceId, document, read.outcome, head.ifNoneMatch),
      );
    } else if (value !== null) {
      exchange.respond((res) => writeTaskResponse(res, exchange.traceId, head, value));
    } else {
      // The shared load was refused by a saturated pool: its starter has answered 503, and
      // every reader that joined it answers the same now rather than at its deadline.
      exchange.problem('SERVICE_UNAVAILABLE', OVERLOADED);
    }
  }

  /**
   * Runs one task; answers 503 itself when the pool is saturated and returns null. The task
   * carries the request's trace context; a traced one is recorded as a `pool.run` span (from
   * dispatch to answer) that parents the worker's spans.
   */
  async #runTask(exchange: Exchange, task: TaskRequest): Promise<TaskResponse | null> {
    const observation = exchange.observation;
    const spanId = newSpanId();
    task.traceparent = formatTraceparent(observation.traceId, spanId, observation.spanId !== null);
    const dispatchedAt = performance.now();
    try {
      const response = await this.#deps.pool.run(task);
      if (observation.spanId !== null) {
        this.#recordPoolRun(observation, task, response, spanId, dispatchedAt, null);
      }
      return response;
    } catch (error) {
      if (observation.spanId !== null) {
        this.#recordPoolRun(observation, task, null, spanId, dispatchedAt, error);
      }
      if (!(error instanceof PoolOverloadedError)) throw error;

      this.#deps.log.warn(observation.logFields, 'worker pool saturated');
      exchange.problem('SERVICE_UNAVAILABLE', OVERLOADED);
      return null;
    }
  }

  #recordPoolRun(
    observation: RequestObservation,
    task: TaskRequest,
    response: TaskResponse | null,
    spanId: string,
    dispatchedAt: number,
    error: unknown,
  ): void {
    const attributes: Record<string, string | number> = { 'eventflow.operation': task.operation };
    if (response?.startedAtMs !== undefined) {
      // Dispatch to the worker starting the task: piscina's queue plus the thread hop.
      const waitMs = response.startedAtMs - epochMs(dispatchedAt);
      attributes['pool.queue_wait_ms'] = Math.max(0, Math.round(waitMs * 1000) / 1000);
    }
    if (error !== null) {
      attributes['error.type'] =
        error instanceof PoolOverloadedError ? 'pool_overloaded' : 'pool_error';
    }
    const status = error === null ? STATUS.unset : STATUS.error;
    observation.addSpan(
      'pool.run',
      SPAN_KIND.internal,
      dispatchedAt,
      performance.now(),
      attributes,
      spanId,
      status,
    );
    this.#deps.telemetry.requests.adopt(observation, response?.spans);
  }

  #serveSwagger(res: HttpResponse, req: HttpRequest, path: string, traceId: string): number {
    const asset = this.#deps.assets.swagger(path);
    if (asset === undefined) {
      writeProblem(res, traceId, 'ROUTE_NOT_FOUND', { detail: `No route matches ${path}.` });
      return 404;
    }
    return writeAsset(res, traceId, asset, req.getHeader('if-none-match'));
  }

  #end(exchange: Exchange, write: () => void): void {
    write();
    this.#settle(exchange);
  }

  /** The request is over (answered, failed or abandoned): count it and close its telemetry. */
  #settle(exchange: Exchange): void {
    this.#inFlight--;
    this.#deps.telemetry.requests.complete(exchange.observation);
  }
}

function cacheKeyOf(route: CompiledRoute, params: Record<string, number>): string | null {
  const spec = route.spec;
  if (spec.isStatistics === true) return STATISTICS_KEY;
  if (spec.cachedResource === undefined) return null;

  return resourceKey(spec.cachedResource, params.id as number);
}

function checkBodyHeaders(head: RequestHead, limit: number) {
  if (!isJsonContentType(head.contentType)) {
    return {
      code: 'UNSUPPORTED_MEDIA_TYPE' as const,
      options: {
        detail: 'The request body must be application/json (UTF-8).',
        closeConnection: true,
      },
    };
  }
  const declared = head.contentLength === '' ? 0 : Number(head.contentLength);
  if (declared > limit) {
    return {
      code: 'PAYLOAD_TOO_LARGE' as const,
      options: { detail: `The request body exceeds ${limit} bytes.`, closeConnection: true },
    };
  }
  return null;
}

function writeJson(res: HttpResponse, traceId: string, status: number, body: string): void {
  res.writeStatus(statusLine(status));
  res.writeHeader('Content-Type', JSON_TYPE);
  res.writeHeader('X-Trace-Id', traceId);
  res.writeHeader('Cache-Control', 'no-store');
  res.end(body);
}

function writeMetrics(res: HttpResponse, traceId: string, text: string): void {
  res.writeStatus('200 OK');
  res.writeHeader('Content-Type', PROMETHEUS_TYPE);
  res.writeHeader('X-Trace-Id', traceId);
  res.writeHeader('Cache-Control', 'no-store');
  res.end(text);
}

/** A cached document: 304 when the client holds the same entity tag (RFC 9110 13.1.2). */
function writeCached(
  res: HttpResponse,
  traceId: string,
  document: CachedDocument,
  outcome: 'hit' | 'miss',
  ifNoneMatch: string,
): number {
  const isNotModified = ifNoneMatch !== '' && matchesEtag(ifNoneMatch, document.etag);
  res.writeStatus(isNotModified ? '304 Not Modified' : '200 OK');
  res.writeHeader('X-Trace-Id', traceId);
  res.writeHeader('ETag', document.etag);
  res.writeHeader('X-Cache', outcome);
  res.writeHeader('Cache-Control', 'no-cache');
  if (isNotModified) {
    res.endWithoutBody();
    return 304;
  }
  res.writeHeader('Content-Type', JSON_TYPE);
  res.end(document.body);
  return 200;
}

function writeAsset(
  res: HttpResponse,
  traceId: string,
  asset: StaticAsset,
  ifNoneMatch: string,
): number {
  const isNotModified = ifNoneMatch !== '' && matchesEtag(ifNoneMatch, asset.etag);
  res.writeStatus(isNotModified ? '304 Not Modified' : '200 OK');
  res.writeHeader('X-Trace-Id', traceId);
  res.writeHeader('ETag', asset.etag);
  res.writeHeader('Cache-Control', 'no-cache');
  if (isNotModified) {
    res.endWithoutBody();
    return 304;
  }
  res.writeHeader('Content-Type', asset.contentType);
  res.end(asset.body);
  return 200;
}

function matchesEtag(ifNoneMatch: string, etag: string): boolean {
  if (ifNoneMatch.trim() === '*') return true;
  return ifNoneMatch.split(',').some((candidate) => {
    const tag = candidate.trim();
    return tag === etag || tag === `W/${etag}`;
  });
}

function writeTaskResponse(
  res: HttpResponse,
  traceId: string,
  head: RequestHead,
  response: TaskResponse,
): number {
  if (response.problem !== undefined) {
    const headers: [string, string][] = [];
    if (response.retryAfterSeconds !== undefined) {
      headers.push(['Retry-After', String(response.retryAfterSeconds)]);
    }
    writeProblem(res, traceId, response.problem.code, {
      detail: response.problem.detail,
      errors: response.problem.errors,
      headers,
      extensions: response.problem.extensions,
    });
    return response.status;
  }

  res.writeStatus(statusLine(response.status));
  res.writeHeader('X-Trace-Id', traceId);
  res.writeHeader('Cache-Control', 'no-store');
  if (response.location !== undefined) res.writeHeader('Location', response.location);
  if (response.isReplay === true) res.writeHeader('Idempotency-Replayed', 'true');
  if (response.page !== undefined) {
    for (const [name, value] of paginationHeaders(head.path, head.query, response.page)) {
      res.writeHeader(name, value);
    }
  }
  if (response.body === null) {
    res.endWithoutBody();
    return response.status;
  }
  res.writeHeader('Content-Type', JSON_TYPE);
  res.end(response.body);
  return response.status;
}
