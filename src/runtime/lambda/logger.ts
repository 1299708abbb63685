import { Logger as PowertoolsLogger } from '@aws-lambda-powertools/logger';

import type { Logger } from '../../core/ports.js';

/** Adapts Powertools Logger (message first, then fields) to the core's fields-then-message logger. */
export function adaptPowertoolsLogger(logger: PowertoolsLogger): Logger {
  return {
    debug: (fields, message) => logger.debug(message, fields),
    info: (fields, message) => logger.info(message, fields),
    warn: (fields, message) => logger.warn(message, fields),
    error: (fields, message) => logger.error(message, fields),
    child: (fields) => adaptPowertoolsLogger(logger.createChild({ persistentKeys: fields })),
  };
}

/** Creates the structured JSON logger of a Lambda function; POWERTOOLS_* variables set its level. */
export function createLambdaLogger(serviceName: string): { powertools: PowertoolsLogger; logger: Logger } {
  const powertools = new PowertoolsLogger({ serviceName });
  return { powertools, logger: adaptPowertoolsLogger(powertools) };
}
