import { isAbsolute, join, resolve } from 'node:path';

import { ConfigurationError } from './core/errors.js';

/** SMTP connection security, as the smtp adapter's `SmtpTlsMode` describes it. */
export type SmtpTls = 'implicit' | 'starttls' | 'none';

/** SMTP settings, present only when a host is configured. */
export interface SmtpConfig {
  host: string;
  port: number;
  tls: SmtpTls;
  /** Name of the `{"username","password"}` secret, or undefined to send without logging in. */
  secretName: string | undefined;
  caFile: string | undefined;
  maxConnections: number;
  maxMessagesPerSecond: number;
  timeoutSeconds: number;
}

/** Everything the local runtime reads from the environment, read once at start. */
export interface Config {
  host: string;
  port: number;
  /** Base of the URLs that responses link to. Undefined means the address the server listens on. */
  publicUrl: string | undefined;
  dataDir: string;
  bucket: string;
  maxBodyBytes: number;
  mailFrom: string;
  /** Undefined means messages go to `<dataDir>/outbox` as .eml files. */
  smtp: SmtpConfig | undefined;
  secretsFile: string;
  deliveryMaxAttempts: number;
  deliveryConcurrency: number;
  retryBaseSeconds: number;
  retryMaxSeconds: number;
  deliveryLeaseSeconds: number;
  queuePollSeconds: number;
  logLevel: string;
  /** Rate limits, or undefined when QRMAIL_RATE_LIMIT=off. */
  rateLimits: RateLimitConfig | undefined;
  /** The lower-cased header whose first address is the client's, set only behind a trusted proxy. */
  trustedProxyHeader: string | undefined;
  /** SHA-256 hashes (hex) of the accepted API keys; empty means no key is needed. */
  apiKeyHashes: string[];
  maxUploadBytes: number;
  maxUploadPixelsPerSide: number;
  /** Days a short link to an uploaded image works; undefined means it never expires. */
  linkTtlDays: number | undefined;
  keepImageMetadata: boolean;
}

/** Limits that keep the service from being used to flood an address or the server. */
export interface RateLimitConfig {
  perClientPerMinute: number;
  perRecipientPerHour: number;
  perRecipientPerDay: number;
}

type Environment = Record<string, string | undefined>;

/**
 * Reads the configuration from environment variables. Every variable is optional; the
 * defaults run the whole service on one machine with no mail server. README.md lists them.
 */
export function readConfig(env: Environment = process.env, cwd: string = process.cwd()): Config {
  const dataDir = resolve(cwd, text(env, 'QRMAIL_DATA_DIR') ?? '.qrmail');
  const smtpHost = text(env, 'QRMAIL_SMTP_HOST');

  return {
    host: text(env, 'QRMAIL_HOST') ?? '127.0.0.1',
    port: integer(env, 'PORT', 3000, 0, 65535),
    publicUrl: publicUrl(env),
    dataDir,
    bucket: bucketName(env),
    // Large enough for a request with a 64 KiB logo in base64.
    maxBodyBytes: integer(env, 'QRMAIL_MAX_BODY_BYTES', 128 * 1024, 256, 10 * 1024 * 1024),
    mailFrom: text(env, 'QRMAIL_MAIL_FROM') ?? 'qrmail <qrmail@localhost>',
    smtp: smtpHost === undefined ? undefined : smtpConfig(env, smtpHost, cwd),
    secretsFile: path(env, 'QRMAIL_SECRETS_FILE', cwd) ?? join(dataDir, 'secrets.json'),
    deliveryMaxAttempts: integer(env, 'QRMAIL_DELIVERY_MAX_ATTEMPTS', 8, 1, 100),
    deliveryConcurrency: integer(env, 'QRMAIL_DELIVERY_CONCURRENCY', 8, 1, 256),
    retryBaseSeconds: number(env, 'QRMAIL_RETRY_BASE_SECONDS', 2, 0.001, 3600),
    retryMaxSeconds: number(env, 'QRMAIL_RETRY_MAX_SECONDS', 600, 0.001, 86400),
    deliveryLeaseSeconds: number(env, 'QRMAIL_DELIVERY_LEASE_SECONDS', 300, 1, 86400),
    queuePollSeconds: number(env, 'QRMAIL_QUEUE_POLL_SECONDS', 5, 0.05, 3600),
    logLevel: oneOf(env, 'QRMAIL_LOG_LEVEL', ['debug', 'info', 'warn', 'error', 'silent'], 'info'),
    rateLimits:
      oneOf(env, 'QRMAIL_RATE_LIMIT', ['on', 'off'], 'on') === 'off'
        ? undefined
        : {
            perClientPerMinute: integer(env, 'QRMAIL_RATE_LIMIT_PER_MINUTE', 60, 1, 1_000_000),
            perRecipientPerHour: integer(env, 'QRMAIL_RECIPIENT_LIMIT_PER_HOUR', 5, 1, 1_000_000),
            perRecipientPerDay: integer(env, 'QRMAIL_RECIPIENT_LIMIT_PER_DAY', 20, 1, 1_000_000),
          },
    trustedProxyHeader: text(env, 'QRMAIL_TRUSTED_PROXY_HEADER')?.toLowerCase(),
    apiKeyHashes: apiKeyHashes(env),
    maxUploadBytes: integer(env, 'QRMAIL_MAX_UPLOAD_BYTES', 10 * 1024 * 1024, 1024, 100 * 1024 * 1024),
    maxUploadPixelsPerSide: integer(env, 'QRMAIL_MAX_UPLOAD_PIXELS', 8192, 16, 32768),
    linkTtlDays:
      text(env, 'QRMAIL_LINK_TTL_DAYS') === undefined
        ? undefined
        : number(env, 'QRMAIL_LINK_TTL_DAYS', 0, 0.0001, 36500),
    keepImageMetadata: oneOf(env, 'QRMAIL_KEEP_IMAGE_METADATA', ['true', 'false'], 'false') === 'true',
  };
}

function apiKeyHashes(env: Environment): string[] {
  const value = text(env, 'QRMAIL_API_KEY_HASHES');
  if (value === undefined) return [];
  const hashes = value.split(',').map((hash) => hash.trim().toLowerCase());
  const invalid = hashes.find((hash) => !/^[0-9a-f]{64}$/.test(hash));
  if (invalid !== undefined) {
    throw new ConfigurationError(
      `QRMAIL_API_KEY_HASHES must be comma-separated SHA-256 hashes in hex (64 characters each), got ${JSON.stringify(invalid)}; ` +
        'run "qrmail api-key" to make a key and its hash',
    );
  }
  return hashes;
}

function smtpConfig(env: Environment, host: string, cwd: string): SmtpConfig {
  const port = integer(env, 'QRMAIL_SMTP_PORT', 587, 1, 65535);
  const tls = oneOf<SmtpTls>(
    env,
    'QRMAIL_SMTP_TLS',
    ['implicit', 'starttls', 'none'],
    port === 465 ? 'implicit' : 'starttls',
  );
  const auth = oneOf(env, 'QRMAIL_SMTP_AUTH', ['login', 'none'], 'login');

  return {
    host,
    port,
    tls,
    secretName: auth === 'none' ? undefined : (text(env, 'QRMAIL_SMTP_SECRET') ?? 'qrmail/smtp'),
    caFile: path(env, 'QRMAIL_SMTP_CA_FILE', cwd),
    maxConnections: integer(env, 'QRMAIL_SMTP_MAX_CONNECTIONS', 5, 1, 100),
    maxMessagesPerSecond: integer(env, 'QRMAIL_SMTP_MAX_MESSAGES_PER_SECOND', 100, 1, 100_000),
    timeoutSeconds: number(env, 'QRMAIL_SMTP_TIMEOUT_SECONDS', 30, 1, 600),
  };
}

function text(env: Environment, name: string): string | undefined {
  const value = env[name]?.trim();
  return value === undefined || value === '' ? undefined : value;
}

function path(env: Environment, name: string, cwd: string): string | undefined {
  const value = text(env, name);
  if (value === undefined) return undefined;
  return isAbsolute(value) ? value : resolve(cwd, value);
}

function number(env: Environment, name: string, fallback: number, min: number, max: number): number {
  const value = text(env, name);
  if (value === undefined) return fallback;
  const parsed = Number(value);
  if (!Number.isFinite(parsed) || parsed < min || parsed > max) {
    throw new ConfigurationError(`${name} must be a number from ${min} to ${max}, got ${JSON.stringify(value)}`);
  }
  return parsed;
}

function integer(env: Environment, name: string, fallback: number, min: number, max: number): number {
  const value = text(env, name);
  if (value === undefined) return fallback;
  if (!/^\d+$/.test(value) || Number(value) < min || Number(value) > max) {
    throw new ConfigurationError(`${name} must be a whole number from ${min} to ${max}, got ${JSON.stringify(value)}`);
  }
  return Number(value);
}

function oneOf<T extends string>(env: Environment, name: string, allowed: readonly T[], fallback: T): T {
  const value = text(env, name);
  if (value === undefined) return fallback;
  if (!(allowed as readonly string[]).includes(value)) {
    throw new ConfigurationError(`${name} must be one of ${allowed.join(', ')}, got ${JSON.stringify(value)}`);
  }
  return value as T;
}

function publicUrl(env: Environment): string | undefined {
  const value = text(env, 'QRMAIL_PUBLIC_URL');
  if (value === undefined) return undefined;
  try {
    const url = new URL(value);
    if (url.protocol === 'http:' || url.protocol === 'https:') return value.replace(/\/+$/, '');
  } catch {
    // Reported below.
  }
  throw new ConfigurationError(`QRMAIL_PUBLIC_URL must be an http or https URL, got ${JSON.stringify(value)}`);
}

function bucketName(env: Environment): string {
  const value = text(env, 'QRMAIL_BUCKET') ?? 'qrmail-images';
  // S3 bucket naming rules: 3 to 63 lowercase letters, digits, dots and hyphens.
  if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(value)) {
    throw new ConfigurationError(
      `QRMAIL_BUCKET must be 3 to 63 lowercase letters, digits, dots or hyphens, got ${JSON.stringify(value)}`,
    );
  }
  return value;
}
