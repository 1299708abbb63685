import { ConfigurationError } from '../../core/errors.js';

type Environment = Record<string, string | undefined>;

/**
 * Largest image upload that the API function accepts, in bytes. Lambda's quotas limit the request
 * of a synchronous invocation to 6 MB (6,291,456 bytes), and API Gateway passes a binary body
 * base64-encoded, which adds a third. With 4 MiB, about 700 KB remains for the event's other fields.
 */
export const LAMBDA_MAX_UPLOAD_BYTES = 4 * 1024 * 1024;

/** Settings of the API function, set by the CDK stack as environment variables. */
export interface ApiFunctionConfig {
  bucket: string;
  tableName: string;
  publicUrl: string | undefined;
  maxBodyBytes: number;
  /** SHA-256 hashes (hex) of the API keys that may post requests; empty means none is needed. */
  apiKeyHashes: string[];
  recipientLimitPerHour: number;
  recipientLimitPerDay: number;
  clientLimitPerMinute: number;
  /** Largest image upload, in bytes; at most `LAMBDA_MAX_UPLOAD_BYTES`. */
  maxUploadBytes: number;
  /** Largest uploaded image width or height, in pixels. */
  maxUploadPixelsPerSide: number;
  /** Days a short link to an uploaded image works; undefined means it never expires. */
  linkTtlDays: number | undefined;
  /** Store uploads with their EXIF, GPS and other metadata instead of removing it. */
  keepImageMetadata: boolean;
}

/** Settings of the mailer function, set by the CDK stack as environment variables. */
export interface MailerFunctionConfig {
  bucket: string;
  tableName: string;
  mailFrom: string;
  transport: 'smtp' | 'ses';
  smtp:
    | {
        host: string;
        port: number;
        tls: 'implicit' | 'starttls';
        secretName: string;
        maxConnections: number;
        maxMessagesPerSecond: number;
        timeoutSeconds: number;
      }
    | undefined;
  sesConfigurationSet: string | undefined;
  secretMaxAgeSeconds: number;
  deadLetterQueueUrl: string;
  /** Equal to the queue's maxReceiveCount, so the last receive ends as failed, not as a silent drop. */
  maxAttempts: number;
  leaseSeconds: number;
}

/** Reads the API function's settings. Throws a `ConfigurationError` naming a missing variable. */
export function readApiConfig(env: Environment = process.env): ApiFunctionConfig {
  return {
    bucket: required(env, 'QRMAIL_BUCKET'),
    tableName: required(env, 'QRMAIL_TABLE'),
    publicUrl: optional(env, 'QRMAIL_PUBLIC_URL'),
    maxBodyBytes: integer(env, 'QRMAIL_MAX_BODY_BYTES', 128 * 1024),
    apiKeyHashes: (optional(env, 'QRMAIL_API_KEY_HASHES') ?? '')
      .split(',')
      .map((hash) => hash.trim().toLowerCase())
      .filter((hash) => hash !== ''),
    recipientLimitPerHour: integer(env, 'QRMAIL_RECIPIENT_LIMIT_PER_HOUR', 5),
    recipientLimitPerDay: integer(env, 'QRMAIL_RECIPIENT_LIMIT_PER_DAY', 20),
    clientLimitPerMinute: integer(env, 'QRMAIL_RATE_LIMIT_PER_MINUTE', 60),
    maxUploadBytes: integer(env, 'QRMAIL_MAX_UPLOAD_BYTES', LAMBDA_MAX_UPLOAD_BYTES, LAMBDA_MAX_UPLOAD_BYTES),
    maxUploadPixelsPerSide: integer(env, 'QRMAIL_MAX_UPLOAD_PIXELS', 8192),
    linkTtlDays: optionalPositiveNumber(env, 'QRMAIL_LINK_TTL_DAYS'),
    keepImageMetadata: flag(env, 'QRMAIL_KEEP_IMAGE_METADATA'),
  };
}

/** Reads the mailer function's settings. Throws a `ConfigurationError` naming a missing variable. */
export function readMailerConfig(env: Environment = process.env): MailerFunctionConfig {
  const transport = optional(env, 'QRMAIL_MAIL_TRANSPORT') ?? 'smtp';
  if (transport !== 'smtp' && transport !== 'ses') {
    throw new ConfigurationError(`QRMAIL_MAIL_TRANSPORT must be smtp or ses, got ${JSON.stringify(transport)}`);
  }
  const port = integer(env, 'QRMAIL_SMTP_PORT', 587);
  const tls = optional(env, 'QRMAIL_SMTP_TLS') ?? (port === 465 ? 'implicit' : 'starttls');
  if (tls !== 'implicit' && tls !== 'starttls') {
    // Plain SMTP is for local sinks; a Lambda function always sends over TLS.
    throw new ConfigurationError(`QRMAIL_SMTP_TLS must be implicit or starttls, got ${JSON.stringify(tls)}`);
  }

  return {
    bucket: required(env, 'QRMAIL_BUCKET'),
    tableName: required(env, 'QRMAIL_TABLE'),
    mailFrom: required(env, 'QRMAIL_MAIL_FROM'),
    transport,
    smtp:
      transport === 'smtp'
        ? {
            host: required(env, 'QRMAIL_SMTP_HOST'),
            port,
            tls,
            secretName: required(env, 'QRMAIL_SMTP_SECRET'),
            maxConnections: integer(env, 'QRMAIL_SMTP_MAX_CONNECTIONS', 2),
            maxMessagesPerSecond: integer(env, 'QRMAIL_SMTP_MAX_MESSAGES_PER_SECOND', 50),
            timeoutSeconds: integer(env, 'QRMAIL_SMTP_TIMEOUT_SECONDS', 10),
          }
        : undefined,
    sesConfigurationSet: optional(env, 'QRMAIL_SES_CONFIGURATION_SET'),
    secretMaxAgeSeconds: integer(env, 'QRMAIL_SECRET_MAX_AGE_SECONDS', 300),
    deadLetterQueueUrl: required(env, 'QRMAIL_DEAD_LETTER_QUEUE_URL'),
    maxAttempts: integer(env, 'QRMAIL_DELIVERY_MAX_ATTEMPTS', 5),
    leaseSeconds: integer(env, 'QRMAIL_DELIVERY_LEASE_SECONDS', 120),
  };
}

function optional(env: Environment, name: string): string | undefined {
  const value = env[name]?.trim();
  return value === undefined || value === '' ? undefined : value;
}

function required(env: Environment, name: string): string {
  const value = optional(env, name);
  if (value === undefined) throw new ConfigurationError(`${name} is not set; the CDK stack sets it on the function`);
  return value;
}

function integer(env: Environment, name: string, fallback: number, max = Number.MAX_SAFE_INTEGER): number {
  const value = optional(env, name);
  if (value === undefined) return fallback;
  if (!/^\d+$/.test(value) || Number(value) < 1) {
    throw new ConfigurationError(`${name} must be a positive whole number, got ${JSON.stringify(value)}`);
  }
  if (Number(value) > max) {
    throw new ConfigurationError(`${name} must be at most ${max}, got ${value}`);
  }
  return Number(value);
}

function optionalPositiveNumber(env: Environment, name: string): number | undefined {
  const value = optional(env, name);
  if (value === undefined) return undefined;
  if (!/^\d+(\.\d+)?$/.test(value) || Number(value) <= 0) {
    throw new ConfigurationError(`${name} must be a positive number, got ${JSON.stringify(value)}`);
  }
  return Number(value);
}

function flag(env: Environment, name: string): boolean {
  const value = optional(env, name) ?? 'false';
  if (value !== 'true' && value !== 'false') {
    throw new ConfigurationError(`${name} must be true or false, got ${JSON.stringify(value)}`);
  }
  return value === 'true';
}
