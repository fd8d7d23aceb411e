import { ConfigError, loadConfig } from './config.js';
import { startApi } from './server/api.js';
import { createLogger } from './telemetry/logger.js';

/** Composition root: config -> logger -> API (pool, migrations, cache, HTTP) -> signals. */
async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig();
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`${error.message}\n`);
    process.exit(78);
  }

  const seq = config.seqUrl === null ? null : { url: config.seqUrl, apiKey: config.seqApiKey };
  const log = createLogger({ level: config.logLevel, thread: 'main', seq });
  if (config.jwt.isSecretGenerated) {
    log.warn({}, 'JWT_SECRET not set: using a random per-process secret (tokens die on restart)');
  }

  // Signals are handled from the start: one arriving while migrations run waits for the
  // start-up to finish, then shuts down the same way (pools closed, logs flushed, exit 0).
  const starting = startApi(config, log);
  const stop = (signal: string): void => {
    log.info({ signal }, 'shutting down');
    starting
      .then((api) => api.close())
      .then(
        () => {
          log.flush();
          process.exit(0);
        },
        (error: unknown) => {
          log.error({ err: error }, 'shutdown failed');
          process.exit(1);
        },
      );
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
  await starting;
}

main().catch((error: unknown) => {
  process.stderr.write(`EventFlow failed to start: ${String(error)}\n`);
  process.exit(1);
});
