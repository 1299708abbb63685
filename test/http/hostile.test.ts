import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';

import Database from 'better-sqlite3';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { FsObjectStore } from '../../src/adapters/fs-store/index.js';
import { LocalEventQueue } from '../../src/adapters/local-events/index.js';
import { MemoryRateLimiter } from '../../src/adapters/memory-limiter/index.js';
import { SqliteRequestRecords } from '../../src/adapters/sqlite-records/index.js';
import { ZxingVerifier } from '../../src/adapters/zxing/index.js';
import { systemClock } from '../../src/core/ports.js';
import { createApp } from '../../src/http/app.js';
import { hashApiKey } from '../../src/http/guards.js';
import { captureLogger } from '../support/log-capture.js';
import { makeTempDir } from '../support/temp.js';

const GOOD = { url: 'https://example.com/path', email: 'someone@example.com' };

let folder: ReturnType<typeof makeTempDir>;
let db: Database.Database;
let app: ReturnType<typeof createApp>;
let objectsRoot: string;

beforeAll(() => {
  folder = makeTempDir();
  db = new Database(join(folder.path, 'qrmail.db'));
  const queue = new LocalEventQueue(db);
  objectsRoot = join(folder.path, 'objects');
  app = createApp({
    store: new FsObjectStore({
      root: objectsRoot,
      bucket: 'qrmail-images',
      onObjectCreated: (record) => queue.append(record),
    }),
    records: new SqliteRequestRecords(db),
    verifier: new ZxingVerifier(),
    clock: systemClock,
    logger: captureLogger().logger,
    publicUrl: 'https://qr.example.com',
    maxBodyBytes: 16 * 1024,
  });
});

afterAll(() => {
  db.close();
  folder.remove();
});

function storedNothing(): boolean {
  const files = existsSync(objectsRoot) ? readdirSync(objectsRoot, { recursive: true }).length : 0;
  const rows = (
    db.prepare(`SELECT (SELECT COUNT(*) FROM events) + (SELECT COUNT(*) FROM requests) AS count`).get() as {
      count: number;
    }
  ).count;
  return files === 0 && rows === 0;
}

interface HostileCase {
  name: string;
  body: string | Uint8Array;
  headers?: Record<string, string>;
  status: number;
  code: string;
}

const json = (value: unknown) => JSON.stringify(value);
const withUrl = (url: unknown) => json({ ...GOOD, url });
const withEmail = (email: unknown) => json({ ...GOOD, email });

const HOSTILE_URLS: [string, unknown, string][] = [
  ['javascript scheme', 'javascript:alert(1)', 'unsupported_url_scheme'],
  ['javascript upper case', 'JAVASCRIPT:alert(1)', 'unsupported_url_scheme'],
  ['javascript with tab', 'java\tscript:alert(1)', 'invalid_url'],
  ['data scheme', 'data:text/html,<script>alert(1)</script>', 'unsupported_url_scheme'],
  ['data base64', 'data:text/html;base64,PHNjcmlwdD4=', 'unsupported_url_scheme'],
  ['file scheme', 'file:///etc/passwd', 'unsupported_url_scheme'],
  ['file on host', 'file://server/share', 'unsupported_url_scheme'],
  ['ftp scheme', 'ftp://example.com/file', 'unsupported_url_scheme'],
  ['mailto scheme', 'mailto:someone@example.com', 'unsupported_url_scheme'],
  ['vbscript scheme', 'vbscript:msgbox(1)', 'unsupported_url_scheme'],
  ['blob scheme', 'blob:https://example.com/uuid', 'unsupported_url_scheme'],
  ['chrome scheme', 'chrome://settings', 'unsupported_url_scheme'],
  ['no scheme', 'example.com/path', 'invalid_url'],
  ['relative path', '/images/logo.png', 'invalid_url'],
  ['protocol relative', '//example.com/x', 'invalid_url'],
  ['only scheme', 'https://', 'invalid_url'],
  ['user and password', 'https://user:pass@example.com/', 'url_has_credentials'],
  ['user only', 'https://user@example.com/', 'url_has_credentials'],
  ['empty password', 'https://user:@example.com/', 'url_has_credentials'],
  ['space inside', 'https://example.com/a b', 'invalid_url'],
  ['leading space', ' https://example.com/', 'invalid_url'],
  ['trailing newline', 'https://example.com/\n', 'invalid_url'],
  ['CRLF inside', 'https://example.com/\r\nSet-Cookie: x=1', 'invalid_url'],
  ['NUL byte', 'https://example.com/\u0000', 'invalid_url'],
  ['escape character', 'https://example.com/\u001b[31m', 'invalid_url'],
  ['DEL character', 'https://example.com/\u007f', 'invalid_url'],
  ['C1 control', 'https://example.com/\u0085', 'invalid_url'],
  ['no-break space', 'https://example.com/\u00a0', 'invalid_url'],
  ['line separator', 'https://example.com/\u2028', 'invalid_url'],
  ['ideographic space', 'https://example.com/\u3000x', 'invalid_url'],
  ['lone high surrogate', 'https://example.com/\ud800', 'invalid_url'],
  ['lone low surrogate', 'https://example.com/\udc00', 'invalid_url'],
  ['bad port', 'https://example.com:99999/', 'invalid_url'],
  ['bad IPv6', 'https://[::1/', 'invalid_url'],
  ['empty', '', 'invalid_url'],
  ['number', 42, 'invalid_type'],
  ['huge number', 1e308, 'invalid_type'],
  ['boolean', true, 'invalid_type'],
  ['null', null, 'invalid_type'],
  ['array', ['https://example.com'], 'invalid_type'],
  ['object', { href: 'https://example.com' }, 'invalid_type'],
  ['deep nesting', JSON.parse('['.repeat(200) + ']'.repeat(200)), 'invalid_type'],
  ['over QR capacity', `https://example.com/${'a'.repeat(2400)}`, 'url_too_long'],
  ['over capacity in bytes', `https://example.com/${'€'.repeat(800)}`, 'url_too_long'],
  ['over metadata budget', `https://example.com/${'%25'.repeat(600)}`, 'url_too_long'],
];

const HOSTILE_EMAILS: [string, unknown][] = [
  ['CRLF with Bcc', 'victim@example.com\r\nBcc: others@example.com'],
  ['LF with Cc', 'victim@example.com\nCc: others@example.com'],
  ['CR alone', 'victim@example.com\rX: y'],
  ['encoded CRLF', 'victim@example.com%0d%0aBcc:x@example.com'],
  ['NUL byte', 'victim@example.com\u0000'],
  ['tab', 'victim@example.com\t'],
  ['display name', 'Victim <victim@example.com>'],
  ['angle brackets', '<victim@example.com>'],
  ['comma list', 'a@example.com,b@example.com'],
  ['semicolon list', 'a@example.com;b@example.com'],
  ['space list', 'a@example.com b@example.com'],
  ['quoted local part', '"a b"@example.com'],
  ['comment', 'a(comment)@example.com'],
  ['no at sign', 'example.com'],
  ['two at signs', 'a@b@example.com'],
  ['empty local part', '@example.com'],
  ['empty domain', 'a@'],
  ['dot at start', '.a@example.com'],
  ['double dot', 'a..b@example.com'],
  ['domain without dot', 'a@localhost'],
  ['IP literal', 'a@[127.0.0.1]'],
  ['hyphen label edge', 'a@-example.com'],
  ['label over 63', `a@${'x'.repeat(64)}.com`],
  ['local part over 64', `${'a'.repeat(65)}@example.com`],
  ['address over 254', `${'a'.repeat(60)}@${'b'.repeat(60)}.${'c'.repeat(60)}.${'d'.repeat(60)}.${'e'.repeat(10)}.com`],
  ['non-ASCII local part', 'jürgen@example.com'],
  ['right-to-left mark', 'a\u200f@example.com'],
  ['zero width space', 'a\u200b@example.com'],
  ['fullwidth at', 'a＠example.com'],
  ['empty', ''],
  ['number', 7],
  ['null', null],
  ['array', ['a@example.com']],
];

const CASES: HostileCase[] = [
  ...HOSTILE_URLS.map(([name, url, code]) => ({ name: `url ${name}`, body: withUrl(url), status: 400, code })),
  ...HOSTILE_EMAILS.map(([name, email]) => ({
    name: `email ${name}`,
    body: withEmail(email),
    status: 400,
    code: typeof email === 'string' ? 'invalid_email' : 'invalid_type',
  })),
  {
    name: 'duplicate email key',
    body: '{"url":"https://example.com","email":"a@example.com","email":"b@example.com"}',
    status: 400,
    code: 'duplicate_key',
  },
  {
    name: 'duplicate url key',
    body: '{"url":"https://a.example","url":"https://b.example","email":"a@example.com"}',
    status: 400,
    code: 'duplicate_key',
  },
  {
    name: 'escaped duplicate key',
    body: '{"url":"https://example.com","email":"a@example.com","\\u0065mail":"b@example.com"}',
    status: 400,
    code: 'duplicate_key',
  },
  { name: 'byte-order mark', body: `\uFEFF${json(GOOD)}`, status: 400, code: 'invalid_json' },
  {
    name: 'invalid UTF-8',
    body: Buffer.concat([
      Buffer.from('{"url":"https://example.com/'),
      Buffer.from([0xff, 0xfe]),
      Buffer.from('","email":"a@example.com"}'),
    ]),
    status: 400,
    code: 'invalid_json',
  },
  {
    name: 'overlong UTF-8',
    body: Buffer.concat([
      Buffer.from('{"url":"https://example.com/'),
      Buffer.from([0xc0, 0xaf]),
      Buffer.from('","email":"a@example.com"}'),
    ]),
    status: 400,
    code: 'invalid_json',
  },
  { name: 'UTF-16 body', body: Buffer.from(json(GOOD), 'utf16le'), status: 400, code: 'invalid_json' },
  {
    name: 'latin1 charset',
    body: json(GOOD),
    headers: { 'content-type': 'application/json; charset=iso-8859-1' },
    status: 415,
    code: 'unsupported_media_type',
  },
  {
    name: 'utf-16 charset',
    body: json(GOOD),
    headers: { 'content-type': 'application/json; charset=utf-16' },
    status: 415,
    code: 'unsupported_media_type',
  },
  {
    name: 'form content type',
    body: 'url=https://example.com&email=a@example.com',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    status: 415,
    code: 'unsupported_media_type',
  },
  {
    name: 'multipart content type',
    body: '--x\r\n',
    headers: { 'content-type': 'multipart/form-data; boundary=x' },
    status: 415,
    code: 'unsupported_media_type',
  },
  {
    name: 'text content type',
    body: json(GOOD),
    headers: { 'content-type': 'text/plain' },
    status: 415,
    code: 'unsupported_media_type',
  },
  {
    name: 'json suffix type',
    body: json(GOOD),
    headers: { 'content-type': 'application/ld+json' },
    status: 415,
    code: 'unsupported_media_type',
  },
  {
    name: 'no content type',
    body: json(GOOD),
    headers: { 'content-type': '' },
    status: 415,
    code: 'unsupported_media_type',
  },
  {
    name: 'gzip body',
    body: gzipSync(json(GOOD)),
    headers: { 'content-encoding': 'gzip' },
    status: 415,
    code: 'unsupported_media_type',
  },
  {
    name: 'deflate body',
    body: json(GOOD),
    headers: { 'content-encoding': 'deflate' },
    status: 415,
    code: 'unsupported_media_type',
  },
  { name: 'body over limit', body: json({ ...GOOD, pad: 'x'.repeat(20_000) }), status: 413, code: 'body_too_large' },
  { name: 'empty body', body: '', status: 400, code: 'invalid_json' },
  { name: 'whitespace body', body: '   \n', status: 400, code: 'invalid_json' },
  { name: 'truncated JSON', body: '{"url":"https://example.com"', status: 400, code: 'invalid_json' },
  {
    name: 'trailing comma',
    body: '{"url":"https://example.com","email":"a@example.com",}',
    status: 400,
    code: 'invalid_json',
  },
  { name: 'single quotes', body: "{'url':'https://example.com'}", status: 400, code: 'invalid_json' },
  {
    name: 'comments',
    body: '{/*x*/"url":"https://example.com","email":"a@example.com"}',
    status: 400,
    code: 'invalid_json',
  },
  { name: 'NaN literal', body: '{"url":NaN,"email":"a@example.com"}', status: 400, code: 'invalid_json' },
  { name: 'two documents', body: `${json(GOOD)}${json(GOOD)}`, status: 400, code: 'invalid_json' },
  { name: 'null body', body: 'null', status: 400, code: 'invalid_body' },
  { name: 'array body', body: json([GOOD]), status: 400, code: 'invalid_body' },
  { name: 'string body', body: '"https://example.com"', status: 400, code: 'invalid_body' },
  { name: 'number body', body: '12', status: 400, code: 'invalid_body' },
  {
    name: 'prototype key',
    body: '{"url":"https://example.com","email":"a@example.com","__proto__":{"admin":true}}',
    status: 400,
    code: 'unknown_field',
  },
  {
    name: 'constructor key',
    body: json({ ...GOOD, constructor: { prototype: {} } }),
    status: 400,
    code: 'unknown_field',
  },
  { name: 'extra field', body: json({ ...GOOD, bcc: 'x@example.com' }), status: 400, code: 'unknown_field' },
  { name: 'missing url', body: json({ email: GOOD.email }), status: 400, code: 'missing_field' },
  { name: 'missing email', body: json({ url: GOOD.url }), status: 400, code: 'missing_field' },
  { name: 'huge scale', body: json({ ...GOOD, scale: 1e9 }), status: 400, code: 'invalid_scale' },
  { name: 'negative margin', body: json({ ...GOOD, margin: -4 }), status: 400, code: 'invalid_margin' },
  { name: 'fractional size', body: json({ ...GOOD, size: 300.5 }), status: 400, code: 'invalid_size' },
  { name: 'script colour', body: json({ ...GOOD, dark: '"><script>' }), status: 400, code: 'invalid_dark' },
  { name: 'named colour', body: json({ ...GOOD, light: 'white' }), status: 400, code: 'invalid_light' },
  { name: 'format gif', body: json({ ...GOOD, format: 'gif' }), status: 400, code: 'invalid_format' },
  { name: 'level lower case', body: json({ ...GOOD, ecc: 'm' }), status: 400, code: 'invalid_ecc' },
];

describe('POST /images/qrcode hostile input', () => {
  it('has at least 100 cases', () => {
    expect(CASES.length).toBeGreaterThanOrEqual(100);
  });

  for (const testCase of CASES) {
    it(`rejects ${testCase.name}`, async () => {
      const response = await app.request('/images/qrcode', {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...testCase.headers },
        body: testCase.body,
      });
      const body = (await response.json()) as { error: { code: string; message: string } };

      expect(response.status).toBe(testCase.status);
      expect(body.error.code).toBe(testCase.code);
      expect(body.error.message.length).toBeGreaterThan(10);
      expect(storedNothing()).toBe(true);
    });
  }
});

describe('request fuzzing', () => {
  it('never answers 5xx to arbitrary JSON', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.jsonValue(),
          fc.record({
            url: fc.oneof(fc.string(), fc.webUrl(), fc.jsonValue()),
            email: fc.oneof(fc.string(), fc.emailAddress(), fc.jsonValue()),
          }),
          fc.record(
            {
              url: fc.webUrl({ withFragments: true, withQueryParameters: true }),
              email: fc.emailAddress(),
              format: fc.string(),
              scale: fc.jsonValue(),
              dark: fc.string(),
            },
            { requiredKeys: ['url', 'email'] },
          ),
        ),
        async (value) => {
          const response = await app.request('/images/qrcode', {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify(value) ?? 'null',
          });
          expect(response.status).toBeLessThan(500);
        },
      ),
      { numRuns: 150 },
    );
  }, 60_000);

  it('never answers 5xx to arbitrary text', async () => {
    await fc.assert(
      fc.asyncProperty(fc.string({ unit: 'binary', maxLength: 300 }), async (text) => {
        const response = await app.request('/images/qrcode', {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: text,
        });
        expect(response.status).toBeLessThan(500);
      }),
      { numRuns: 150 },
    );
  }, 60_000);

  it('never answers 5xx to arbitrary preview queries', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.dictionary(
          fc.constantFrom('data', 'format', 'ecc', 'size', 'scale', 'margin', 'dark', 'light', 'eci', 'x'),
          fc.string({ maxLength: 40 }),
        ),
        async (query) => {
          const response = await app.request(`/qrcode?${new URLSearchParams(query).toString()}`);
          expect(response.status).toBeLessThan(500);
        },
      ),
      { numRuns: 150 },
    );
  }, 60_000);
});

describe('abuse limits', () => {
  function limitedApp(options: { perHour?: number; clientMax?: number; apiKeyHashes?: string[] } = {}) {
    const limitFolder = makeTempDir();
    const limitDb = new Database(join(limitFolder.path, 'qrmail.db'));
    const queue = new LocalEventQueue(limitDb);
    const limited = createApp({
      store: new FsObjectStore({
        root: join(limitFolder.path, 'objects'),
        bucket: 'b-limits',
        onObjectCreated: (record) => queue.append(record),
      }),
      records: new SqliteRequestRecords(limitDb),
      verifier: new ZxingVerifier(),
      limiter: new MemoryRateLimiter(),
      recipientLimits: { perHour: options.perHour ?? 100, perDay: 200 },
      clientLimit: { max: options.clientMax ?? 100, windowSeconds: 60 },
      clientAddress: (c) => c.req.header('x-test-client'),
      ...(options.apiKeyHashes ? { apiKeyHashes: options.apiKeyHashes } : {}),
      clock: systemClock,
      logger: captureLogger().logger,
      publicUrl: 'https://qr.example.com',
      maxBodyBytes: 16 * 1024,
    });
    const post = (email: string, headers: Record<string, string> = {}) =>
      limited.request('/images/qrcode', {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-test-client': '203.0.113.7', ...headers },
        body: json({ url: 'https://example.com/limits', email }),
      });
    return { post, request: limited.request, close: () => (limitDb.close(), limitFolder.remove()) };
  }

  it('limits emails to one recipient', async () => {
    const fixture = limitedApp({ perHour: 2 });
    const statuses = [];
    for (let i = 0; i < 3; i++) statuses.push((await fixture.post('Target@Example.com')).status);
    const blocked = await fixture.post('target@example.com');
    const other = await fixture.post('other@example.com');
    fixture.close();

    expect(statuses).toEqual([202, 202, 429]);
    expect(blocked.status).toBe(429);
    expect(Number(blocked.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(((await blocked.json()) as { error: { code: string } }).error.code).toBe('rate_limited');
    expect(other.status).toBe(202);
  });

  it('limits requests per client', async () => {
    const fixture = limitedApp({ clientMax: 2 });
    const first = await fixture.post('a@example.com');
    const second = await fixture.post('b@example.com');
    const third = await fixture.post('c@example.com');
    const otherClient = await fixture.post('d@example.com', { 'x-test-client': '198.51.100.4' });
    fixture.close();

    expect([first.status, second.status, third.status]).toEqual([202, 202, 429]);
    expect(third.headers.get('retry-after')).toMatch(/^\d+$/);
    expect(otherClient.status).toBe(202);
  });

  it('requires a valid API key', async () => {
    const key = 'qk_test_4f1c9a0b7e2d';
    const fixture = limitedApp({ apiKeyHashes: [hashApiKey(key)] });
    const missing = await fixture.post('a@example.com');
    const wrong = await fixture.post('a@example.com', { 'x-api-key': 'qk_test_wrong' });
    const right = await fixture.post('a@example.com', { 'x-api-key': key });
    fixture.close();

    expect(missing.status).toBe(401);
    expect(((await missing.json()) as { error: { code: string } }).error.code).toBe('missing_api_key');
    expect(wrong.status).toBe(401);
    expect(((await wrong.json()) as { error: { code: string } }).error.code).toBe('invalid_api_key');
    expect(right.status).toBe(202);
  });
});
