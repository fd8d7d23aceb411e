import { Cluster, Redis, type RedisOptions } from 'ioredis';

export interface RedisConnectionSettings {
  /** `redis://[user:password@]host:port/db` or `rediss://...` (TLS); standalone Redis. */
  url: string | null;
  /** Redis Cluster seed nodes, `host:port` or URLs (credentials and TLS of the first apply). */
  clusterNodes: readonly string[] | null;
  /** The request-path budget per command; the hard socket timeout is derived from it. */
  commandTimeoutMs: number;
}

export interface RedisConnections {
  /** Commands and scripts. */
  client: Redis | Cluster;
  /** Opens a new subscriber connection (to the next seed node, for a cluster). */
  connectSubscriber: () => Redis;
  isStandalone: boolean;
  /** For logs: where the cache lives, without credentials. */
  description: string;
}

interface NodeAddress {
  host: string;
  port: number;
}

const CONNECT_TIMEOUT_MS = 1000;
const MAX_RECONNECT_DELAY_MS = 2000;

/**
 * Connection options that keep Redis trouble bounded: no offline queue (a command while
 * disconnected fails at once instead of piling up in memory), no retries of a command
 * (a retried invalidation could land after later writes; a failed one is handled as missed),
 * a short connect timeout, reconnects with capped backoff. The socket timeout ends a
 * connection whose server stopped answering (frozen, partitioned) so that commands past
 * their request deadline settle within a known time too.
 */
function baseOptions(commandTimeoutMs: number): RedisOptions {
  return {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    autoResendUnfulfilledCommands: false,
    connectTimeout: CONNECT_TIMEOUT_MS,
    socketTimeout: Math.max(2000, commandTimeoutMs * 10),
    retryStrategy: (attempt: number) => Math.min(50 * 2 ** attempt, MAX_RECONNECT_DELAY_MS),
  };
}

/** The subscriber reconnects under InvalidationBus's control, which resubscribes itself. */
const SUBSCRIBER_OPTIONS: RedisOptions = {
  enableOfflineQueue: false,
  maxRetriesPerRequest: 0,
  connectTimeout: CONNECT_TIMEOUT_MS,
  autoResubscribe: false,
  retryStrategy: () => null,
};

export function openRedisConnections(settings: RedisConnectionSettings): RedisConnections {
  const options = baseOptions(settings.commandTimeoutMs);
  if (settings.clusterNodes === null || settings.clusterNodes.length === 0) {
    const url = settings.url ?? 'redis://127.0.0.1:6379';
    return {
      client: new Redis(url, options),
      connectSubscriber: () => new Redis(url, SUBSCRIBER_OPTIONS),
      isStandalone: true,
      description: url.replace(/\/\/[^@/]*@/, '//***@'),
    };
  }

  const nodes = settings.clusterNodes.map(parseNode);
  const auth = authOf(settings.clusterNodes);
  // The cluster reconnects nodes itself (clusterRetryStrategy) and owns the offline queue.
  const { retryStrategy: _retry, enableOfflineQueue: _queue, ...nodeOptions } = options;
  const client = new Cluster(nodes, {
    enableOfflineQueue: false,
    scaleReads: 'master',
    slotsRefreshTimeout: CONNECT_TIMEOUT_MS,
    clusterRetryStrategy: (attempt: number) => Math.min(100 * 2 ** attempt, MAX_RECONNECT_DELAY_MS),
    redisOptions: { ...nodeOptions, ...auth },
  });

  // Any node delivers every PUBLISH of the cluster; a failed subscriber moves to the next.
  let next = 0;
  const connectSubscriber = () => {
    const node = nodes[next++ % nodes.length] as NodeAddress;
    return new Redis({ ...SUBSCRIBER_OPTIONS, ...auth, host: node.host, port: node.port });
  };
  const description = `cluster ${nodes.map((node) => `${node.host}:${node.port}`).join(',')}`;
  return { client, connectSubscriber, isStandalone: false, description };
}

/** `host:port`, `[v6]:port` or a redis(s):// URL. */
export function parseNode(entry: string): NodeAddress {
  if (entry.includes('://')) {
    const url = new URL(entry);
    return { host: url.hostname.replace(/^\[|\]$/g, ''), port: Number(url.port || 6379) };
  }
  const colon = entry.lastIndexOf(':');
  const host = colon > 0 ? entry.slice(0, colon) : entry;
  const port = colon > 0 ? Number(entry.slice(colon + 1)) : 6379;
  return { host: host.replace(/^\[|\]$/g, ''), port };
}

function authOf(entries: readonly string[]): Pick<RedisOptions, 'username' | 'password' | 'tls'> {
  const first = entries.find((entry) => entry.includes('://'));
  if (first === undefined) return {};

  const url = new URL(first);
  return {
    username: url.username === '' ? undefined : decodeURIComponent(url.username),
    password: url.password === '' ? undefined : decodeURIComponent(url.password),
    tls: url.protocol === 'rediss:' ? {} : undefined,
  };
}
