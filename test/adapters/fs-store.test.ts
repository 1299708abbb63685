import { createHash } from 'node:crypto';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

import { afterEach, describe, expect, it } from 'vitest';

import { FsObjectStore, InvalidObjectError } from '../../src/adapters/fs-store/index.js';
import type { S3EventRecord } from '../../src/core/events.js';
import { MAX_METADATA_BYTES } from '../../src/core/metadata.js';
import { makeTempDir } from '../support/temp.js';

const BUCKET = 'qrmail-test-bucket';

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0).reverse()) cleanup();
});

/** Creates a store in a fresh temp folder and collects every ObjectCreated record it emits. */
function createStore() {
  const folder = makeTempDir();
  cleanups.push(folder.remove);
  const records: S3EventRecord[] = [];
  const store = new FsObjectStore({
    root: folder.path,
    bucket: BUCKET,
    onObjectCreated: (record) => {
      records.push(record);
    },
  });
  return { store, records, root: folder.path };
}

/** Lists every file below `folder`, or none when the folder does not exist. */
function filesUnder(folder: string): string[] {
  if (!existsSync(folder)) return [];
  return readdirSync(folder, { recursive: true, withFileTypes: true })
    .filter((entry) => !entry.isDirectory())
    .map((entry) => join(entry.parentPath, entry.name));
}

const PNG_BYTES = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 1, 2, 3, 255]);

describe('FsObjectStore put and get', () => {
  it('returns what was put', async () => {
    const { store } = createStore();
    const metadata = { url: 'https://example.com/a%20b', email: 'someone@example.com' };

    await store.put({ key: 'qrcodes/one.png', body: PNG_BYTES, contentType: 'image/png', metadata });
    const object = await store.get('qrcodes/one.png');

    expect(object).toBeDefined();
    expect(Buffer.from(object!.body).equals(Buffer.from(PNG_BYTES))).toBe(true);
    expect(object!.contentType).toBe('image/png');
    expect(object!.metadata).toEqual(metadata);
    expect(object!.key).toBe('qrcodes/one.png');
  });

  it('returns the quoted MD5 eTag', async () => {
    const { store } = createStore();
    const md5 = createHash('md5').update(PNG_BYTES).digest('hex');

    const result = await store.put({ key: 'qrcodes/one.png', body: PNG_BYTES, contentType: 'image/png', metadata: {} });
    const object = await store.get('qrcodes/one.png');

    expect(result.eTag).toBe(`"${md5}"`);
    expect(object!.eTag).toBe(`"${md5}"`);
  });

  it('returns undefined for a missing key', async () => {
    const { store } = createStore();

    expect(await store.get('qrcodes/missing.png')).toBeUndefined();
  });

  it('replaces an object on a second put', async () => {
    const { store } = createStore();
    await store.put({ key: 'qrcodes/one.png', body: PNG_BYTES, contentType: 'image/png', metadata: { n: '1' } });

    await store.put({
      key: 'qrcodes/one.png',
      body: new Uint8Array([7]),
      contentType: 'text/plain',
      metadata: { n: '2' },
    });
    const object = await store.get('qrcodes/one.png');

    expect(Array.from(object!.body)).toEqual([7]);
    expect(object!.contentType).toBe('text/plain');
    expect(object!.metadata).toEqual({ n: '2' });
  });
});

describe('FsObjectStore ObjectCreated record', () => {
  it('encodes the key the S3 way', async () => {
    const { store, records } = createStore();
    const keys: [string, string][] = [
      ['qrcodes/my code.png', 'qrcodes/my+code.png'],
      ['qrcodes/a+b.png', 'qrcodes/a%2Bb.png'],
      ['qrcodes/100%.png', 'qrcodes/100%25.png'],
      ['qrcodes/café.png', 'qrcodes/caf%C3%A9.png'],
      ["qrcodes/it's (1)*!.png", 'qrcodes/it%27s+%281%29%2A%21.png'],
    ];

    for (const [key] of keys) {
      await store.put({ key, body: PNG_BYTES, contentType: 'image/png', metadata: {} });
    }

    expect(records.map((record) => record.s3.object.key)).toEqual(keys.map(([, encoded]) => encoded));
  });

  it('carries size, eTag and bucket', async () => {
    const { store, records } = createStore();

    await store.put({ key: 'qrcodes/one.png', body: PNG_BYTES, contentType: 'image/png', metadata: {} });

    expect(records).toHaveLength(1);
    const record = records[0]!;
    expect(record.eventName).toBe('ObjectCreated:Put');
    expect(record.eventSource).toBe('aws:s3');
    expect(record.s3.bucket.name).toBe(BUCKET);
    expect(record.s3.bucket.arn).toBe(`arn:aws:s3:::${BUCKET}`);
    expect(record.s3.object.size).toBe(PNG_BYTES.length);
    expect(record.s3.object.eTag).toBe(createHash('md5').update(PNG_BYTES).digest('hex'));
    expect(record.s3.object.versionId).toBeUndefined();
  });

  it('emits increasing sequencers', async () => {
    const { store, records } = createStore();

    for (let i = 0; i < 20; i++) {
      await store.put({ key: `qrcodes/${i}.png`, body: PNG_BYTES, contentType: 'image/png', metadata: {} });
    }

    const sequencers = records.map((record) => record.s3.object.sequencer);
    expect(sequencers).toHaveLength(20);
    for (const sequencer of sequencers) expect(sequencer).toMatch(/^[0-9A-F]{16,}$/);
    for (let i = 1; i < sequencers.length; i++) {
      expect(BigInt(`0x${sequencers[i]}`)).toBeGreaterThan(BigInt(`0x${sequencers[i - 1]}`));
    }
  });

  it('emits after the object is readable', async () => {
    const folder = makeTempDir();
    cleanups.push(folder.remove);
    const seen: (Uint8Array | undefined)[] = [];
    const store: FsObjectStore = new FsObjectStore({
      root: folder.path,
      bucket: BUCKET,
      onObjectCreated: async () => {
        seen.push((await store.get('qrcodes/one.png'))?.body);
      },
    });

    await store.put({ key: 'qrcodes/one.png', body: PNG_BYTES, contentType: 'image/png', metadata: {} });

    expect(seen).toHaveLength(1);
    expect(seen[0]).toBeDefined();
  });
});

describe('FsObjectStore key checks', () => {
  const badKeys: [string, string][] = [
    ['empty key', ''],
    ['parent segment', 'qrcodes/../escape.png'],
    ['leading parent segment', '../escape.png'],
    ['bare parent segment', '..'],
    ['current segment', 'qrcodes/./one.png'],
    ['empty segment', 'qrcodes//one.png'],
    ['leading slash', '/qrcodes/one.png'],
    ['trailing slash', 'qrcodes/'],
    ['NUL byte', 'qrcodes/one\0.png'],
  ];

  for (const [name, key] of badKeys) {
    it(`rejects put with ${name}`, async () => {
      const { store, records, root } = createStore();

      const put = store.put({ key, body: PNG_BYTES, contentType: 'image/png', metadata: {} });

      await expect(put).rejects.toBeInstanceOf(InvalidObjectError);
      expect(filesUnder(root)).toEqual([]);
      expect(records).toHaveLength(0);
    });

    it(`finds nothing for get with ${name}`, async () => {
      const { store } = createStore();

      expect(await store.get(key)).toBeUndefined();
    });
  }
});

describe('FsObjectStore metadata checks', () => {
  const filler = (bytes: number) => 'a'.repeat(bytes);
  const badMetadata: [string, Record<string, string>][] = [
    ['non-ASCII value', { url: 'https://example.com/café' }],
    ['non-ASCII key', { clé: 'value' }],
    ['line break in value', { email: 'victim@example.com\r\nBcc: others@example.com' }],
    ['NUL in value', { url: 'https://example.com/\0' }],
    // The key "big" takes 3 bytes, so the value makes the total one byte over the limit.
    ['2049 bytes', { big: filler(MAX_METADATA_BYTES - 3 + 1) }],
    ['bytes over many keys', { a: filler(1000), b: filler(1000), c: filler(100) }],
  ];

  for (const [name, metadata] of badMetadata) {
    it(`rejects ${name}`, async () => {
      const { store, records, root } = createStore();

      const put = store.put({ key: 'qrcodes/one.png', body: PNG_BYTES, contentType: 'image/png', metadata });

      await expect(put).rejects.toBeInstanceOf(InvalidObjectError);
      expect(filesUnder(root)).toEqual([]);
      expect(records).toHaveLength(0);
    });
  }

  it('accepts exactly 2048 bytes', async () => {
    const { store, records } = createStore();
    // The key "big" takes 3 bytes.
    const metadata = { big: filler(MAX_METADATA_BYTES - 3) };

    await store.put({ key: 'qrcodes/one.png', body: PNG_BYTES, contentType: 'image/png', metadata });

    expect((await store.get('qrcodes/one.png'))?.metadata).toEqual(metadata);
    expect(records).toHaveLength(1);
  });
});
