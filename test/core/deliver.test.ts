import { join } from 'node:path';
import { Writable } from 'node:stream';

import Database from 'better-sqlite3';
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { FsObjectStore } from '../../src/adapters/fs-store/index.js';
import { FileSecretStore } from '../../src/adapters/secrets-file/index.js';
import { SmtpTransport } from '../../src/adapters/smtp/index.js';
import { SqliteDeliveryLedger } from '../../src/adapters/sqlite-ledger/index.js';
import { SqliteRequestRecords } from '../../src/adapters/sqlite-records/index.js';
import { deliverObjectCreated, type DeliverDependencies } from '../../src/core/deliver.js';
import type { S3EventRecord } from '../../src/core/events.js';
import { encodeQrMetadata } from '../../src/core/metadata.js';
import { systemClock, type Logger } from '../../src/core/ports.js';
import { encodeMatrix, renderPng } from '../../src/qr/index.js';
import { createLogger } from '../../src/runtime/node/logger.js';
import { decodeQrText } from '../support/qr-decoder.js';
import { startTestSmtpServer, type FaultHook, type TestSmtpServer } from '../support/smtp-server.js';
import { makeTempDir, writeSecretsFile } from '../support/temp.js';

const REQUEST_ID = '0b7f3c52-6a1e-4d2b-9a57-2f1c8e4d9b10';
const URL = 'https://example.com/a%20b/c+d?x=1&y=%2B2#frag';

interface Harness {
  deps: DeliverDependencies;
  smtp: TestSmtpServer;
  store: FsObjectStore;
  records: SqliteRequestRecords;
  events: S3EventRecord[];
  logs: string[];
  folder: string;
  /** An SMTP transport reading its login from the secrets file `secretsFile`. */
  transportFor(secretsFile: string): SmtpTransport;
  close(): Promise<void>;
}

let harness: Harness;
let fault: { atRecipient?: FaultHook; atMessage?: FaultHook } = {};

async function createHarness(): Promise<Harness> {
  const folder = makeTempDir();
  const smtp = await startTestSmtpServer({
    implicitTls: true,
    onRecipient: (session, recipient) => fault.atRecipient?.(session, recipient),
    onMessage: (session, recipient) => fault.atMessage?.(session, recipient),
  });
  const logs: string[] = [];
  const logger: Logger = createLogger(
    'debug',
    new Writable({
      write(chunk, _encoding, callback) {
        logs.push(String(chunk));
        callback();
      },
    }),
  );
  const events: S3EventRecord[] = [];
  const store = new FsObjectStore({
    root: folder.path,
    bucket: 'test-bucket',
    onObjectCreated: (record) => void events.push(record),
  });
  const db = new Database(':memory:');
  const records = new SqliteRequestRecords(db);
  const transports: SmtpTransport[] = [];
  const transportFor = (secretsFile: string) => {
    const transport = new SmtpTransport({
      host: smtp.host,
      port: smtp.port,
      tls: 'implicit',
      secretName: 'qrmail/smtp',
      secrets: new FileSecretStore({ path: secretsFile, logger }),
      ca: smtp.ca,
      maxConnections: 2,
      maxMessagesPerSecond: 1000,
      timeoutSeconds: 5,
      logger,
    });
    transports.push(transport);
    return transport;
  };

  const secretsFile = join(folder.path, 'secrets.json');
  writeSecretsFile(secretsFile, { 'qrmail/smtp': { username: smtp.username, password: smtp.password } });

  return {
    deps: {
      store,
      records,
      ledger: new SqliteDeliveryLedger(db),
      transport: transportFor(secretsFile),
      clock: systemClock,
      logger,
      mailFrom: 'qrmail <qrmail@example.com>',
      maxAttempts: 3,
      leaseSeconds: 60,
    },
    smtp,
    store,
    records,
    events,
    logs,
    folder: folder.path,
    transportFor,
    async close() {
      for (const transport of transports) await transport.close();
      await smtp.close();
      db.close();
      folder.remove();
    },
  };
}

/** Stores a QR code as the accept flow does and returns its ObjectCreated record. */
async function storeQrCode(options: { key?: string; metadata?: Record<string, string> } = {}): Promise<S3EventRecord> {
  const key = options.key ?? `qrcodes/${REQUEST_ID}.png`;
  await harness.records.create({ id: REQUEST_ID, objectKey: key, createdAt: new Date() });
  await harness.store.put({
    key,
    body: renderPng(encodeMatrix(URL, 'M')),
    contentType: 'image/png',
    metadata: options.metadata ?? encodeQrMetadata({ requestId: REQUEST_ID, url: URL, email: 'user@example.com' }),
  });
  return harness.events.at(-1)!;
}

beforeEach(async () => {
  fault = {};
  harness = await createHarness();
});
afterEach(async () => {
  await harness.close();
});

describe('deliverObjectCreated', () => {
  it('sends the stored code', async () => {
    const record = await storeQrCode();

    const outcome = await deliverObjectCreated(harness.deps, record, 1);

    expect(outcome.result).toBe('sent');
    expect(harness.smtp.messages).toHaveLength(1);
    expect(harness.smtp.messages[0]!.envelopeTo).toEqual(['user@example.com']);
    expect(await decodeQrText(harness.smtp.messages[0]!.parsed.attachments[0]!.content)).toBe(URL);
    expect((await harness.records.get(REQUEST_ID))?.status).toBe('sent');
  });

  it('skips a repeated event', async () => {
    const record = await storeQrCode();

    const first = await deliverObjectCreated(harness.deps, record, 1);
    const second = await deliverObjectCreated(harness.deps, record, 1);

    expect(first.result).toBe('sent');
    expect(second.result).toBe('duplicate');
    expect(harness.smtp.messages).toHaveLength(1);
  });

  it('decodes a key with a space once', async () => {
    const record = await storeQrCode({ key: 'qrcodes/my code.png' });
    expect(record.s3.object.key).toBe('qrcodes/my+code.png');

    const outcome = await deliverObjectCreated(harness.deps, record, 1);

    expect(outcome.result).toBe('sent');
    expect(harness.smtp.messages).toHaveLength(1);
  });

  it('rejects CRLF in a stored email', async () => {
    const metadata = encodeQrMetadata({
      requestId: REQUEST_ID,
      url: URL,
      email: 'victim@example.com\r\nBcc: others@example.com',
    });
    const record = await storeQrCode({ metadata });

    const outcome = await deliverObjectCreated(harness.deps, record, 1);

    expect(outcome.result).toBe('poison');
    expect(harness.smtp.messages).toHaveLength(0);
    expect(harness.logs.join('')).toContain('object cannot be delivered');
  });

  it('treats missing metadata as poison', async () => {
    const record = await storeQrCode({ metadata: {} });

    const outcome = await deliverObjectCreated(harness.deps, record, 1);

    expect(outcome.result).toBe('poison');
    expect(harness.smtp.messages).toHaveLength(0);
  });

  it('ignores other events and keys', async () => {
    const record = await storeQrCode();
    const removed = { ...record, eventName: 'ObjectRemoved:Delete' };
    const otherKey = { ...record, s3: { ...record.s3, object: { ...record.s3.object, key: 'uploads/photo.jpg' } } };

    expect((await deliverObjectCreated(harness.deps, removed, 1)).result).toBe('ignored');
    expect((await deliverObjectCreated(harness.deps, otherKey, 1)).result).toBe('ignored');
    expect(harness.smtp.messages).toHaveLength(0);
  });

  it('retries a 451, fails at the limit', async () => {
    fault.atMessage = () => ({ code: 451, message: '4.3.0 Temporary local problem' });
    const record = await storeQrCode();

    const first = await deliverObjectCreated(harness.deps, record, 1);
    const last = await deliverObjectCreated(harness.deps, record, harness.deps.maxAttempts);

    expect(first.result).toBe('retry');
    expect(last.result).toBe('failed');
    const request = await harness.records.get(REQUEST_ID);
    expect(request?.status).toBe('failed');
    expect(request?.attempts).toBe(2);
    expect(request?.lastError).toContain('451');
    expect(harness.smtp.messages).toHaveLength(0);
  });

  it('fails a 550 without retry', async () => {
    fault.atRecipient = () => ({ code: 550, message: '5.1.1 Mailbox does not exist' });
    const record = await storeQrCode();

    const outcome = await deliverObjectCreated(harness.deps, record, 1);

    expect(outcome.result).toBe('failed');
    expect((await harness.records.get(REQUEST_ID))?.status).toBe('failed');
  });

  it('parks after a rejected login', async () => {
    const wrongSecrets = join(harness.folder, 'wrong-secrets.json');
    writeSecretsFile(wrongSecrets, {
      'qrmail/smtp': { username: harness.smtp.username, password: 'wrong-password-9f2' },
    });
    const record = await storeQrCode();
    const deps = { ...harness.deps, transport: harness.transportFor(wrongSecrets) };

    const outcome = await deliverObjectCreated(deps, record, 1);

    expect(outcome.result).toBe('parked');
    expect((await harness.records.get(REQUEST_ID))?.status).toBe('queued');
    // The transport reads the secret again after the first rejection and tries once more.
    expect(harness.smtp.failedLogins).toBe(2);
    expect(harness.logs.join('')).toContain('mail configuration rejected');
    expect(harness.logs.join('')).not.toContain('wrong-password-9f2');
    expect(harness.logs.join('')).not.toContain(harness.smtp.password);
  });

  it('sends once for three concurrent events', async () => {
    const record = await storeQrCode();
    const copies = [structuredClone(record), structuredClone(record), structuredClone(record)];

    const outcomes = await Promise.all(copies.map((copy) => deliverObjectCreated(harness.deps, copy, 1)));

    expect(outcomes.filter((outcome) => outcome.result === 'sent')).toHaveLength(1);
    expect(outcomes.filter((outcome) => outcome.result === 'busy')).toHaveLength(2);
    expect(harness.smtp.messages).toHaveLength(1);
    const retried = await Promise.all(copies.slice(1).map((copy) => deliverObjectCreated(harness.deps, copy, 1)));
    expect(retried.map((outcome) => outcome.result)).toEqual(['duplicate', 'duplicate']);
    expect(harness.smtp.messages).toHaveLength(1);
  });

  it('lets one of two workers send', async () => {
    const record = await storeQrCode();
    const databaseFile = join(harness.folder, 'shared.db');
    const first = new Database(databaseFile);
    const second = new Database(databaseFile);
    const firstRecords = new SqliteRequestRecords(first);
    await firstRecords.create({ id: REQUEST_ID, objectKey: `qrcodes/${REQUEST_ID}.png`, createdAt: new Date() });
    const workers = [first, second].map((db) => ({
      ...harness.deps,
      records: new SqliteRequestRecords(db),
      ledger: new SqliteDeliveryLedger(db),
    }));

    const outcomes = await Promise.all(workers.map((deps) => deliverObjectCreated(deps, record, 1)));
    first.close();
    second.close();

    expect(outcomes.map((outcome) => outcome.result).sort()).toEqual(['busy', 'sent']);
    expect(harness.smtp.messages).toHaveLength(1);
  });

  it('retries a failed request on replay', async () => {
    fault.atRecipient = () => ({ code: 550, message: '5.1.1 Mailbox does not exist' });
    const record = await storeQrCode();
    expect((await deliverObjectCreated(harness.deps, record, 1)).result).toBe('failed');

    fault = {};
    const replayed = await deliverObjectCreated(harness.deps, record, 1);

    expect(replayed.result).toBe('sent');
    expect((await harness.records.get(REQUEST_ID))?.status).toBe('sent');
    expect(harness.smtp.messages).toHaveLength(1);
  });

  it('sends again after an expired claim', async () => {
    const record = await storeQrCode();
    const past = new Date(Date.now() - 120_000);
    const deliveryKey = `test-bucket/qrcodes/${REQUEST_ID}.png#${record.s3.object.eTag}`;
    expect(
      await harness.deps.ledger.claim(deliveryKey, 'crashed-worker', past, new Date(past.getTime() + 60_000)),
    ).toBe('claimed');

    const outcome = await deliverObjectCreated(harness.deps, record, 1);

    expect(outcome.result).toBe('sent');
    expect(harness.smtp.messages).toHaveLength(1);
  });

  it('survives arbitrary event records', async () => {
    const base = await storeQrCode();
    const outcomes = new Set(['sent', 'duplicate', 'ignored', 'poison']);
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.jsonValue(),
          fc.string().map((key) => ({ ...base, s3: { ...base.s3, object: { ...base.s3.object, key } } })),
          fc
            .constantFrom('qrcodes/%E0%A4%A.png', 'qrcodes/%', 'qrcodes/../../etc/passwd.png', 'qrcodes/.png')
            .map((key) => ({
              ...base,
              s3: { ...base.s3, object: { ...base.s3.object, key } },
            })),
        ),
        async (record) => {
          const outcome = await deliverObjectCreated(harness.deps, record as S3EventRecord, 1);
          expect(outcomes.has(outcome.result)).toBe(true);
        },
      ),
      { numRuns: 200 },
    );
    expect(harness.smtp.messages.length).toBeLessThanOrEqual(1);
  });
});
