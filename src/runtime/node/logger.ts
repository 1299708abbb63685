import { pino } from 'pino';

import type { Logger } from '../../core/ports.js';

/** Field paths whose values are replaced before a line is written, wherever a secret could sit. */
const REDACTED_PATHS = [
  'password',
  'pass',
  'secret',
  'auth',
  'credentials',
  '*.password',
  '*.pass',
  '*.secret',
  '*.auth',
  '*.credentials',
];

/** Creates the JSON line logger of the local runtime, writing to `destination` (stdout by default). */
export function createLogger(level: string, destination?: NodeJS.WritableStream): Logger {
  const options = {
    level,
    base: { service: 'qrmail' },
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
    formatters: { level: (label: string) => ({ level: label }) },
  };
  return destination ? pino(options, destination) : pino(options);
}
