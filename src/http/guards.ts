import { createHash, timingSafeEqual } from 'node:crypto';

import type { Context, MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';

import { RateLimitError, RequestError } from '../core/errors.js';
import type { RateLimiter } from '../core/ports.js';

/** The header that carries an API key. */
export const API_KEY_HEADER = 'x-api-key';

/** Hashes an API key as it is stored: SHA-256, hex. Keys are random, so no salt or slow hash is needed. */
export function hashApiKey(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex');
}

/**
 * Responds with `onTooLarge` to a request body over `maxBytes`, as hono's bodyLimit does. A request
 * that gives its Content-Length, without Transfer-Encoding, is judged by that header alone,
 * because Node's HTTP parser reads exactly that many bytes (on Lambda the body arrives whole in
 * the event, within API Gateway's payload limit). hono's bodyLimit reads `request.body` first,
 * which makes @hono/node-server wrap the Node request in a full web Request (about 0.1 ms), where
 * the handler's `arrayBuffer()` reads the Node request directly. A body of unknown length still
 * goes through hono's bodyLimit, which counts it as it streams.
 */
export function limitBody(maxBytes: number, onTooLarge: (c: Context) => Response): MiddlewareHandler {
  const counted = bodyLimit({ maxSize: maxBytes, onError: onTooLarge });
  return async (c, next) => {
    const length = c.req.header('content-length');
    if (length === undefined || c.req.header('transfer-encoding') !== undefined) return counted(c, next);
    if (Number(length) > maxBytes) return onTooLarge(c);
    await next();
  };
}

/**
 * Requires an API key whose SHA-256 is in `hashes`. Comparing hashes in constant time keeps the
 * check from revealing how much of a guess was right.
 */
export function requireApiKey(hashes: readonly string[]): MiddlewareHandler {
  const expected = hashes.map((hash) => Buffer.from(hash.toLowerCase(), 'hex'));
  return async (c, next) => {
    const key = c.req.header(API_KEY_HEADER);
    if (key === undefined || key === '') {
      throw new RequestError(
        'missing_api_key',
        `This service needs an API key: send it in the ${API_KEY_HEADER} header.`,
        {
          status: 401,
        },
      );
    }
    const actual = Buffer.from(hashApiKey(key), 'hex');
    const matches = expected.some((hash) => hash.length === actual.length && timingSafeEqual(hash, actual));
    if (!matches) {
      throw new RequestError('invalid_api_key', `The API key in the ${API_KEY_HEADER} header is not valid.`, {
        status: 401,
      });
    }
    await next();
  };
}

/** Limits requests per client address; the address comes from `clientAddress`. */
export function limitClients(
  limiter: RateLimiter,
  limit: { max: number; windowSeconds: number },
  clientAddress: (c: Context) => string | undefined,
): MiddlewareHandler {
  return async (c, next) => {
    const address = clientAddress(c) ?? 'unknown';
    const decision = await limiter.consume(address, { name: 'client', ...limit });
    if (!decision.allowed) {
      throw new RateLimitError(
        `Too many requests from this address: at most ${limit.max} in ${limit.windowSeconds} seconds. ` +
          `Try again in ${decision.retryAfterSeconds} seconds.`,
        decision.retryAfterSeconds,
      );
    }
    await next();
  };
}
