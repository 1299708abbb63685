/**
 * Errors raised by the core flows. Each carries a stable `code` that the API returns
 * and a `status` that the HTTP edge uses; adapters wrap foreign errors in these once.
 */

/** Base class of every error qrmail raises on purpose. */
export class QrmailError extends Error {
  override readonly name: string = 'QrmailError';
  readonly code: string;
  readonly status: number;

  constructor(code: string, message: string, status: number, options?: ErrorOptions) {
    super(message, options);
    this.code = code;
    this.status = status;
  }
}

/** A request that the client must change before sending it again (HTTP 4xx). */
export class RequestError extends QrmailError {
  override readonly name = 'RequestError';
  /** The request field the error concerns, such as `url`, when there is one. */
  readonly field: string | undefined;

  constructor(code: string, message: string, options: { status?: number; field?: string } = {}) {
    super(code, message, options.status ?? 400);
    this.field = options.field;
  }
}

/** A request over a rate limit (HTTP 429); `retryAfterSeconds` goes into the Retry-After header. */
export class RateLimitError extends RequestError {
  readonly retryAfterSeconds: number;

  constructor(message: string, retryAfterSeconds: number) {
    super('rate_limited', message, { status: 429 });
    this.retryAfterSeconds = retryAfterSeconds;
  }
}

/** A request, object or resource that does not exist (HTTP 404). */
export class NotFoundError extends QrmailError {
  override readonly name = 'NotFoundError';

  constructor(message: string) {
    super('not_found', message, 404);
  }
}

/** An object that cannot be delivered as stored, such as one missing its url or email metadata. */
export class PoisonObjectError extends QrmailError {
  override readonly name = 'PoisonObjectError';

  constructor(message: string, options?: ErrorOptions) {
    super('poison_object', message, 500, options);
  }
}

/**
 * Whether a failed send may succeed later. `transient` failures are retried with backoff,
 * `permanent` ones end the delivery as failed, and `configuration` ones (a rejected login)
 * wait for an operator without using up attempts.
 */
export type SendFailureKind = 'transient' | 'permanent' | 'configuration';

/** A mail transport's failure to send one message, classified for the retry policy. */
export class SendError extends QrmailError {
  override readonly name = 'SendError';
  readonly kind: SendFailureKind;
  /** The SMTP reply code, when the server sent one. */
  readonly responseCode: number | undefined;

  constructor(kind: SendFailureKind, message: string, options: { responseCode?: number; cause?: unknown } = {}) {
    super(`send_${kind}`, message, 502, { cause: options.cause });
    this.kind = kind;
    this.responseCode = options.responseCode;
  }
}

/** Configuration that cannot work, found at start or on first use. */
export class ConfigurationError extends QrmailError {
  override readonly name = 'ConfigurationError';

  constructor(message: string, options?: ErrorOptions) {
    super('configuration_error', message, 500, options);
  }
}
