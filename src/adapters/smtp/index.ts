import { isIP } from 'node:net';
import { Readable } from 'node:stream';

import type MailMessage from 'nodemailer/lib/mailer/mail-message.js';
import SMTPPool from 'nodemailer/lib/smtp-pool/index.js';

import { ConfigurationError, SendError } from '../../core/errors.js';
import type { Logger, MailTransport, OutgoingMessage, SecretStore, SendReceipt } from '../../core/ports.js';
import { buildRawMessage, type RawMessage } from '../../mail/nodemailer.js';

/**
 * Connection security. `implicit` is TLS from the first byte (port 465). `starttls` upgrades a
 * plain connection and fails if the server cannot (port 587). `none` sends in the clear, for local
 * mail sinks only.
 */
export type SmtpTlsMode = 'implicit' | 'starttls' | 'none';

/** SMTP settings. Credentials come from the secret store, never from these options. */
export interface SmtpTransportOptions {
  host: string;
  port: number;
  tls: SmtpTlsMode;
  /** Name of the secret with `{"username","password"}`, or undefined to send without logging in. */
  secretName: string | undefined;
  secrets: SecretStore;
  /** Extra certificate authorities to trust (PEM), such as a local server's own. */
  ca?: string | Buffer;
  /** Connections kept open at most. */
  maxConnections: number;
  /** Messages per second at most, over all connections. */
  maxMessagesPerSecond: number;
  timeoutSeconds: number;
  logger: Logger;
}

/** The SMTP login secret's shape. */
interface SmtpCredentials {
  username: string;
  password: string;
}

const TRANSIENT_SOCKET_CODES = new Set(['ECONNECTION', 'ETIMEDOUT', 'ESOCKET', 'ECONNRESET', 'EDNS', 'ECONNREFUSED']);

/**
 * Sends through an SMTP server with nodemailer's connection pool: a few long-lived connections
 * and a rate limit, instead of one connection and login per message. Each message is built into
 * one buffer first and handed to the pool directly. Going through `sendMail` would parse the
 * finished buffer again as a new message, which took more time than building it.
 */
export class SmtpTransport implements MailTransport {
  readonly destination: string;
  private readonly options: SmtpTransportOptions;
  private pool: Promise<SMTPPool> | undefined;
  /** Set after a rejected login, so the next pool reads the secret past any cache. */
  private readSecretFresh = false;

  constructor(options: SmtpTransportOptions) {
    this.options = options;
    this.destination = `smtp://${options.host}:${options.port} (${describeTls(options.tls)})`;
  }

  /**
   * Sends one message. After a rejected login the secret is read again and the message sent once
   * more, because the password may have been rotated since the pool logged in.
   */
  async send(message: OutgoingMessage): Promise<SendReceipt> {
    try {
      return await this.sendOnce(message);
    } catch (error) {
      if (!(error instanceof LoginFailedError)) throw error;
      this.options.logger.warn({ host: this.options.host }, 'SMTP login rejected; reading the secret again');
      this.readSecretFresh = true;
      this.reset();
      return await this.sendOnce(message);
    }
  }

  private async sendOnce(message: OutgoingMessage): Promise<SendReceipt> {
    const pool = await this.getPool();
    try {
      const built = buildRawMessage(message);
      await new Promise<void>((resolve, reject) => {
        pool.send(poolMessage(built), (error) => (error ? reject(error) : resolve()));
      });
      return { messageId: built.messageId, destination: this.destination };
    } catch (error) {
      const failure = classify(error);
      // A rejected login may mean the password was rotated: the next send reads the secret again.
      if (failure.kind === 'configuration') {
        this.readSecretFresh = true;
        this.reset();
      }
      throw failure;
    }
  }

  async close(): Promise<void> {
    const pool = this.pool;
    this.pool = undefined;
    if (pool) (await pool.catch(() => undefined))?.close();
  }

  private reset(): void {
    void this.close();
  }

  private getPool(): Promise<SMTPPool> {
    this.pool ??= this.createPool().catch((error: unknown) => {
      this.pool = undefined;
      throw error instanceof ConfigurationError
        ? new SendError('configuration', error.message, { cause: error })
        : error;
    });
    return this.pool;
  }

  private async createPool(): Promise<SMTPPool> {
    const options = this.options;
    const credentials = options.secretName === undefined ? undefined : await this.readCredentials(options.secretName);

    return new SMTPPool({
      host: options.host,
      port: options.port,
      secure: options.tls === 'implicit',
      requireTLS: options.tls === 'starttls',
      ignoreTLS: options.tls === 'none',
      ...(credentials ? { auth: { user: credentials.username, pass: credentials.password } } : {}),
      tls: {
        minVersion: 'TLSv1.2',
        // SNI carries host names only (RFC 6066); an IP address is still checked against the certificate.
        ...(isIP(options.host) === 0 ? { servername: options.host } : {}),
        ...(options.ca ? { ca: options.ca } : {}),
      },
      maxConnections: options.maxConnections,
      maxMessages: 1000,
      rateDelta: 1000,
      rateLimit: options.maxMessagesPerSecond,
      connectionTimeout: options.timeoutSeconds * 1000,
      greetingTimeout: options.timeoutSeconds * 1000,
      socketTimeout: options.timeoutSeconds * 1000,
      logger: false,
      debug: false,
    });
  }

  private async readCredentials(name: string): Promise<SmtpCredentials> {
    const fresh = this.readSecretFresh;
    this.readSecretFresh = false;
    const secret = await this.options.secrets.get(name, { fresh });
    const candidate = secret as Partial<SmtpCredentials> | null;
    if (
      candidate === null ||
      typeof candidate !== 'object' ||
      typeof candidate.username !== 'string' ||
      typeof candidate.password !== 'string'
    ) {
      throw new ConfigurationError(`secret "${name}" must be a JSON object with string "username" and "password"`);
    }
    return { username: candidate.username, password: candidate.password };
  }
}

/**
 * Wraps a built message in the shape that nodemailer's transports receive from `sendMail`: the
 * options under `data`, and under `message` the envelope, the Message-ID and a stream of the bytes.
 */
function poolMessage(built: RawMessage): MailMessage<SMTPPool.SentMessageInfo> {
  const mail = {
    data: {},
    message: {
      getEnvelope: () => ({ from: built.envelope.from, to: [...built.envelope.to] }),
      messageId: () => built.messageId,
      getHeader: (name: string) => (name.toLowerCase() === 'message-id' ? built.messageId : undefined),
      createReadStream: () => Readable.from([built.raw], { objectMode: false }),
    },
  };
  return mail as unknown as MailMessage<SMTPPool.SentMessageInfo>;
}

/** A login the server rejected: a configuration failure that a rotated secret may fix. */
class LoginFailedError extends SendError {
  constructor(message: string, options: { responseCode?: number; cause?: unknown }) {
    super('configuration', message, options);
  }
}

function describeTls(mode: SmtpTlsMode): string {
  if (mode === 'implicit') return 'implicit TLS';
  if (mode === 'starttls') return 'STARTTLS required';
  return 'no TLS';
}

/** Wraps a nodemailer error in a `SendError` whose kind decides whether to retry. */
function classify(error: unknown): SendError {
  const details = error as { code?: string; responseCode?: number; response?: string; message?: string };
  const responseCode = typeof details.responseCode === 'number' ? details.responseCode : undefined;
  // The server's reply names what went wrong; nodemailer's message can include the command sent.
  const reason = details.response ?? details.message ?? String(error);
  const options = { responseCode, cause: error };

  if (details.code === 'EAUTH' || responseCode === 535 || responseCode === 530 || responseCode === 534) {
    return new LoginFailedError(`SMTP login failed: ${reason}`, options);
  }
  if (details.code === 'ETLS' || /certificate|self[- ]signed|altname/i.test(reason)) {
    return new SendError('configuration', `SMTP TLS failed: ${reason}`, options);
  }
  if (responseCode !== undefined && responseCode >= 400 && responseCode < 500) {
    return new SendError('transient', `SMTP server deferred the message: ${reason}`, options);
  }
  if (responseCode !== undefined && responseCode >= 500) {
    return new SendError('permanent', `SMTP server rejected the message: ${reason}`, options);
  }
  if (details.code === 'EENVELOPE' || details.code === 'EMESSAGE') {
    return new SendError('permanent', `SMTP message or envelope is invalid: ${reason}`, options);
  }
  if (details.code !== undefined && TRANSIENT_SOCKET_CODES.has(details.code)) {
    return new SendError('transient', `SMTP connection failed: ${reason}`, options);
  }
  return new SendError('transient', `SMTP send failed: ${reason}`, options);
}
