import type { ConnectionConfiguration } from 'tedious';

const DEFAULT_PORT = 1433;

/** Query parameters a SQL Server URL may carry, all optional. */
const BOOLEAN_OPTIONS = ['encrypt', 'trustServerCertificate'] as const;
const NUMBER_OPTIONS = ['connectTimeout', 'requestTimeout'] as const;
const STRING_OPTIONS = ['instanceName', 'appName'] as const;

/**
 * Parses `sqlserver://user:pass@host:port/database?encrypt=true&trustServerCertificate=true`
 * (also `mssql://`) into a tedious configuration. User name and password are
 * percent-decoded. Accepted query options: encrypt (default true), trustServerCertificate
 * (default false), connectTimeout and requestTimeout (ms, tedious defaults 15000),
 * instanceName, appName (default eventflow); any other option is an error so a typo does
 * not pass silently.
 *
 * Always set: useUTC (datetime2 values are UTC instants) and abortTransactionOnError
 * (SET XACT_ABORT ON: any error dooms the whole transaction, as on PostgreSQL, instead of
 * rolling back one statement and carrying on).
 */
export function parseSqlServerUrl(url: string): ConnectionConfiguration {
  const parsed = new URL(url);
  const database = decodeURIComponent(parsed.pathname.replace(/^\//, ''));
  const server = parsed.hostname.replace(/^\[(.*)\]$/, '$1');
  if (server === '') {
    throw new Error('The SQL Server database URL has no host name');
  }

  const options: NonNullable<ConnectionConfiguration['options']> = {
    encrypt: true,
    trustServerCertificate: false,
    useUTC: true,
    abortTransactionOnError: true,
    appName: 'eventflow',
    ...(database === '' ? {} : { database }),
  };

  for (const [name, value] of parsed.searchParams) {
    if (isOneOf(BOOLEAN_OPTIONS, name)) {
      options[name] = parseBoolean(name, value);
    } else if (isOneOf(NUMBER_OPTIONS, name)) {
      options[name] = parseMilliseconds(name, value);
    } else if (isOneOf(STRING_OPTIONS, name)) {
      options[name] = value;
    } else {
      throw new Error(`Unknown SQL Server URL option "${name}"`);
    }
  }

  // tedious rejects a port together with an instance name (the browser service finds it).
  if (options.instanceName === undefined) {
    options.port = parsed.port === '' ? DEFAULT_PORT : Number(parsed.port);
  }

  return {
    server,
    options,
    authentication: {
      type: 'default',
      options: {
        userName: decodeURIComponent(parsed.username),
        password: decodeURIComponent(parsed.password),
      },
    },
  };
}

function isOneOf<T extends string>(names: readonly T[], name: string): name is T {
  return (names as readonly string[]).includes(name);
}

function parseBoolean(name: string, value: string): boolean {
  if (value === 'true') {
    return true;
  }

  if (value === 'false') {
    return false;
  }

  throw new Error(`SQL Server URL option "${name}" must be true or false`);
}

function parseMilliseconds(name: string, value: string): number {
  const number = Number(value);
  if (!Number.isInteger(number) || number <= 0) {
    throw new Error(`SQL Server URL option "${name}" must be a positive integer (milliseconds)`);
  }

  return number;
}
