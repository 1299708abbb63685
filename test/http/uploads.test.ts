import sharp from 'sharp';
import { afterEach, describe, expect, it } from 'vitest';

import { S3ObjectStore } from '../../src/adapters/s3-store/index.js';
import { SharpImageChecker } from '../../src/adapters/sharp-images/index.js';
import type { Clock, ObjectStore } from '../../src/core/ports.js';
import { createApp } from '../../src/http/app.js';
import { startLocalS3 } from '../support/aws/s3rver.js';
import { createAppFixture } from '../support/app-fixture.js';
import { decodeQrImage } from '../support/qr-decoder.js';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function createFixture(
  options: { store?: ObjectStore; linkTtlDays?: number; clock?: Clock; maxUploadBytes?: number } = {},
) {
  const fixture = createAppFixture({
    ...(options.store ? { store: options.store } : {}),
    ...(options.clock ? { clock: options.clock } : {}),
    uploads: {
      images: new SharpImageChecker({ maxPixelsPerSide: 1000 }),
      maxUploadBytes: options.maxUploadBytes ?? 2 * 1024 * 1024,
      linkTtlDays: options.linkTtlDays,
      presignSeconds: 60,
    },
  });
  cleanups.push(fixture.close);
  return fixture;
}

/** A photo-like JPEG with EXIF GPS data that must not be stored. */
async function photo(): Promise<Buffer> {
  return sharp({ create: { width: 64, height: 48, channels: 3, background: { r: 30, g: 120, b: 200 } } })
    .jpeg()
    .withExif({ IFD0: { Make: 'CameraMaker-7c1' }, IFD3: { GPSLatitudeRef: 'N', GPSLatitude: '51/1 30/1 0/1' } })
    .toBuffer();
}

async function pixels(image: Uint8Array): Promise<Buffer> {
  return sharp(image).raw().toBuffer();
}

async function upload(app: ReturnType<typeof createApp>, bytes: Uint8Array, type: string, email = 'photo@example.com') {
  const form = new FormData();
  form.set('file', new Blob([bytes], { type }), 'photo');
  form.set('email', email);
  const response = await app.request('/images', { method: 'POST', body: form });
  return { status: response.status, body: (await response.json()) as Record<string, any> };
}

describe('POST /images', () => {
  it('links the code to the image', async () => {
    const { app, store } = createFixture();
    const original = await photo();

    const { status, body } = await upload(app, original, 'image/jpeg');
    const code = (await store.get(`qrcodes/${body.id}.png`))!.body;
    const [decoded] = await decodeQrImage(code);
    const link = Buffer.from(decoded!).toString();
    const served = await app.request(new URL(link).pathname);
    const servedBytes = new Uint8Array(await served.arrayBuffer());

    expect(status).toBe(202);
    expect(link).toBe(body.link);
    expect(link).toMatch(/^https:\/\/qr\.example\.com\/i\/[A-Za-z0-9_-]{22}$/);
    expect(served.status).toBe(200);
    expect(served.headers.get('content-type')).toBe('image/jpeg');
    expect(served.headers.get('x-content-type-options')).toBe('nosniff');
    // JPEG is re-encoded, so compare decoded pixels within a small tolerance.
    const [before, after] = [await pixels(original), await pixels(servedBytes)];
    expect(after.length).toBe(before.length);
    expect(before.every((value, i) => Math.abs(value - after[i]!) <= 3)).toBe(true);
    expect((await sharp(servedBytes).metadata()).exif).toBeUndefined();
    expect(Buffer.from(servedBytes).includes('CameraMaker-7c1')).toBe(false);
  });

  it('keeps PNG pixels exactly', async () => {
    const { app } = createFixture();
    const png = await sharp({
      create: { width: 20, height: 10, channels: 4, background: { r: 200, g: 10, b: 10, alpha: 0.5 } },
    })
      .png()
      .toBuffer();

    const { body } = await upload(app, png, 'image/png');
    const served = new Uint8Array(await (await app.request(new URL(body.link).pathname)).arrayBuffer());

    expect(await pixels(served)).toEqual(await pixels(png));
  });

  it('takes a raw body with ?email', async () => {
    const { app } = createFixture();
    const response = await app.request('/images?email=raw%40example.com', {
      method: 'POST',
      headers: { 'content-type': 'image/jpeg' },
      body: await photo(),
    });

    expect(response.status).toBe(202);
  });

  const rejected: [string, () => Promise<[Uint8Array, string]>, number, string][] = [
    ['an empty file', async () => [new Uint8Array(0), 'image/png'], 400, 'invalid_image'],
    ['a mislabelled file', async () => [await photo(), 'image/png'], 400, 'invalid_image'],
    [
      'a text file',
      async () => [Buffer.from('<html><script>alert(1)</script></html>'), 'image/png'],
      400,
      'invalid_image',
    ],
    [
      'a polyglot file',
      async () => [Buffer.concat([await photo(), Buffer.from('<html><script>alert(1)</script>')]), 'image/jpeg'],
      400,
      'invalid_image',
    ],
    [
      'a truncated PNG',
      async () => [
        (
          await sharp({ create: { width: 8, height: 8, channels: 3, background: '#fff' } })
            .png()
            .toBuffer()
        ).subarray(0, 40),
        'image/png',
      ],
      400,
      'invalid_image',
    ],
    [
      'an image too large',
      async () => [
        await sharp({ create: { width: 1200, height: 10, channels: 3, background: '#fff' } })
          .png()
          .toBuffer(),
        'image/png',
      ],
      400,
      'invalid_image',
    ],
    [
      'an SVG',
      async () => [Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"/>'), 'image/svg+xml'],
      400,
      'invalid_image',
    ],
  ];
  for (const [name, build, status, code] of rejected) {
    it(`rejects ${name}`, async () => {
      const { app, queue } = createFixture();
      const [bytes, type] = await build();

      const result = await upload(app, bytes, type);

      expect(result.status).toBe(status);
      expect(result.body.error.code).toBe(code);
      expect(queue.counts().pending).toBe(0);
    });
  }

  it('rejects an oversize upload', async () => {
    const { app } = createFixture({ maxUploadBytes: 4096 });

    const result = await upload(app, Buffer.alloc(10_000, 1), 'image/png');

    expect(result.status).toBe(413);
    expect(result.body.error.code).toBe('body_too_large');
  });

  it('rejects a bad email before storing', async () => {
    const { app, queue } = createFixture();

    const result = await upload(app, await photo(), 'image/jpeg', 'victim@example.com\r\nBcc: x@example.com');

    expect(result.status).toBe(400);
    expect(result.body.error.code).toBe('invalid_email');
    expect(queue.counts().pending).toBe(0);
  });
});

describe('GET /i/{id}', () => {
  it('answers 410 after the link expires', async () => {
    let now = Date.parse('2026-12-04T12:00:00Z');
    const { app } = createFixture({ linkTtlDays: 1, clock: { now: () => new Date(now) } });
    const { body } = await upload(app, await photo(), 'image/jpeg');
    const path = new URL(body.link).pathname;

    const fresh = await app.request(path);
    now += 2 * 86_400_000;
    const expired = await app.request(path);

    expect(fresh.status).toBe(200);
    expect(expired.status).toBe(410);
    expect(((await expired.json()) as { error: { code: string } }).error.code).toBe('link_expired');
  });

  it('answers 404 for unknown links', async () => {
    const { app } = createFixture();

    expect((await app.request('/i/AAAAAAAAAAAAAAAAAAAAAA')).status).toBe(404);
    expect((await app.request('/i/..%2F..%2Fsecrets.json')).status).toBe(404);
  });

  it('redirects to a pre-signed S3 URL', async () => {
    const s3 = await startLocalS3();
    cleanups.push(() => s3.close());
    const { app } = createFixture({ store: new S3ObjectStore({ client: s3.client, bucket: s3.bucket }) });
    const original = await sharp({ create: { width: 12, height: 12, channels: 3, background: '#3366ff' } })
      .png()
      .toBuffer();

    const { status, body } = await upload(app, original, 'image/png');
    const redirect = await app.request(new URL(body.link).pathname);
    const location = redirect.headers.get('location')!;
    const fetched = await fetch(location);

    expect(status).toBe(202);
    expect(redirect.status).toBe(302);
    expect(location).toContain('X-Amz-Signature=');
    expect(location).toContain('X-Amz-Expires=60');
    expect(fetched.status).toBe(200);
    expect(await pixels(new Uint8Array(await fetched.arrayBuffer()))).toEqual(await pixels(original));
  });
});
