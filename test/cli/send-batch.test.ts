import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { runQrmail } from '../support/cli.js';
import { decodeQrText } from '../support/qr-decoder.js';
import { startServiceProcess, type ServiceProcess } from '../support/service-process.js';
import { startTestSmtpServer, type TestSmtpServer } from '../support/smtp-server.js';
import { makeTempDir } from '../support/temp.js';

let smtp: TestSmtpServer;
let service: ServiceProcess;
let work: string;
const cleanups: (() => Promise<unknown> | unknown)[] = [];

beforeAll(async () => {
  smtp = await startTestSmtpServer({ implicitTls: false, offerStartTls: false, requireAuth: false });
  cleanups.push(() => smtp.close());
  const data = makeTempDir();
  cleanups.push(data.remove);
  service = await startServiceProcess({
    QRMAIL_DATA_DIR: data.path,
    QRMAIL_SMTP_HOST: smtp.host,
    QRMAIL_SMTP_PORT: String(smtp.port),
    QRMAIL_SMTP_TLS: 'none',
    QRMAIL_SMTP_AUTH: 'none',
  });
  cleanups.push(() => service.stop());
  const folder = makeTempDir();
  cleanups.push(folder.remove);
  work = folder.path;
}, 60_000);

afterAll(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function messagesTo(address: string): number {
  return smtp.messages.filter((message) => message.envelopeTo.includes(address)).length;
}

describe('qrmail send', () => {
  it('waits until the email is sent', async () => {
    const result = await runQrmail([
      'send',
      'https://example.com/send',
      '--email',
      'send@example.com',
      '--server',
      service.url,
    ]);

    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout.toString()).toMatch(/^sent [0-9a-f-]{36} to send@example\.com$/m);
    expect(messagesTo('send@example.com')).toBe(1);
  });

  it('reports a rejected address', async () => {
    const result = await runQrmail([
      'send',
      'https://example.com/',
      '--email',
      'not an address',
      '--server',
      service.url,
    ]);

    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/email/);
    expect(result.stderr).toContain('(--email)');
  });

  it('requires an email', async () => {
    const result = await runQrmail(['send', 'https://example.com/', '--server', service.url]);

    expect(result.code).toBe(2);
    expect(result.stderr).toContain('--email is required');
  });

  it('reports an unreachable server', async () => {
    const result = await runQrmail([
      'send',
      'https://example.com/',
      '--email',
      'a@example.com',
      '--server',
      'http://127.0.0.1:9',
    ]);

    expect(result.code).toBe(1);
    expect(result.stderr).toContain('Cannot reach the qrmail service at http://127.0.0.1:9');
  });

  it('prints help', async () => {
    const result = await runQrmail(['send', '--help']);

    expect(result.code).toBe(0);
    expect(result.stdout.toString()).toContain('--email ADDRESS');
  });
});

describe('qrmail batch', () => {
  it('makes, sends and resumes', async () => {
    const csv = join(work, 'codes.csv');
    const out = join(work, 'out');
    writeFileSync(
      csv,
      [
        'link,address,note',
        'https://example.com/one,batch-one@example.com,first',
        'https://example.com/two,,no address',
        'ftp://example.com/three,batch-three@example.com,bad scheme',
        'https://example.com/four,batch-four@example.com,last',
        '',
      ].join('\n'),
    );
    const args = [
      'batch',
      csv,
      '--out',
      out,
      '--url-column',
      'link',
      '--email-column',
      'address',
      '--server',
      service.url,
    ];

    const first = await runQrmail(args);
    const summary = first.stdout.toString();

    expect(first.code).toBe(1);
    expect(summary).toContain('4 rows: 3 made, 2 emailed, 1 failed');
    expect(summary).toMatch(/line 4: .*must use http or https/);
    expect(first.stderr).toContain('line 2: made line-2.png, queued');
    expect(await decodeQrText(readFileSync(join(out, 'line-3.png')))).toBe('https://example.com/two');
    expect(existsSync(join(out, 'line-4.png'))).toBe(false);
    expect(messagesTo('batch-one@example.com')).toBe(1);
    expect(messagesTo('batch-four@example.com')).toBe(1);

    const second = await runQrmail(args);

    expect(second.code).toBe(1);
    expect(second.stdout.toString()).toContain('4 rows: 3 made, 2 emailed, 1 failed');
    expect(second.stderr).toContain('line 2: already done (sent)');
    expect(messagesTo('batch-one@example.com')).toBe(1);
    expect(messagesTo('batch-four@example.com')).toBe(1);
  });

  it('resumes a queued request by polling', async () => {
    const csv = join(work, 'resume.csv');
    const out = join(work, 'resume-out');
    writeFileSync(csv, 'url,email\nhttps://example.com/resume,resume@example.com\n');
    const sent = await runQrmail([
      'send',
      'https://example.com/resume',
      '--email',
      'resume@example.com',
      '--server',
      service.url,
    ]);
    const requestId = /^sent (\S+)/m.exec(sent.stdout.toString())![1]!;
    // The state an interrupted run leaves: the request posted and recorded, the wait cut off.
    mkdirSync(out);
    writeFileSync(
      join(out, '.qrmail-batch.json'),
      JSON.stringify({
        version: 1,
        csv,
        rows: { 2: { url: 'https://example.com/resume', email: 'resume@example.com', file: 'line-2.png', requestId } },
      }),
    );

    const result = await runQrmail(['batch', csv, '--out', out, '--server', service.url]);

    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout.toString()).toContain('1 rows: 1 made, 1 emailed, 0 failed');
    expect(messagesTo('resume@example.com')).toBe(1);
  });

  it('rejects a missing URL column', async () => {
    const csv = join(work, 'columns.csv');
    writeFileSync(csv, 'address\nsomeone@example.com\n');

    const result = await runQrmail(['batch', csv, '--out', join(work, 'columns-out'), '--server', service.url]);

    expect(result.code).toBe(2);
    expect(result.stderr).toContain('no column "url"');
  });

  it('rejects a missing file', async () => {
    const result = await runQrmail(['batch', join(work, 'nope.csv')]);

    expect(result.code).toBe(2);
    expect(result.stderr).toContain('does not exist');
  });

  it('prints help', async () => {
    const result = await runQrmail(['batch', '--help']);

    expect(result.code).toBe(0);
    expect(result.stdout.toString()).toContain('.qrmail-batch.json');
  });
});

describe('qrmail with --image', () => {
  async function photoFile(): Promise<string> {
    const path = join(work, `photo-${Date.now()}.jpg`);
    writeFileSync(
      path,
      await sharp({ create: { width: 32, height: 24, channels: 3, background: '#8e24aa' } })
        .jpeg()
        .toBuffer(),
    );
    return path;
  }

  it('sends a code of an uploaded image', async () => {
    const result = await runQrmail([
      'send',
      '--image',
      await photoFile(),
      '--email',
      'image@example.com',
      '--server',
      service.url,
    ]);

    expect(result.code, result.stderr).toBe(0);
    expect(messagesTo('image@example.com')).toBe(1);
    const message = smtp.messages.find((candidate) => candidate.envelopeTo.includes('image@example.com'))!;
    const link = await decodeQrText(message.parsed.attachments[0]!.content);
    expect(link).toMatch(new RegExp(`^${service.url}/i/[A-Za-z0-9_-]{22}$`));
    expect((await fetch(link)).headers.get('content-type')).toBe('image/jpeg');
  });

  it('makes a code of an uploaded image', async () => {
    const output = join(work, 'image-code.png');
    const result = await runQrmail(['make', '--image', await photoFile(), '-o', output, '--server', service.url]);

    expect(result.code, result.stderr).toBe(0);
    const link = await decodeQrText(readFileSync(output));
    expect(result.stderr).toContain(link);
    expect((await fetch(link)).status).toBe(200);
  });

  it('rejects a file that is not an image', async () => {
    const path = join(work, 'notes.png');
    writeFileSync(path, 'plain text');

    const result = await runQrmail(['make', '--image', path, '--server', service.url]);

    expect(result.code).toBe(1);
    expect(result.stderr).toContain('PNG, JPEG, GIF or WebP');
  });
});
