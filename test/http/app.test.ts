import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';

import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';

import { FsObjectStore } from '../../src/adapters/fs-store/index.js';
import { LocalEventQueue } from '../../src/adapters/local-events/index.js';
import { SqliteRequestRecords } from '../../src/adapters/sqlite-records/index.js';
import { decodeQrMetadata } from '../../src/core/metadata.js';
import { systemClock } from '../../src/core/ports.js';
import { ZxingVerifier } from '../../src/adapters/zxing/index.js';
import { createApp } from '../../src/http/app.js';
import { captureLogger } from '../support/log-capture.js';
import { decodeQrText } from '../support/qr-decoder.js';
import { makeTempDir } from '../support/temp.js';

const PUBLIC_URL = 'https://qr.example.com';
const BUCKET = 'qrmail-images';
const MAX_BODY_BYTES = 16 * 1024;
const GOOD_URL = 'https://example.com/a%20b/c+d?x=1&y=%2B2#frag';
const GOOD_EMAIL = 'someone@example.com';

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0).reverse()) cleanup();
});

/** Builds the app over real adapters in a fresh temp folder, as the local runtime wires it. */
function createFixture() {
  const folder = makeTempDir();
  cleanups.push(folder.remove);
  const db = new Database(join(folder.path, 'qrmail.db'));
  cleanups.push(() => db.close());

  const queue = new LocalEventQueue(db);
  const records = new SqliteRequestRecords(db);
  const objectsRoot = join(folder.path, 'objects');
  const store = new FsObjectStore({
    root: objectsRoot,
    bucket: BUCKET,
    onObjectCreated: (record) => queue.append(record),
  });
  const logs = captureLogger('debug');
  const app = createApp({
    store,
    records,
    verifier: new ZxingVerifier(),
    clock: systemClock,
    logger: logs.logger,
    // The trailing slash checks that links do not get a double slash.
    publicUrl: `${PUBLIC_URL}/`,
    maxBodyBytes: MAX_BODY_BYTES,
  });

  const countRows = (table: 'events' | 'requests') =>
    (db.prepare(`SELECT COUNT(*) AS count FROM ${table}`).get() as { count: number }).count;
  return {
    app,
    store,
    queue,
    logs,
    /** Every file the store wrote, data and metadata, relative to its root folder. */
    objectFiles: () => filesUnder(objectsRoot).sort(),
    eventRows: () => countRows('events'),
    requestRows: () => countRows('requests'),
  };
}

type Fixture = ReturnType<typeof createFixture>;

/** Lists every file below `folder` as a relative path, or none when the folder does not exist. */
function filesUnder(folder: string): string[] {
  if (!existsSync(folder)) return [];
  return readdirSync(folder, { recursive: true, withFileTypes: true })
    .filter((entry) => !entry.isDirectory())
    .map((entry) => join(entry.parentPath, entry.name).slice(folder.length + 1));
}

const JSON_HEADERS = { 'content-type': 'application/json' };

function jsonBody(value: unknown): RequestInit {
  return { headers: JSON_HEADERS, body: JSON.stringify(value) };
}

function postQrCode(fixture: Fixture, init: RequestInit): Promise<Response> {
  return Promise.resolve(fixture.app.request('/images/qrcode', { method: 'POST', ...init }));
}

/** Returns the path of a link for `app.request`, after checking that the link starts with PUBLIC_URL. */
function pathOf(link: string): string {
  expect(link.startsWith(`${PUBLIC_URL}/`)).toBe(true);
  return link.slice(PUBLIC_URL.length);
}

interface ErrorBody {
  error: { code: string; message: string; field?: string };
}

// An upper-case URL is encoded in alphanumeric mode, where a QR code at level M has room for 3391
// characters, so this 2500-character URL fits the code but not 2048 bytes of object metadata.
const ALPHANUMERIC_URL = `HTTPS://EXAMPLE.COM/${'A'.repeat(2500 - 'HTTPS://EXAMPLE.COM/'.length)}`;
// "é" is one UTF-16 unit but two UTF-8 bytes, so 1220 characters are 2440 bytes.
const UNICODE_URL_OVER_QR = `https://example.com/${'é'.repeat(1200)}`;
// 420 characters and 820 UTF-8 bytes fit the code. Stored percent-encoded, each "é" takes 6 bytes,
// so the url metadata value alone is 2420 bytes.
const UNICODE_URL_OVER_METADATA = `https://example.com/${'é'.repeat(400)}`;

interface BadRequestCase {
  name: string;
  init: RequestInit;
  status: number;
  code: string;
  /** Text the message must contain, such as the limit it names. */
  mentions?: string;
  field?: string;
}

const good = { url: GOOD_URL, email: GOOD_EMAIL };
const badRequests: BadRequestCase[] = [
  { name: 'missing body', init: { headers: JSON_HEADERS }, status: 400, code: 'invalid_json' },
  { name: 'empty body', init: { headers: JSON_HEADERS, body: '' }, status: 400, code: 'invalid_json' },
  { name: 'body null', init: { headers: JSON_HEADERS, body: 'null' }, status: 400, code: 'invalid_body' },
  { name: 'body array', init: { headers: JSON_HEADERS, body: '[]' }, status: 400, code: 'invalid_body' },
  { name: 'body string', init: jsonBody(GOOD_URL), status: 400, code: 'invalid_body' },
  { name: 'body number', init: { headers: JSON_HEADERS, body: '42' }, status: 400, code: 'invalid_body' },
  {
    name: 'text/plain content type',
    init: { headers: { 'content-type': 'text/plain' }, body: JSON.stringify(good) },
    status: 415,
    code: 'unsupported_media_type',
  },
  {
    name: 'no content type',
    init: { body: new TextEncoder().encode(JSON.stringify(good)) },
    status: 415,
    code: 'unsupported_media_type',
  },
  {
    name: 'form content type',
    init: {
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: `url=${encodeURIComponent(GOOD_URL)}`,
    },
    status: 415,
    code: 'unsupported_media_type',
  },
  {
    name: 'JSON suffix content type',
    init: { headers: { 'content-type': 'application/json-patch+json' }, body: JSON.stringify(good) },
    status: 415,
    code: 'unsupported_media_type',
  },
  {
    name: 'charset latin1',
    init: { headers: { 'content-type': 'application/json; charset=latin1' }, body: JSON.stringify(good) },
    status: 415,
    code: 'unsupported_media_type',
  },
  {
    name: 'charset utf-16',
    init: { headers: { 'content-type': 'application/json; charset=utf-16' }, body: JSON.stringify(good) },
    status: 415,
    code: 'unsupported_media_type',
  },
  {
    name: 'content-encoding gzip',
    init: { headers: { ...JSON_HEADERS, 'content-encoding': 'gzip' }, body: gzipSync(JSON.stringify(good)) },
    status: 415,
    code: 'unsupported_media_type',
  },
  {
    name: '2 MB body with length',
    init: {
      headers: { ...JSON_HEADERS, 'content-length': String(2 * 1024 * 1024) },
      body: new Uint8Array(2 * 1024 * 1024).fill(0x20),
    },
    status: 413,
    code: 'body_too_large',
    mentions: String(MAX_BODY_BYTES),
  },
  {
    name: '2 MB body without length',
    init: {
      headers: JSON_HEADERS,
      body: JSON.stringify({ ...good, url: `https://example.com/${'a'.repeat(2 * 1024 * 1024)}` }),
    },
    status: 413,
    code: 'body_too_large',
    mentions: String(MAX_BODY_BYTES),
  },
  {
    name: 'unknown field',
    init: jsonBody({ ...good, cc: 'other@example.com' }),
    status: 400,
    code: 'unknown_field',
    field: 'cc',
  },
  {
    name: '__proto__ field',
    init: {
      headers: JSON_HEADERS,
      body: `{"url":${JSON.stringify(GOOD_URL)},"email":"${GOOD_EMAIL}","__proto__":{"admin":true}}`,
    },
    status: 400,
    code: 'unknown_field',
  },
  { name: 'missing url', init: jsonBody({ email: GOOD_EMAIL }), status: 400, code: 'missing_field', field: 'url' },
  { name: 'missing email', init: jsonBody({ url: GOOD_URL }), status: 400, code: 'missing_field', field: 'email' },
  { name: 'empty object', init: jsonBody({}), status: 400, code: 'missing_field' },
  { name: 'url a number', init: jsonBody({ ...good, url: 42 }), status: 400, code: 'invalid_type', field: 'url' },
  {
    name: 'url an array',
    init: jsonBody({ ...good, url: [GOOD_URL] }),
    status: 400,
    code: 'invalid_type',
    field: 'url',
  },
  { name: 'email null', init: jsonBody({ ...good, email: null }), status: 400, code: 'invalid_type', field: 'email' },
  {
    name: 'email an object',
    init: jsonBody({ ...good, email: {} }),
    status: 400,
    code: 'invalid_type',
    field: 'email',
  },
  { name: 'truncated JSON', init: { headers: JSON_HEADERS, body: '{"url":' }, status: 400, code: 'invalid_json' },
  {
    name: 'trailing bytes after JSON',
    init: { headers: JSON_HEADERS, body: `${JSON.stringify(good)}x` },
    status: 400,
    code: 'invalid_json',
  },
  {
    name: 'single-quoted JSON',
    init: { headers: JSON_HEADERS, body: `{'url':'${GOOD_URL}'}` },
    status: 400,
    code: 'invalid_json',
  },
  {
    name: 'UTF-8 byte-order mark',
    init: { headers: JSON_HEADERS, body: `\uFEFF${JSON.stringify(good)}` },
    status: 400,
    code: 'invalid_json',
  },
  {
    name: 'invalid UTF-8 bytes',
    init: {
      headers: JSON_HEADERS,
      body: Buffer.concat([
        Buffer.from('{"url":"https://example.com/'),
        Buffer.from([0xff, 0xfe]),
        Buffer.from(`","email":"${GOOD_EMAIL}"}`),
      ]),
    },
    status: 400,
    code: 'invalid_json',
  },
  {
    name: 'CRLF in email',
    init: jsonBody({ ...good, email: 'victim@example.com\r\nBcc: others@example.com' }),
    status: 400,
    code: 'invalid_email',
    field: 'email',
  },
  {
    name: 'LF in email',
    init: jsonBody({ ...good, email: 'victim@example.com\nBcc: others@example.com' }),
    status: 400,
    code: 'invalid_email',
  },
  {
    name: 'display name',
    init: jsonBody({ ...good, email: 'Victim <victim@example.com>' }),
    status: 400,
    code: 'invalid_email',
  },
  {
    name: 'display name without space',
    init: jsonBody({ ...good, email: '"Victim"<victim@example.com>' }),
    status: 400,
    code: 'invalid_email',
  },
  {
    name: 'comma list of addresses',
    init: jsonBody({ ...good, email: 'victim@example.com,others@example.com' }),
    status: 400,
    code: 'invalid_email',
  },
  {
    name: 'semicolon list of addresses',
    init: jsonBody({ ...good, email: 'victim@example.com;others@example.com' }),
    status: 400,
    code: 'invalid_email',
  },
  { name: 'empty email', init: jsonBody({ ...good, email: '' }), status: 400, code: 'invalid_email' },
  { name: 'email without domain', init: jsonBody({ ...good, email: 'victim@' }), status: 400, code: 'invalid_email' },
  {
    name: 'javascript URL',
    init: jsonBody({ ...good, url: 'javascript:alert(1)' }),
    status: 400,
    code: 'unsupported_url_scheme',
    field: 'url',
  },
  {
    name: 'data URL',
    init: jsonBody({ ...good, url: 'data:text/html,<script>alert(1)</script>' }),
    status: 400,
    code: 'unsupported_url_scheme',
  },
  {
    name: 'file URL',
    init: jsonBody({ ...good, url: 'file:///etc/passwd' }),
    status: 400,
    code: 'unsupported_url_scheme',
  },
  {
    name: 'ftp URL',
    init: jsonBody({ ...good, url: 'ftp://example.com/file' }),
    status: 400,
    code: 'unsupported_url_scheme',
  },
  {
    name: 'URL with credentials',
    init: jsonBody({ ...good, url: 'https://user:secret@example.com/' }),
    status: 400,
    code: 'url_has_credentials',
  },
  {
    name: 'URL with user name',
    init: jsonBody({ ...good, url: 'https://user@example.com/' }),
    status: 400,
    code: 'url_has_credentials',
  },
  {
    name: 'URL with a space',
    init: jsonBody({ ...good, url: 'https://example.com/a b' }),
    status: 400,
    code: 'invalid_url',
  },
  {
    name: 'URL with a tab',
    init: jsonBody({ ...good, url: 'https://example.com/a\tb' }),
    status: 400,
    code: 'invalid_url',
  },
  { name: 'relative URL', init: jsonBody({ ...good, url: '/images/qrcode' }), status: 400, code: 'invalid_url' },
  // JSON can carry a lone UTF-16 surrogate, which has no UTF-8 form to encode, store or send.
  {
    name: 'lone surrogate in URL',
    init: { headers: JSON_HEADERS, body: `{"url":"https://example.com/\\ud800","email":"${GOOD_EMAIL}"}` },
    status: 400,
    code: 'invalid_url',
  },
  {
    name: 'lone surrogate in email',
    init: { headers: JSON_HEADERS, body: `{"url":${JSON.stringify(GOOD_URL)},"email":"someone@ex\\ud800ample.com"}` },
    status: 400,
    code: 'invalid_email',
  },
  { name: 'empty URL', init: jsonBody({ ...good, url: '' }), status: 400, code: 'invalid_url' },
  {
    name: 'URL over QR capacity',
    init: jsonBody({ ...good, url: `https://example.com/${'a'.repeat(2332 - 'https://example.com/'.length)}` }),
    status: 400,
    code: 'url_too_long',
    mentions: '2331',
    field: 'url',
  },
  {
    name: 'URL over metadata limit',
    init: jsonBody({ ...good, url: ALPHANUMERIC_URL }),
    status: 400,
    code: 'url_too_long',
    mentions: '2048',
    field: 'url',
  },
  {
    name: 'unicode URL over QR capacity',
    init: jsonBody({ ...good, url: UNICODE_URL_OVER_QR }),
    status: 400,
    code: 'url_too_long',
    // Non-ASCII text carries the UTF-8 ECI, which leaves 2330 of the 2331 bytes for data.
    mentions: '2330',
  },
  {
    name: 'unicode URL over metadata limit',
    init: jsonBody({ ...good, url: UNICODE_URL_OVER_METADATA }),
    status: 400,
    code: 'url_too_long',
    mentions: '2048',
  },
];

describe('POST /images/qrcode bad requests', () => {
  it('covers the URL limits as intended', () => {
    expect(ALPHANUMERIC_URL).toHaveLength(2500);
    expect(UNICODE_URL_OVER_QR.length).toBeLessThan(2331);
    expect(Buffer.byteLength(UNICODE_URL_OVER_QR)).toBeGreaterThan(2331);
    expect(Buffer.byteLength(UNICODE_URL_OVER_METADATA)).toBeLessThan(2048);
  });

  for (const testCase of badRequests) {
    it(`rejects ${testCase.name}`, async () => {
      const fixture = createFixture();

      const response = await postQrCode(fixture, testCase.init);
      const body = (await response.json()) as ErrorBody;

      expect(response.status).toBe(testCase.status);
      expect(response.headers.get('content-type')).toMatch(/^application\/json/);
      expect(body.error.code).toBe(testCase.code);
      expect(body.error.message).toBeTypeOf('string');
      expect(body.error.message.trim()).not.toBe('');
      if (testCase.mentions !== undefined) expect(body.error.message).toContain(testCase.mentions);
      if (testCase.field !== undefined) expect(body.error.field).toBe(testCase.field);
      expect(response.headers.get('location')).toBeNull();

      expect(fixture.objectFiles()).toEqual([]);
      expect(fixture.eventRows()).toBe(0);
      expect(fixture.requestRows()).toBe(0);
      expect(fixture.logs.records().filter((line) => line.level === 'error')).toEqual([]);
    });
  }
});

describe('POST /images/qrcode accepted', () => {
  it('returns 202 with links', async () => {
    const fixture = createFixture();

    const response = await postQrCode(fixture, jsonBody(good));
    const body = (await response.json()) as Record<string, unknown>;

    expect(response.status).toBe(202);
    expect(body.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    expect(body.status).toBe('queued');
    expect(body.statusUrl).toBe(`${PUBLIC_URL}/images/qrcode/${body.id}`);
    expect(body.imageUrl).toBe(`${PUBLIC_URL}/images/qrcode/${body.id}.png`);
    expect(response.headers.get('location')).toBe(body.statusUrl);
    expect(Number.isNaN(Date.parse(body.createdAt as string))).toBe(false);
  });

  it('stores the object and one event', async () => {
    const fixture = createFixture();

    const response = await postQrCode(fixture, jsonBody(good));
    const { id } = (await response.json()) as { id: string };
    const object = await fixture.store.get(`qrcodes/${id}.png`);
    const events = fixture.queue.claim('test-worker', 10);

    expect(fixture.objectFiles()).toEqual([
      join(BUCKET, 'data', 'qrcodes', `${id}.png`),
      join(BUCKET, 'meta', 'qrcodes', `${id}.png.json`),
    ]);
    expect(fixture.requestRows()).toBe(1);
    expect(events).toHaveLength(1);
    expect(events[0]!.record.s3.object.key).toBe(`qrcodes/${id}.png`);
    expect(object?.contentType).toBe('image/png');
    expect(decodeQrMetadata(object!.metadata)).toEqual({ requestId: id, url: GOOD_URL, email: GOOD_EMAIL });
  });

  const acceptedHeaders: [string, Record<string, string>][] = [
    ['charset utf-8', { 'content-type': 'application/json; charset=utf-8' }],
    ['quoted upper-case charset', { 'content-type': 'application/json;charset="UTF-8"' }],
    ['upper-case media type', { 'content-type': 'Application/JSON' }],
    ['identity content-encoding', { 'content-type': 'application/json', 'content-encoding': 'identity' }],
  ];
  for (const [name, headers] of acceptedHeaders) {
    it(`accepts ${name}`, async () => {
      const fixture = createFixture();

      const response = await postQrCode(fixture, { headers, body: JSON.stringify(good) });

      expect(response.status).toBe(202);
      expect(fixture.requestRows()).toBe(1);
    });
  }

  it('accepts a unicode URL within limits', async () => {
    const fixture = createFixture();
    const url = 'https://example.com/café/ação?q=Zürich&x=你好';

    const response = await postQrCode(fixture, jsonBody({ url, email: GOOD_EMAIL }));
    const { id } = (await response.json()) as { id: string };
    const object = await fixture.store.get(`qrcodes/${id}.png`);

    expect(response.status).toBe(202);
    expect(decodeQrMetadata(object!.metadata)?.url).toBe(url);
  });
});

describe('GET /images/qrcode/{id}', () => {
  async function accept(fixture: Fixture) {
    const response = await postQrCode(fixture, jsonBody(good));
    expect(response.status).toBe(202);
    return (await response.json()) as { id: string; statusUrl: string; imageUrl: string };
  }

  it('returns queued status', async () => {
    const fixture = createFixture();
    const accepted = await accept(fixture);

    const response = await fixture.app.request(pathOf(accepted.statusUrl));
    const body = (await response.json()) as Record<string, unknown>;

    expect(response.status).toBe(200);
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect(body.id).toBe(accepted.id);
    expect(body.status).toBe('queued');
    expect(body.attempts).toBe(0);
    expect(body.sentAt).toBeNull();
    expect(body.lastError).toBeNull();
    expect(body.imageUrl).toBe(accepted.imageUrl);
  });

  it('returns the PNG image', async () => {
    const fixture = createFixture();
    const accepted = await accept(fixture);

    const response = await fixture.app.request(pathOf(accepted.imageUrl));
    const png = new Uint8Array(await response.arrayBuffer());

    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('image/png');
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    expect(response.headers.get('etag')).toMatch(/^"[0-9a-f]{32}"$/);
    expect(Buffer.from(png.subarray(0, 8)).toString('hex')).toBe('89504e470d0a1a0a');
    expect(await decodeQrText(png)).toBe(GOOD_URL);
  });

  const notFoundPaths: [string, string][] = [
    ['unknown id', '/images/qrcode/6f1c2a9e-3b4d-4e5f-8a7b-9c0d1e2f3a4b'],
    ['unknown image id', '/images/qrcode/6f1c2a9e-3b4d-4e5f-8a7b-9c0d1e2f3a4b.png'],
    ['malformed id', '/images/qrcode/not-an-id'],
    ['malformed image id', '/images/qrcode/not-an-id.png'],
    ['upper-case id', '/images/qrcode/6F1C2A9E-3B4D-4E5F-8A7B-9C0D1E2F3A4B'],
    ['encoded path traversal', '/images/qrcode/..%2F..%2Fqrmail.db'],
    ['encoded traversal image', '/images/qrcode/..%2Fdata%2Fqrcodes%2Fx.png'],
    ['bare .png', '/images/qrcode/.png'],
  ];
  for (const [name, path] of notFoundPaths) {
    it(`returns 404 for ${name}`, async () => {
      const fixture = createFixture();
      await accept(fixture);

      const response = await fixture.app.request(path);
      const body = (await response.json()) as ErrorBody;

      expect(response.status).toBe(404);
      expect(body.error.code).toBe('not_found');
      expect(body.error.message).not.toBe('');
    });
  }
});

describe('other routes', () => {
  it('returns 404 JSON for unknown route', async () => {
    const fixture = createFixture();

    const response = await fixture.app.request('/images/upload', { method: 'POST', ...jsonBody(good) });
    const body = (await response.json()) as ErrorBody;

    expect(response.status).toBe(404);
    expect(response.headers.get('content-type')).toMatch(/^application\/json/);
    expect(body.error.code).toBe('not_found');
    expect(body.error.message).not.toBe('');
    expect(fixture.requestRows()).toBe(0);
  });

  for (const method of ['GET', 'PUT', 'DELETE', 'PATCH']) {
    it(`returns 405 for ${method}`, async () => {
      const fixture = createFixture();

      const response = await fixture.app.request('/images/qrcode', { method });
      const body = (await response.json()) as ErrorBody;

      expect(response.status).toBe(405);
      expect(response.headers.get('allow')).toBe('POST');
      expect(body.error.code).toBe('method_not_allowed');
      expect(body.error.message).not.toBe('');
    });
  }

  it('returns 200 from /healthz', async () => {
    const fixture = createFixture();

    const response = await fixture.app.request('/healthz');

    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: 'ok' });
  });
});

describe('rejection log', () => {
  /** Returns the 'request rejected' lines logged so far. */
  function rejections(fixture: Fixture): Record<string, unknown>[] {
    return fixture.logs.records().filter((record) => record.msg === 'request rejected');
  }

  it('logs a rejected body with its code', async () => {
    const fixture = createFixture();

    const response = await fixture.app.request('/images/qrcode', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"url":',
    });

    expect(response.status).toBe(400);
    expect(rejections(fixture)).toMatchObject([
      { method: 'POST', path: '/images/qrcode', status: 400, code: 'invalid_json' },
    ]);
  });

  it('logs an unknown route with its code', async () => {
    const fixture = createFixture();

    await fixture.app.request('/nowhere');

    expect(rejections(fixture)).toMatchObject([{ method: 'GET', path: '/nowhere', status: 404, code: 'not_found' }]);
  });

  it('logs a wrong method with its code', async () => {
    const fixture = createFixture();

    await fixture.app.request('/images/qrcode', { method: 'DELETE' });

    expect(rejections(fixture)).toMatchObject([{ status: 405, code: 'method_not_allowed' }]);
  });

  it('logs no rejection for accepted request', async () => {
    const fixture = createFixture();

    const response = await fixture.app.request('/images/qrcode', { method: 'POST', ...jsonBody(good) });

    expect(response.status).toBe(202);
    expect(rejections(fixture)).toEqual([]);
  });
});
