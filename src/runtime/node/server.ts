import { randomUUID } from 'node:crypto';
import { mkdirSync, readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';

import { serve, type ServerType } from '@hono/node-server';
import { getConnInfo } from '@hono/node-server/conninfo';
import type { Context } from 'hono';
import Database from 'better-sqlite3';

import { FsObjectStore } from '../../adapters/fs-store/index.js';
import { LocalEventQueue } from '../../adapters/local-events/index.js';
import { MemoryRateLimiter } from '../../adapters/memory-limiter/index.js';
import { OutboxTransport } from '../../adapters/outbox/index.js';
import { FileSecretStore } from '../../adapters/secrets-file/index.js';
import { SharpImageChecker } from '../../adapters/sharp-images/index.js';
import { SharpLogoRenderer } from '../../adapters/sharp-logo/index.js';
import { SmtpTransport } from '../../adapters/smtp/index.js';
import { SqliteDeliveryLedger } from '../../adapters/sqlite-ledger/index.js';
import { SqliteRequestRecords } from '../../adapters/sqlite-records/index.js';
import { GroupCommit } from '../../adapters/sqlite-writes/index.js';
import { ZxingVerifier } from '../../adapters/zxing/index.js';
import type { Config } from '../../config.js';
import { deliverObjectCreated } from '../../core/deliver.js';
import { systemClock, type Logger, type MailTransport, type SecretStore } from '../../core/ports.js';
import { createApp } from '../../http/app.js';
import { lockDataDir } from './lock.js';
import { DeliveryWorker } from './worker.js';

/** A running local service. */
export interface RunningService {
  /** The address the HTTP server listens on, such as `http://127.0.0.1:3000`. */
  url: string;
  /** Stops accepting requests, lets deliveries in progress end, and closes everything. */
  stop(): Promise<void>;
}

/**
 * Starts the local service: the HTTP server and, in the same process, the mailer that the
 * object store's events drive. Everything lives under `config.dataDir`.
 */
export async function startService(config: Config, logger: Logger): Promise<RunningService> {
  mkdirSync(config.dataDir, { recursive: true });
  const releaseLock = lockDataDir(config.dataDir);

  const db = new Database(join(config.dataDir, 'qrmail.db'));
  db.pragma('journal_mode = WAL');
  db.pragma('busy_timeout = 5000');

  // Every write of a request, event or delivery goes through the group commit, which sets
  // synchronous = NORMAL and flushes the WAL itself before the write resolves: an accepted
  // request's event survives a crash or a power cut. The statements that run outside it claim
  // queued events or drop claims at start, and a claim lost in a crash only returns its event to
  // the queue.
  const writes = new GroupCommit(db);
  const queue = new LocalEventQueue(db, writes);
  const records = new SqliteRequestRecords(db, writes);
  const ledger = new SqliteDeliveryLedger(db, writes);
  // The lock is held, so no other worker runs: every open claim was left by a process that died.
  const releasedClaims = ledger.releaseAllClaims();
  if (releasedClaims > 0) {
    logger.warn({ releasedClaims }, 'claims left by a stopped process released; their emails may be sent again');
  }
  const store = new FsObjectStore({
    root: join(config.dataDir, 'objects'),
    bucket: config.bucket,
    onObjectCreated: (record) => queue.append(record),
  });
  const secrets = new FileSecretStore({ path: config.secretsFile, logger });
  const verifier = new ZxingVerifier();
  const transport = createTransport(config, secrets, logger);

  const worker = new DeliveryWorker({
    queue,
    logger,
    owner: randomUUID(),
    concurrency: config.deliveryConcurrency,
    pollSeconds: config.queuePollSeconds,
    maxAttempts: config.deliveryMaxAttempts,
    retryBaseSeconds: config.retryBaseSeconds,
    retryMaxSeconds: config.retryMaxSeconds,
    deliver: (record, attempt) =>
      deliverObjectCreated(
        {
          store,
          records,
          ledger,
          transport,
          clock: systemClock,
          logger,
          mailFrom: config.mailFrom,
          maxAttempts: config.deliveryMaxAttempts,
          leaseSeconds: config.deliveryLeaseSeconds,
        },
        record,
        attempt,
      ),
  });

  let server: ServerType;
  let listenUrl: string;
  try {
    ({ server, url: listenUrl } = await listen(config, (publicUrl) =>
      createApp({
        store,
        records,
        verifier,
        logos: new SharpLogoRenderer(),
        ...rateLimitOptions(config),
        apiKeyHashes: config.apiKeyHashes,
        uploads: {
          images: new SharpImageChecker({
            maxPixelsPerSide: config.maxUploadPixelsPerSide,
            keepMetadata: config.keepImageMetadata,
          }),
          maxUploadBytes: config.maxUploadBytes,
          linkTtlDays: config.linkTtlDays,
          presignSeconds: 900,
        },
        clock: systemClock,
        logger,
        publicUrl,
        maxBodyBytes: config.maxBodyBytes,
      }),
    ));
  } catch (error) {
    db.close();
    releaseLock();
    throw error;
  }
  worker.start();

  if (config.rateLimits === undefined) {
    logger.warn(
      {},
      'rate limits are off (QRMAIL_RATE_LIMIT=off): anyone who reaches this server can email any address',
    );
  }
  logger.info(
    { url: listenUrl, dataDir: config.dataDir, mail: transport.destination, publicUrl: config.publicUrl ?? listenUrl },
    'qrmail started',
  );

  let stopping: Promise<void> | undefined;
  const stop = () => {
    stopping ??= (async () => {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await worker.stop();
      await transport.close();
      db.close();
      releaseLock();
      logger.info({}, 'qrmail stopped');
    })();
    return stopping;
  };
  return { url: listenUrl, stop };
}

function rateLimitOptions(config: Config) {
  const limits = config.rateLimits;
  if (limits === undefined) return {};
  return {
    limiter: new MemoryRateLimiter(),
    clientLimit: { max: limits.perClientPerMinute, windowSeconds: 60 },
    recipientLimits: { perHour: limits.perRecipientPerHour, perDay: limits.perRecipientPerDay },
    clientAddress: (c: Context) => clientAddress(c, config.trustedProxyHeader),
  };
}

/**
 * Returns the client's address: the first entry of the trusted proxy header when one is
 * configured, else the socket's peer. The header is read only when configured, because any
 * client can send it.
 */
function clientAddress(c: Context, trustedHeader: string | undefined): string | undefined {
  if (trustedHeader !== undefined) {
    const forwarded = c.req.header(trustedHeader)?.split(',')[0]?.trim();
    if (forwarded) return forwarded;
  }
  return getConnInfo(c).remote.address;
}

function createTransport(config: Config, secrets: SecretStore, logger: Logger): MailTransport {
  if (config.smtp === undefined) return new OutboxTransport({ folder: join(config.dataDir, 'outbox') });

  const smtp = config.smtp;
  if (smtp.tls === 'none') {
    logger.warn({ host: smtp.host, port: smtp.port }, 'SMTP without TLS: use only with a local mail sink');
  }
  return new SmtpTransport({
    host: smtp.host,
    port: smtp.port,
    tls: smtp.tls,
    secretName: smtp.secretName,
    secrets,
    ...(smtp.caFile ? { ca: readFileSync(smtp.caFile) } : {}),
    maxConnections: smtp.maxConnections,
    maxMessagesPerSecond: smtp.maxMessagesPerSecond,
    timeoutSeconds: smtp.timeoutSeconds,
    logger,
  });
}

/** Starts the HTTP server; the app is built once the port is known, so its links carry the real port. */
async function listen(
  config: Config,
  buildApp: (publicUrl: string) => { fetch: (request: Request, env: unknown) => Response | Promise<Response> },
): Promise<{ server: ServerType; url: string }> {
  let fetch: (request: Request, env: unknown) => Response | Promise<Response> = () =>
    new Response(null, { status: 503 });

  const server = await new Promise<ServerType>((resolve, reject) => {
    // The second argument carries the Node request and socket, which getConnInfo reads for the client address.
    const started = serve(
      { fetch: (request, env) => fetch(request, env), hostname: config.host, port: config.port },
      () => resolve(started),
    );
    started.once('error', (error: NodeJS.ErrnoException) => {
      reject(
        error.code === 'EADDRINUSE'
          ? new Error(
              `port ${config.port} on ${config.host} is in use by another program: stop it, or set PORT to a free port`,
              { cause: error },
            )
          : error,
      );
    });
  });

  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  const url = `http://${host}:${address.port}`;
  fetch = buildApp(config.publicUrl ?? url).fetch;
  return { server, url };
}
