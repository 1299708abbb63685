import { createHash } from 'node:crypto';
import { Agent } from 'node:http';

import { ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { InvalidMetadataError, S3ObjectStore } from '../../src/adapters/s3-store/index.js';
import { decodeQrMetadata, encodeQrMetadata, MAX_METADATA_BYTES } from '../../src/core/metadata.js';
import { startLocalS3, type LocalS3 } from '../support/aws/s3rver.js';

const PNG_BYTES = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 1, 2, 3, 127, 128, 255]);

let s3: LocalS3;
let store: S3ObjectStore;
/** Requests the S3 client has sent, counted by a middleware on its stack. */
let requestCount = 0;
let keyCounter = 0;

beforeAll(async () => {
  s3 = await startLocalS3();
  s3.client.middlewareStack.add(
    (next) => async (args) => {
      requestCount++;
      return next(args);
    },
    { step: 'finalizeRequest', name: 'countRequests' },
  );
  store = new S3ObjectStore({ client: s3.client, bucket: s3.bucket });
});

afterAll(async () => {
  await s3?.close();
});

/** Returns a key no other test uses, since all tests share one bucket. */
function uniqueKey(name: string): string {
  keyCounter++;
  return `qrcodes/${keyCounter}-${name}`;
}

function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** Lists the bucket's keys that start with `prefix`, straight from s3rver. */
async function keysUnder(prefix: string): Promise<string[]> {
  const output = await s3.client.send(new ListObjectsV2Command({ Bucket: s3.bucket, Prefix: prefix }));
  return (output.Contents ?? []).map((object) => object.Key ?? '');
}

describe('S3ObjectStore put and get', () => {
  it('returns the same bytes', async () => {
    const key = uniqueKey('bytes.png');
    const body = new Uint8Array(100_000);
    for (let i = 0; i < body.length; i++) body[i] = (i * 31 + 7) % 256;

    await store.put({ key, body, contentType: 'image/png', metadata: {} });
    const object = await store.get(key);

    expect(object).toBeDefined();
    expect(object!.body.length).toBe(body.length);
    expect(sha256(object!.body)).toBe(sha256(body));
  });

  it('returns content type and metadata', async () => {
    const key = uniqueKey('one.png');
    const metadata = { url: 'https://example.com/a%20b', email: 'someone@example.com' };

    const result = await store.put({ key, body: PNG_BYTES, contentType: 'image/png', metadata });
    const object = await store.get(key);

    expect(object!.key).toBe(key);
    expect(object!.contentType).toBe('image/png');
    expect(object!.metadata).toEqual(metadata);
    expect(object!.eTag).toBe(result.eTag);
    expect(result.eTag).toBe(`"${createHash('md5').update(PNG_BYTES).digest('hex')}"`);
  });

  it('round-trips percent-encoded metadata', async () => {
    const key = uniqueKey('encoded.png');
    const fields = {
      requestId: '9a1b2c3d-4e5f-4a6b-8c7d-0e1f2a3b4c5d',
      url: 'https://example.com/café/ação',
      email: 'josé+qr@example.com',
    };
    const metadata = encodeQrMetadata(fields);

    await store.put({ key, body: PNG_BYTES, contentType: 'image/png', metadata });
    const object = await store.get(key);

    expect(metadata.url).toBe('https://example.com/caf%C3%A9/a%C3%A7%C3%A3o');
    expect(object!.metadata).toEqual(metadata);
    expect(decodeQrMetadata(object!.metadata)).toEqual(fields);
  });

  it('returns undefined for a missing key', async () => {
    expect(await store.get(uniqueKey('missing.png'))).toBeUndefined();
  });

  it('stores a key with spaces', async () => {
    const key = 'qrcodes/my code.png';

    await store.put({ key, body: PNG_BYTES, contentType: 'image/png', metadata: { n: '1' } });
    const object = await store.get(key);

    expect(await keysUnder('qrcodes/my ')).toEqual([key]);
    expect(object!.key).toBe(key);
    expect(sha256(object!.body)).toBe(sha256(PNG_BYTES));
    expect(object!.metadata).toEqual({ n: '1' });
  });

  it('frees its socket after each get', async () => {
    // A body left unread keeps its socket checked out of the agent; a read one returns it.
    const agent = new Agent({ keepAlive: true, maxSockets: 50 });
    const client = new S3Client({
      endpoint: s3.endpoint,
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
      forcePathStyle: true,
      region: 'us-east-1',
      credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
      requestHandler: new NodeHttpHandler({ httpAgent: agent }),
    });
    const counted = new S3ObjectStore({ client, bucket: s3.bucket });
    const key = uniqueKey('repeated.png');
    await counted.put({ key, body: PNG_BYTES, contentType: 'image/png', metadata: {} });

    const hashes: string[] = [];
    for (let i = 0; i < 60; i++) {
      const object = await counted.get(key);
      hashes.push(sha256(object!.body));
    }
    const inUse = Object.values(agent.sockets).flat().length;
    const idle = Object.values(agent.freeSockets).flat().length;
    client.destroy();

    expect(new Set(hashes)).toEqual(new Set([sha256(PNG_BYTES)]));
    expect(inUse).toBe(0);
    expect(idle).toBeLessThanOrEqual(1);
  });
});

describe('S3ObjectStore metadata checks', () => {
  const filler = (bytes: number) => 'a'.repeat(bytes);
  const badMetadata: [string, Record<string, string>][] = [
    ['non-ASCII value', { url: 'https://example.com/café' }],
    ['non-ASCII key', { clé: 'value' }],
    ['line break in value', { email: 'victim@example.com\r\nBcc: others@example.com' }],
    // The key "big" takes 3 bytes, so the value makes the total one byte over the limit.
    ['2049 bytes', { big: filler(MAX_METADATA_BYTES - 3 + 1) }],
    ['bytes over many keys', { a: filler(1000), b: filler(1000), c: filler(100) }],
  ];

  for (const [name, metadata] of badMetadata) {
    it(`rejects ${name}`, async () => {
      const prefix = uniqueKey('rejected');
      const before = requestCount;

      const put = store.put({ key: `${prefix}.png`, body: PNG_BYTES, contentType: 'image/png', metadata });

      await expect(put).rejects.toBeInstanceOf(InvalidMetadataError);
      expect(requestCount).toBe(before);
      expect(await keysUnder(prefix)).toEqual([]);
    });
  }

  it('accepts exactly 2048 bytes', async () => {
    const key = uniqueKey('full.png');
    // The key "big" takes 3 bytes.
    const metadata = { big: filler(MAX_METADATA_BYTES - 3) };
    const before = requestCount;

    await store.put({ key, body: PNG_BYTES, contentType: 'image/png', metadata });

    expect(requestCount).toBe(before + 1);
    expect((await store.get(key))?.metadata).toEqual(metadata);
  });
});
