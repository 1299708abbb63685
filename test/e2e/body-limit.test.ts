import { request } from 'node:http';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { startLocalService, type LocalService } from '../support/local-service.js';

const LIMIT = 1024;

/**
 * Posts `chunks` to POST /images/qrcode over a plain Node.js HTTP connection. With `chunked` the
 * body goes out with Transfer-Encoding: chunked and no Content-Length.
 */
function post(
  service: LocalService,
  chunks: string[],
  chunked: boolean,
): Promise<{ status: number; body: Record<string, unknown> }> {
  const body = chunks.join('');
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (!chunked) headers['content-length'] = String(Buffer.byteLength(body));
  return new Promise((resolve, reject) => {
    const outgoing = request(`${service.url}/images/qrcode`, { method: 'POST', headers }, (response) => {
      const parts: Buffer[] = [];
      response.on('data', (part: Buffer) => parts.push(part));
      response.on('end', () => {
        resolve({ status: response.statusCode ?? 0, body: JSON.parse(Buffer.concat(parts).toString('utf8')) });
      });
    });
    // The server may send its 413 before it has read the whole body, and then close the connection.
    outgoing.on('error', reject);
    for (const chunk of chunks) outgoing.write(chunk);
    outgoing.end();
  });
}

/** Returns a valid request padded with an unknown field to about `bytes` bytes. */
function bodyOf(bytes: number, email: string): string {
  const fields = { url: 'https://example.com/limit', email };
  const padding = Math.max(0, bytes - JSON.stringify({ ...fields, pad: '' }).length);
  return JSON.stringify({ ...fields, pad: 'x'.repeat(padding) });
}

function inChunks(text: string, size: number): string[] {
  const chunks: string[] = [];
  for (let start = 0; start < text.length; start += size) chunks.push(text.slice(start, start + size));
  return chunks;
}

describe('body limit over HTTP', () => {
  let service: LocalService;

  beforeAll(async () => {
    service = await startLocalService({ QRMAIL_MAX_BODY_BYTES: String(LIMIT) });
  });

  afterAll(async () => {
    await service.dispose();
  });

  it('rejects a long Content-Length body', async () => {
    const response = await post(service, [bodyOf(LIMIT + 1, 'long@example.com')], false);

    expect(response.status).toBe(413);
    expect(response.body).toMatchObject({ error: { code: 'body_too_large' } });
  });

  it('rejects a long chunked body', async () => {
    const response = await post(service, inChunks(bodyOf(LIMIT + 200, 'chunked@example.com'), 100), true);

    expect(response.status).toBe(413);
    expect(response.body).toMatchObject({ error: { code: 'body_too_large' } });
  });

  it('reads a short Content-Length body', async () => {
    const response = await post(
      service,
      [JSON.stringify({ url: 'https://example.com/a', email: 'a@example.com' })],
      false,
    );

    expect(response.status).toBe(202);
  });

  it('reads a short chunked body', async () => {
    const body = JSON.stringify({ url: 'https://example.com/b', email: 'b@example.com' });
    const response = await post(service, inChunks(body, 10), true);

    expect(response.status).toBe(202);
  });

  it('stores only the accepted requests', () => {
    const database = service.openDatabase();
    try {
      const { count } = database.prepare('SELECT COUNT(*) AS count FROM requests').get() as { count: number };

      expect(count).toBe(2);
    } finally {
      database.close();
    }
  });
});
