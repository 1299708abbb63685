import { readConfig } from '../../config.js';
import { createLogger } from './logger.js';
import { startService } from './server.js';

/** Runs the local service until SIGTERM or SIGINT, then shuts it down gracefully. */
async function main(): Promise<void> {
  let config;
  try {
    config = readConfig();
  } catch (error) {
    createLogger('info').error({ error: (error as Error).message }, 'invalid configuration');
    process.exit(1);
  }

  const logger = createLogger(config.logLevel);
  const service = await startService(config, logger).catch((error: unknown) => {
    logger.error({ err: error }, 'qrmail failed to start');
    process.exit(1);
  });

  const shutdown = (signal: string) => {
    logger.info({ signal }, 'shutting down');
    service.stop().then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', () => shutdown('SIGTERM'));
  process.once('SIGINT', () => shutdown('SIGINT'));
}

await main();
