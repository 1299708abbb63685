import type { Context, MiddlewareHandler } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';

import { QrmailError, RateLimitError } from '../core/errors.js';
import type { Logger } from '../core/ports.js';

/** The body of every error response. */
export interface ErrorBody {
  error: { code: string; message: string; field?: string };
}

/** Context variable that carries an error response's code from the route to `logRejections`. */
const ERROR_CODE = 'qrmailErrorCode';

/** Builds an error response with a stable code and a message that names the fix. */
export function errorResponse(
  c: Context,
  status: ContentfulStatusCode,
  code: string,
  message: string,
  field?: string,
): Response {
  const body: ErrorBody = { error: { code, message, ...(field === undefined ? {} : { field }) } };
  c.set(ERROR_CODE, code);
  return c.json(body, status);
}

/**
 * Logs one line for each response with a 4xx status, so an operator sees rejected and rate-limited
 * requests. Server errors are logged where they are caught.
 */
export function logRejections(logger: Logger): MiddlewareHandler {
  return async (c, next) => {
    await next();
    const status = c.res.status;
    if (status < 400 || status >= 500) return;
    logger.info(
      {
        httpRequestId: c.get('requestId') as unknown,
        method: c.req.method,
        path: c.req.path,
        status,
        code: c.get(ERROR_CODE) as unknown,
      },
      'request rejected',
    );
  };
}

/**
 * Maps any error thrown by a route to a response. Client errors keep their code and message.
 * Any other error is logged here, and only here, and the response is a generic 500.
 */
export function handleError(error: Error, c: Context, logger: Logger): Response {
  if (error instanceof RateLimitError) c.header('Retry-After', String(error.retryAfterSeconds));
  if (error instanceof QrmailError && error.status < 500) {
    const field = 'field' in error && typeof error.field === 'string' ? error.field : undefined;
    return errorResponse(c, error.status as ContentfulStatusCode, error.code, error.message, field);
  }

  logger.error(
    { err: error, httpRequestId: c.get('requestId'), method: c.req.method, path: c.req.path },
    'request failed',
  );
  return errorResponse(c, 500, 'internal_error', 'The server failed to handle the request. Try again later.');
}
