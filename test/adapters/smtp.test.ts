import { writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';

import { afterEach, describe, expect, it } from 'vitest';

import { FileSecretStore } from '../../src/adapters/secrets-file/index.js';
import { SmtpTransport, type SmtpTlsMode } from '../../src/adapters/smtp/index.js';
import { SendError } from '../../src/core/errors.js';
import type { Logger } from '../../src/core/ports.js';
import { composeReadyMail } from '../../src/mail/compose.js';
import { encodeMatrix, renderPng } from '../../src/qr/index.js';
import { captureLogger } from '../support/log-capture.js';
import { startTestSmtpServer, type FaultHook, type TestSmtpServer } from '../support/smtp-server.js';
import { makeTempDir, writeSecretsFile } from '../support/temp.js';

const SECRET_NAME = 'qrmail/smtp';
const RECIPIENT = 'someone@example.com';
const MESSAGE = composeReadyMail({
  requestId: '6f1c2a9e-3b4d-4e5f-8a7b-9c0d1e2f3a4b',
  url: 'https://example.com/smtp',
  to: RECIPIENT,
  from: 'qrmail <qrmail@example.com>',
  png: renderPng(encodeMatrix('https://example.com/smtp', 'M')),
});

const cleanups: (() => Promise<unknown> | unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function startServer(options: Parameters<typeof startTestSmtpServer>[0]): Promise<TestSmtpServer> {
  const server = await startTestSmtpServer(options);
  cleanups.push(() => server.close());
  return server;
}

/** Makes a temp folder with a secrets file. `write` replaces the file's content. */
function secretsFile(secrets: Record<string, unknown>) {
  const folder = makeTempDir();
  cleanups.push(folder.remove);
  const path = join(folder.path, 'secrets.json');
  writeSecretsFile(path, secrets);
  return { path, write: (next: Record<string, unknown>) => writeSecretsFile(path, next) };
}

interface TransportSetup {
  host?: string;
  port: number;
  tls: SmtpTlsMode;
  secretsPath: string;
  secretName?: string | undefined;
  ca?: string;
  logger?: Logger;
}

function createTransport(setup: TransportSetup): SmtpTransport {
  const logger = setup.logger ?? captureLogger().logger;
  const transport = new SmtpTransport({
    host: setup.host ?? '127.0.0.1',
    port: setup.port,
    tls: setup.tls,
    secretName: 'secretName' in setup ? setup.secretName : SECRET_NAME,
    secrets: new FileSecretStore({ path: setup.secretsPath, logger }),
    ...(setup.ca === undefined ? {} : { ca: setup.ca }),
    maxConnections: 1,
    maxMessagesPerSecond: 100,
    timeoutSeconds: 5,
    logger,
  });
  cleanups.push(() => transport.close());
  return transport;
}

/** Creates a transport that logs in to `server` with the credentials the server accepts. */
function transportFor(server: TestSmtpServer, tls: SmtpTlsMode, logger?: Logger): SmtpTransport {
  const secrets = secretsFile({ [SECRET_NAME]: { username: server.username, password: server.password } });
  return createTransport({
    port: server.port,
    tls,
    secretsPath: secrets.path,
    ca: server.ca,
    ...(logger === undefined ? {} : { logger }),
  });
}

/** Sends MESSAGE and returns the SendError it fails with. A send that succeeds fails the test. */
async function sendError(transport: SmtpTransport): Promise<SendError> {
  const error = await transport.send(MESSAGE).then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(SendError);
  return error as SendError;
}

/** Returns a port on 127.0.0.1 that nothing listens on, because it was bound and then closed. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('SmtpTransport connection security', () => {
  it('sends over implicit TLS', async () => {
    const server = await startServer({ implicitTls: true });
    const transport = transportFor(server, 'implicit');

    const receipt = await transport.send(MESSAGE);

    expect(receipt.messageId).toMatch(/^<[^<>@\s]+@[^<>@\s]+>$/);
    expect(server.messages).toHaveLength(1);
    expect(server.messages[0]!.parsed.messageId).toBe(receipt.messageId);
    expect(server.messages[0]!.secure).toBe(true);
    expect(server.messages[0]!.user).toBe(server.username);
    expect(server.messages[0]!.envelopeTo).toEqual([RECIPIENT]);
  });

  it('sends over STARTTLS', async () => {
    const server = await startServer({ implicitTls: false });
    const transport = transportFor(server, 'starttls');

    await transport.send(MESSAGE);

    expect(server.messages).toHaveLength(1);
    expect(server.messages[0]!.secure).toBe(true);
    expect(server.messages[0]!.user).toBe(server.username);
  });

  it('rejects STARTTLS not offered', async () => {
    const server = await startServer({ implicitTls: false, offerStartTls: false });
    const transport = transportFor(server, 'starttls');

    const error = await sendError(transport);

    expect(error.kind).toBe('configuration');
    expect(error.message).toMatch(/TLS/);
    expect(server.messages).toHaveLength(0);
  });

  it('sends in the clear with tls none', async () => {
    const server = await startServer({ implicitTls: false, offerStartTls: false, requireAuth: false });
    const secrets = secretsFile({});
    const transport = createTransport({
      port: server.port,
      tls: 'none',
      secretsPath: secrets.path,
      secretName: undefined,
    });

    await transport.send(MESSAGE);

    expect(server.messages).toHaveLength(1);
    expect(server.messages[0]!.secure).toBe(false);
    expect(server.messages[0]!.user).toBeUndefined();
  });

  it('rejects an untrusted certificate', async () => {
    const server = await startServer({ implicitTls: true });
    const secrets = secretsFile({ [SECRET_NAME]: { username: server.username, password: server.password } });
    const transport = createTransport({ port: server.port, tls: 'implicit', secretsPath: secrets.path });

    const error = await sendError(transport);

    expect(error.kind).toBe('configuration');
    expect(server.messages).toHaveLength(0);
  });
});

describe('SmtpTransport login', () => {
  it('rejects a wrong password', async () => {
    const server = await startServer({ implicitTls: true });
    const secrets = secretsFile({ [SECRET_NAME]: { username: server.username, password: 'wrong-password-93d1' } });
    const transport = createTransport({ port: server.port, tls: 'implicit', secretsPath: secrets.path, ca: server.ca });

    const error = await sendError(transport);

    expect(error.kind).toBe('configuration');
    expect(error.responseCode).toBe(535);
    expect(server.failedLogins).toBeGreaterThan(0);
    expect(server.messages).toHaveLength(0);
  });

  it('rereads a fixed password', async () => {
    const server = await startServer({ implicitTls: true });
    const secrets = secretsFile({ [SECRET_NAME]: { username: server.username, password: 'wrong-password-93d1' } });
    const transport = createTransport({ port: server.port, tls: 'implicit', secretsPath: secrets.path, ca: server.ca });
    const rejected = await sendError(transport);
    expect(rejected.kind).toBe('configuration');
    const failedLogins = server.failedLogins;

    secrets.write({ [SECRET_NAME]: { username: server.username, password: server.password } });
    await transport.send(MESSAGE);

    expect(failedLogins).toBeGreaterThan(0);
    expect(server.failedLogins).toBe(failedLogins);
    expect(server.messages).toHaveLength(1);
    expect(server.messages[0]!.user).toBe(server.username);
  });

  it('logs no password on failure', async () => {
    const wrongPassword = 'wrong-password-5e0a7c';
    const server = await startServer({ implicitTls: true });
    const captured = captureLogger('debug');
    const secrets = secretsFile({ [SECRET_NAME]: { username: server.username, password: wrongPassword } });
    const transport = createTransport({
      port: server.port,
      tls: 'implicit',
      secretsPath: secrets.path,
      ca: server.ca,
      logger: captured.logger,
    });

    const error = await sendError(transport);
    // Logged with its cause, which is nodemailer's error: the most a caller could write.
    captured.logger.error({ err: error, kind: error.kind, responseCode: error.responseCode }, 'send failed');

    expect(captured.records().length).toBeGreaterThan(0);
    expect(captured.text()).toContain('SMTP login failed');
    expect(captured.text()).not.toContain(wrongPassword);
    expect(captured.text()).not.toContain(Buffer.from(wrongPassword).toString('base64'));
    expect(error.message).not.toContain(wrongPassword);
  });
});

describe('SmtpTransport secrets', () => {
  const password = 'secret-password-2b8f41';
  const cases: { name: string; secrets: Record<string, unknown> }[] = [
    { name: 'missing secret', secrets: { 'qrmail/other': { username: 'sender', password } } },
    { name: 'password field misnamed', secrets: { [SECRET_NAME]: { username: 'sender', pass: password } } },
    { name: 'username missing', secrets: { [SECRET_NAME]: { password } } },
    { name: 'password not a string', secrets: { [SECRET_NAME]: { username: 'sender', password: 12345678 } } },
    { name: 'plain string secret', secrets: { [SECRET_NAME]: `sender:${password}` } },
    { name: 'JSON array secret', secrets: { [SECRET_NAME]: ['sender', password] } },
    { name: 'null secret', secrets: { [SECRET_NAME]: null } },
  ];

  for (const testCase of cases) {
    it(`rejects ${testCase.name}`, async () => {
      const server = await startServer({ implicitTls: true });
      const secrets = secretsFile(testCase.secrets);
      const transport = createTransport({
        port: server.port,
        tls: 'implicit',
        secretsPath: secrets.path,
        ca: server.ca,
      });

      const error = await sendError(transport);

      expect(error.kind).toBe('configuration');
      expect(error.message).toContain(`"${SECRET_NAME}"`);
      expect(error.message).not.toContain(password);
      expect(server.messages).toHaveLength(0);
    });
  }

  it('sends once the secret is added', async () => {
    const server = await startServer({ implicitTls: true });
    const secrets = secretsFile({});
    const transport = createTransport({ port: server.port, tls: 'implicit', secretsPath: secrets.path, ca: server.ca });
    const missing = await sendError(transport);
    expect(missing.kind).toBe('configuration');

    secrets.write({ [SECRET_NAME]: { username: server.username, password: server.password } });
    await transport.send(MESSAGE);

    expect(server.messages).toHaveLength(1);
  });

  it('rejects a malformed secrets file', async () => {
    const server = await startServer({ implicitTls: true });
    const secrets = secretsFile({});
    writeFileSync(secrets.path, `{"${SECRET_NAME}": {"username": "sender", "password": "${password}"`, { mode: 0o600 });
    const transport = createTransport({ port: server.port, tls: 'implicit', secretsPath: secrets.path, ca: server.ca });

    const error = await sendError(transport);

    expect(error.kind).toBe('configuration');
    expect(error.message).toContain(secrets.path);
    expect(error.message).not.toContain(password);
    expect(server.messages).toHaveLength(0);
  });
});

describe('SmtpTransport reply classification', () => {
  const reject =
    (code: number): FaultHook =>
    () => ({ code, message: `Test reply ${code}` });
  const cases: { step: 'RCPT' | 'DATA'; code: number; kind: SendError['kind'] }[] = [
    { step: 'RCPT', code: 421, kind: 'transient' },
    { step: 'RCPT', code: 451, kind: 'transient' },
    { step: 'RCPT', code: 550, kind: 'permanent' },
    { step: 'RCPT', code: 554, kind: 'permanent' },
    { step: 'DATA', code: 421, kind: 'transient' },
    { step: 'DATA', code: 451, kind: 'transient' },
    { step: 'DATA', code: 550, kind: 'permanent' },
    { step: 'DATA', code: 554, kind: 'permanent' },
  ];

  for (const { step, code, kind } of cases) {
    it(`classifies ${code} at ${step}`, async () => {
      const server = await startServer({
        implicitTls: true,
        ...(step === 'RCPT' ? { onRecipient: reject(code) } : { onMessage: reject(code) }),
      });
      const transport = transportFor(server, 'implicit');

      const error = await sendError(transport);

      expect(error.kind).toBe(kind);
      expect(error.responseCode).toBe(code);
      expect(server.messages).toHaveLength(0);
    });
  }

  it('classifies a refused connection', async () => {
    const port = await closedPort();
    const secrets = secretsFile({ [SECRET_NAME]: { username: 'sender', password: 'unused-password' } });
    const transport = createTransport({ port, tls: 'implicit', secretsPath: secrets.path });

    const error = await sendError(transport);

    expect(error.kind).toBe('transient');
    expect(error.responseCode).toBeUndefined();
  });

  for (const code of [421, 451]) {
    it(`sends after a ${code} reply`, async () => {
      let rejections = 1;
      const server = await startServer({
        implicitTls: true,
        onRecipient: () => (rejections-- > 0 ? { code, message: 'Try again later' } : undefined),
      });
      const transport = transportFor(server, 'implicit');
      const deferred = await sendError(transport);
      expect(deferred.kind).toBe('transient');

      await transport.send(MESSAGE);

      expect(server.messages).toHaveLength(1);
    });
  }
});
