import { Writable } from 'node:stream';

import type { Logger } from '../../src/core/ports.js';
import { createLogger } from '../../src/runtime/node/logger.js';

/** The service's pino logger, writing its JSON lines to memory instead of stdout. */
export interface CapturedLogger {
  logger: Logger;
  /** Everything written so far, as one string. */
  text(): string;
  /** Every line written so far, parsed. */
  records(): Record<string, unknown>[];
}

/** Creates the runtime's logger at `level` over an in-memory stream. */
export function captureLogger(level = 'debug'): CapturedLogger {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer | string, _encoding, callback) {
      chunks.push(chunk.toString());
      callback();
    },
  });
  const logger = createLogger(level, stream);

  const text = () => chunks.join('');
  return {
    logger,
    text,
    records: () =>
      text()
        .split('\n')
        .filter((line) => line !== '')
        .map((line) => JSON.parse(line) as Record<string, unknown>),
  };
}
