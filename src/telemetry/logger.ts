import { pino, type Logger } from 'pino';

export type { Logger } from 'pino';

/**
 * Paths that must never reach a log line, whatever a caller passes in: credentials in
 * bodies and headers, and stored password hashes.
 */
const REDACTED_PATHS = [
  'password',
  'currentPassword',
  'newPassword',
  'passwordHash',
  'password_hash',
  'token',
  'authorization',
  '*.password',
  '*.currentPassword',
  '*.newPassword',
  '*.passwordHash',
  '*.password_hash',
  '*.token',
  '*.authorization',
  'headers.authorization',
  'req.headers.authorization',
];

export interface LoggerOptions {
  level: string;
  /** `main` or `worker`; lets a reader tell which thread wrote a line. */
  thread: 'main' | 'worker';
  /** Where to write; stdout (fd 1) by default. Tests pass a stream to capture lines. */
  destination?: pino.DestinationStream;
}

/** JSON logger with the project's redaction rules. Fields first, a constant message second. */
export function createLogger(options: LoggerOptions): Logger {
  return pino(
    {
      level: options.level,
      base: { service: 'eventflow', thread: options.thread },
      redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    options.destination ?? pino.destination({ fd: 1, sync: false }),
  );
}
