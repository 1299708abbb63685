import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { simpleParser, type ParsedMail } from 'mailparser';
import { afterEach, describe, expect, it } from 'vitest';

import { decodeQrText } from '../support/qr-decoder.js';
import {
  logRecords,
  startServiceProcess,
  waitForFinalStatus,
  type ServiceProcess,
} from '../support/service-process.js';
import { startTestSmtpServer, type TestSmtpServer } from '../support/smtp-server.js';
import { makeTempDir, writeSecretsFile } from '../support/temp.js';

const URL_WITH_RESERVED_CHARACTERS = 'https://example.com/a%20b/c+d?x=1&y=%2B2#frag';

const cleanups: (() => Promise<unknown> | unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function postQrRequest(service: ServiceProcess, url: string, email: string) {
  const response = await fetch(`${service.url}/images/qrcode`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ url, email }),
  });
  const body = (await response.json()) as { id: string; status: string; statusUrl: string; imageUrl: string };
  return { response, body };
}

/** Checks everything a user sees in the "ready" email, including that the attached code scans to `url`. */
async function expectReadyMail(mail: ParsedMail, url: string, email: string) {
  expect(mail.subject).toBe('Your QR code is ready');
  expect(mail.to && !Array.isArray(mail.to) ? mail.to.value.map((address) => address.address) : []).toEqual([email]);
  expect(mail.text).toContain(url);
  expect(mail.html).toBeTypeOf('string');
  expect(mail.html).toContain(url.replace(/&/g, '&amp;'));
  expect(mail.html).not.toContain(url.includes('&') ? url : '\u0000');

  const pngParts = mail.attachments.filter((attachment) => attachment.contentType === 'image/png');
  expect(pngParts.length).toBeGreaterThan(0);
  for (const part of pngParts) {
    expect(part.filename).toMatch(/^[\x20-\x7e]+\.png$/);
    expect(part.content.subarray(0, 8).toString('hex')).toBe('89504e470d0a1a0a');
    expect(await decodeQrText(part.content)).toBe(url);
  }

  const inline = pngParts.find((part) => part.contentDisposition === 'inline');
  expect(inline?.cid).toBeTruthy();
  expect(mail.html).toContain(`src="cid:${inline!.cid}"`);
  expect(pngParts.some((part) => part.contentDisposition === 'attachment')).toBe(true);
}

function rawMimeStructure(raw: Buffer): string[] {
  return [...raw.toString('latin1').matchAll(/^Content-Type: ([^;\r\n]+)/gim)].map((match) => match[1]!.toLowerCase());
}

describe('service over SMTP', () => {
  for (const tlsMode of ['starttls', 'implicit'] as const) {
    it(`delivers over ${tlsMode} with a login`, async () => {
      const smtp: TestSmtpServer = await startTestSmtpServer({ implicitTls: tlsMode === 'implicit' });
      cleanups.push(() => smtp.close());
      const data = makeTempDir();
      cleanups.push(data.remove);
      writeFileSync(join(data.path, 'ca.pem'), smtp.ca);
      writeSecretsFile(join(data.path, 'secrets.json'), {
        'qrmail/smtp': { username: smtp.username, password: smtp.password },
      });

      const service = await startServiceProcess({
        QRMAIL_DATA_DIR: data.path,
        QRMAIL_SMTP_HOST: smtp.host,
        QRMAIL_SMTP_PORT: String(smtp.port),
        QRMAIL_SMTP_TLS: tlsMode,
        QRMAIL_SMTP_CA_FILE: join(data.path, 'ca.pem'),
        QRMAIL_MAIL_FROM: 'qrmail <qrmail@example.com>',
      });
      cleanups.push(() => service.stop());

      const email = 'someone@example.com';
      const { response, body } = await postQrRequest(service, URL_WITH_RESERVED_CHARACTERS, email);
      expect(response.status).toBe(202);
      expect(body.status).toBe('queued');
      expect(body.statusUrl).toBe(`${service.url}/images/qrcode/${body.id}`);

      const [message] = await smtp.waitForMessages(1);
      expect(message!.secure).toBe(true);
      expect(message!.user).toBe(smtp.username);
      expect(message!.envelopeTo).toEqual([email]);
      expect(message!.envelopeFrom).toBe('qrmail@example.com');
      expect(rawMimeStructure(message!.raw)).toContain('multipart/alternative');
      await expectReadyMail(message!.parsed, URL_WITH_RESERVED_CHARACTERS, email);

      const status = await waitForFinalStatus(body.statusUrl);
      expect(status.status).toBe('sent');
      expect(status.attempts).toBe(1);
      expect(status.lastError).toBeNull();

      const image = await fetch(body.imageUrl);
      expect(image.status).toBe(200);
      expect(image.headers.get('content-type')).toBe('image/png');
      expect(await decodeQrText(new Uint8Array(await image.arrayBuffer()))).toBe(URL_WITH_RESERVED_CHARACTERS);

      await service.stop();
      const output = service.output.join('\n');
      expect(output).not.toContain(smtp.password);
      expect(logRecords(service.output).some((line) => line.msg === 'email sent')).toBe(true);
      expect(smtp.messages).toHaveLength(1);
    });
  }
});

describe('service with the outbox default', () => {
  it('writes the email as an .eml file', async () => {
    const data = makeTempDir();
    cleanups.push(data.remove);
    const service = await startServiceProcess({ QRMAIL_DATA_DIR: data.path });
    cleanups.push(() => service.stop());

    const started = logRecords(service.output).find((line) => line.msg === 'qrmail started')!;
    expect(started.dataDir).toBe(data.path);
    expect(started.mail).toContain(join(data.path, 'outbox'));

    const url = 'https://example.com/café/ação?q=Zürich&x=你好';
    const email = 'user@example.com';
    const { response, body } = await postQrRequest(service, url, email);
    expect(response.status).toBe(202);

    const status = await waitForFinalStatus(body.statusUrl);
    expect(status.status).toBe('sent');

    const files = readdirSync(join(data.path, 'outbox')).filter((name) => name.endsWith('.eml'));
    expect(files).toHaveLength(1);
    const raw = readFileSync(join(data.path, 'outbox', files[0]!));
    // RFC 5322 lines end in CRLF.
    expect(raw.toString('latin1')).toMatch(/^[^\n]*\r\n/);
    expect(raw.toString('latin1')).not.toMatch(/[^\r]\n/);
    expect(rawMimeStructure(raw)).toContain('multipart/alternative');
    await expectReadyMail(await simpleParser(raw, { keepCidLinks: true }), url, email);
  });
});

describe('service restart', () => {
  it('sends once when killed before delivery', async () => {
    let releaseConnections: () => void = () => {};
    let connectionSeen: () => void = () => {};
    const held = new Promise<void>((resolve) => (releaseConnections = resolve));
    const seen = new Promise<void>((resolve) => (connectionSeen = resolve));
    let holdConnections = true;

    const smtp = await startTestSmtpServer({
      implicitTls: false,
      onConnect: () => {
        if (!holdConnections) return;
        connectionSeen();
        return held;
      },
    });
    cleanups.push(() => smtp.close());
    const data = makeTempDir();
    cleanups.push(data.remove);
    writeFileSync(join(data.path, 'ca.pem'), smtp.ca);
    writeSecretsFile(join(data.path, 'secrets.json'), {
      'qrmail/smtp': { username: smtp.username, password: smtp.password },
    });
    const env = {
      QRMAIL_DATA_DIR: data.path,
      QRMAIL_SMTP_HOST: smtp.host,
      QRMAIL_SMTP_PORT: String(smtp.port),
      QRMAIL_SMTP_CA_FILE: join(data.path, 'ca.pem'),
    };

    const first = await startServiceProcess(env);
    cleanups.push(() => first.kill());
    const { response, body } = await postQrRequest(first, 'https://example.com/restart', 'restart@example.com');
    expect(response.status).toBe(202);

    // The mailer is connecting: the process dies mid-delivery, before the server accepted anything.
    await seen;
    await first.kill();
    holdConnections = false;
    releaseConnections();
    expect(smtp.messages).toHaveLength(0);

    const second = await startServiceProcess(env);
    cleanups.push(() => second.stop());
    const statusUrl = `${second.url}/images/qrcode/${body.id}`;
    const status = await waitForFinalStatus(statusUrl);
    expect(status.status).toBe('sent');

    await smtp.waitForMessages(1);
    await second.stop();
    expect(smtp.messages).toHaveLength(1);
    expect(smtp.messages[0]!.envelopeTo).toEqual(['restart@example.com']);
    expect(await decodeQrText(smtp.messages[0]!.parsed.attachments[0]!.content)).toBe('https://example.com/restart');
  });
});

describe('service shutdown', () => {
  it('finishes sends in flight on SIGTERM', async () => {
    const smtp = await startTestSmtpServer({ implicitTls: true, messageDelayMs: 400 });
    cleanups.push(() => smtp.close());
    const data = makeTempDir();
    cleanups.push(data.remove);
    writeFileSync(join(data.path, 'ca.pem'), smtp.ca);
    writeSecretsFile(join(data.path, 'secrets.json'), {
      'qrmail/smtp': { username: smtp.username, password: smtp.password },
    });
    const env = {
      QRMAIL_DATA_DIR: data.path,
      QRMAIL_SMTP_HOST: smtp.host,
      QRMAIL_SMTP_PORT: String(smtp.port),
      QRMAIL_SMTP_TLS: 'implicit',
      QRMAIL_SMTP_CA_FILE: join(data.path, 'ca.pem'),
      QRMAIL_DELIVERY_CONCURRENCY: '2',
      QRMAIL_SMTP_MAX_CONNECTIONS: '2',
    };

    const first = await startServiceProcess(env);
    cleanups.push(() => first.kill());
    const ids: string[] = [];
    for (let index = 0; index < 6; index++) {
      const { body } = await postQrRequest(first, `https://example.com/shutdown/${index}`, `user${index}@example.com`);
      ids.push(body.id);
    }
    // Each accepted message waits 400 ms at the server, so two sends are in flight now.
    await new Promise((resolve) => setTimeout(resolve, 150));
    const exitCode = await first.stop();
    const receivedBeforeExit = smtp.messages.length;

    expect(exitCode).toBe(0);
    expect(receivedBeforeExit).toBeGreaterThan(0);
    expect(receivedBeforeExit).toBeLessThan(6);
    expect(logRecords(first.output).some((line) => line.msg === 'qrmail stopped')).toBe(true);

    const second = await startServiceProcess(env);
    cleanups.push(() => second.stop());
    await smtp.waitForMessages(6);
    await second.stop();
    const delivered = smtp.messages.map((message) => String(message.parsed.headers.get('x-qrmail-request-id')));
    expect(delivered.sort()).toEqual([...ids].sort());
  });
});

describe('service with default limits', () => {
  it('limits one recipient over HTTP', async () => {
    const data = makeTempDir();
    cleanups.push(data.remove);
    const service = await startServiceProcess({
      QRMAIL_DATA_DIR: data.path,
      QRMAIL_RATE_LIMIT: 'on',
      QRMAIL_RECIPIENT_LIMIT_PER_HOUR: '2',
    });
    cleanups.push(() => service.stop());

    const statuses: number[] = [];
    for (let i = 0; i < 3; i++) {
      statuses.push(
        (await postQrRequest(service, `https://example.com/limited/${i}`, 'limited@example.com')).response.status,
      );
    }

    expect(statuses).toEqual([202, 202, 429]);
    expect(service.output.join('\n')).not.toContain('"level":"error"');
  });
});
