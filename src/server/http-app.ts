import uWS, { type HttpRequest, type HttpResponse, type TemplatedApp } from 'uWebSockets.js';
import type { OperationInput } from '../app/operation.js';
import { CacheAside } from '../cache/cache-aside.js';
import type { Config } from '../config.js';
import { resourceKey, STATISTICS_KEY } from '../domain/cache-keys.js';
import { SWAGGER_ROUTE } from '../telemetry/http-metrics.js';
import type { Logger } from '../telemetry/logger.js';
import type { RequestObservation } from '../telemetry/request-telemetry.js';
import type { Telemetry } from '../telemetry/telemetry.js';
import { parseTraceparent } from '../telemetry/trace-context.js';
import type { TaskPool } from '../workers/task-pool.js';
import type { TaskRequest } from '../workers/protocol.js';
import { checkBodyHeaders, parseJsonBody, readBody } from './body-reader.js';
import { Exchange } from './exchange.js';
import type { ListRules } from './list-rules.js';
import type { RequestHead } from './request-head.js';
import { rateLimitHeaders, type RequestLimits } from './request-limits.js';
import { TaskDispatcher } from './task-dispatcher.js';
import { parseIdempotencyKey, parseIds, parseListQuery } from './request-parsing.js';
import {
  writeAsset,
  writeCached,
  writeJson,
  writeMetrics,
  writeProblem,
  writeTaskResponse,
} from './responses.js';
import type { CompiledRoute, Router } from './router.js';
import type { RouteSpec } from './routes.js';
import type { StaticAssets } from './static-assets.js';
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
  /** Login and per-client rate limits, and the password-hashing gate. */
  limits: RequestLimits;
}

const BEARER = /^bearer +([A-Za-z0-9\-_.~+/]+=*) *$/i;

/**
 * The uWebSockets.js front end. One catch-all handler routes case-insensitively; a cached
 * read is answered synchronously from the near cache (no promise, no thread hop); anything
 * else becomes an Exchange that reads the body, validates, authenticates and runs one task
 * in the worker pool.
 */
export class HttpApp {
  readonly app: TemplatedApp;
  readonly #deps: HttpAppDependencies;
  readonly #dispatcher: TaskDispatcher;
  #inFlight = 0;

  constructor(deps: HttpAppDependencies) {
    this.#deps = deps;
    this.#dispatcher = new TaskDispatcher(deps);
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

    const operationalStatus = this.#answerOperational(res, req, spec, traceId);
    if (operationalStatus !== null) {
      telemetry.answer(spec, method, path, operationalStatus, startedAt, traceId, parent);
      return;
    }

    const { limits } = this.#deps;
    let client = '';
    if (limits.clients !== null && spec.isOperational !== true) {
      client = limits.clientOf(res, req);
      const decision = limits.clients.admit(client);
      if (!decision.isAllowed) {
        writeProblem(res, traceId, 'RATE_LIMITED', {
          detail: 'Too many requests from this client; retry later.',
          headers: rateLimitHeaders(limits.clients.quota, decision),
          closeConnection: spec.bodySchema !== undefined,
        });
        telemetry.answer(spec, method, path, 429, startedAt, traceId, parent);
        return;
      }
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
      client: client === '' && spec.operation === 'auth.login' ? limits.clientOf(res, req) : client,
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

    const bodyProblem = checkBodyHeaders(head.contentType, head.contentLength, config.maxBodyBytes);
    if (bodyProblem !== null) {
      this.#end(exchange, () => exchange.problem(bodyProblem.code, bodyProblem.options));
      return;
    }

    exchange.startReadingBody(() => this.#settle(exchange));
    readBody(res, config.maxBodyBytes, (outcome) => {
      exchange.finishReadingBody();
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
      const { config } = this.#deps;
      const ttl = spec.isStatistics === true ? config.statisticsTtlSeconds : config.cacheTtlSeconds;
      await this.#dispatcher.readThrough(exchange, head, { operation, input }, cacheKey, ttl);
      return;
    }

    const task: TaskRequest = { operation, input };
    const response =
      spec.hashesPassword === true
        ? await this.#dispatcher.runHashing(exchange, head.client, task)
        : await this.#dispatcher.run(exchange, task);
    if (response === null) return;

    // Writes drop stale documents after commit and before the reply, so a client that reads
    // after its own write always sees it. This runs even if the client has gone away.
    if (response.invalidate.length > 0) await this.#deps.cacheAside.invalidate(response.invalidate);

    exchange.respond((res) =>
      writeTaskResponse(res, exchange.traceId, head.path, head.query, response),
    );
  }

  /** Liveness, the contract and the metrics: answered at once; null for any other route. */
  #answerOperational(
    res: HttpResponse,
    req: HttpRequest,
    spec: RouteSpec,
    traceId: string,
  ): number | null {
    const operation = spec.operation;
    if (operation === 'health.live') {
      writeJson(res, traceId, 200, '{"status":"ok"}');
      return 200;
    }
    if (operation === 'openapi') {
      return writeAsset(res, traceId, this.#deps.assets.openapi, req.getHeader('if-none-match'));
    }
    if (operation !== 'metrics') return null;

    writeMetrics(res, traceId, this.#deps.telemetry.renderPrometheus());
    return 200;
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
