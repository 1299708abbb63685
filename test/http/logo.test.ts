import { PNG } from 'pngjs';
import sharp from 'sharp';
import { afterEach, describe, expect, it } from 'vitest';

import { SharpLogoRenderer } from '../../src/adapters/sharp-logo/index.js';
import { createAppFixture } from '../support/app-fixture.js';
import { decodeQrImage } from '../support/qr-decoder.js';
import { zbarDecode } from '../support/zbar.js';

const URL = 'https://example.com/with-logo';
const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0).reverse()) cleanup();
});

function createFixture(withLogos = true) {
  const fixture = createAppFixture({
    maxBodyBytes: 128 * 1024,
    ...(withLogos ? { logos: new SharpLogoRenderer() } : {}),
  });
  cleanups.push(fixture.close);
  return fixture;
}

/** A red disc on transparency, with EXIF that must not survive. */
async function logoPng(): Promise<Buffer> {
  const svg =
    '<svg xmlns="http://www.w3.org/2000/svg" width="200" height="200"><circle cx="100" cy="100" r="90" fill="#d32f2f"/></svg>';
  return sharp(Buffer.from(svg))
    .png()
    .withExif({ IFD0: { Copyright: 'secret-owner-3e9' } })
    .toBuffer();
}

async function post(app: ReturnType<typeof createFixture>['app'], body: Record<string, unknown>) {
  const response = await app.request('/images/qrcode', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ url: URL, email: 'logo@example.com', ...body }),
  });
  return { status: response.status, body: (await response.json()) as Record<string, any> };
}

describe('POST /images/qrcode with a logo', () => {
  it('draws the logo and still scans', async () => {
    const { app, store } = createFixture();
    const logo = `data:image/png;base64,${(await logoPng()).toString('base64')}`;

    const { status, body } = await post(app, { logo, format: 'svg' });
    const png = (await store.get(`qrcodes/${body.id}.png`))!.body;
    const image = PNG.sync.read(Buffer.from(png));
    const centre = (Math.floor(image.height / 2) * image.width + Math.floor(image.width / 2)) * 4;

    expect(status).toBe(202);
    expect([image.data[centre], image.data[centre + 1], image.data[centre + 2]]).toEqual([0xd3, 0x2f, 0x2f]);
    expect((await decodeQrImage(png)).map((bytes) => Buffer.from(bytes).toString())).toEqual([URL]);
    expect(zbarDecode(png).toString()).toBe(URL);
    expect(Buffer.from(png).includes('secret-owner-3e9')).toBe(false);

    const svg = (await store.get(`qrcodes/${body.id}.svg`))!.body.toString();
    expect(svg).toContain('<image ');
    const raster = await sharp(Buffer.from(svg)).resize(400, 400).flatten({ background: '#ffffff' }).png().toBuffer();
    expect(zbarDecode(raster).toString()).toBe(URL);
  });

  const rejected: [string, () => Promise<Record<string, unknown>>, string][] = [
    [
      'a level below H',
      async () => ({ logo: `data:image/png;base64,${(await logoPng()).toString('base64')}`, ecc: 'L' }),
      'invalid_ecc',
    ],
    [
      'a mislabelled image',
      async () => ({ logo: `data:image/jpeg;base64,${(await logoPng()).toString('base64')}` }),
      'invalid_logo',
    ],
    [
      'text posing as an image',
      async () => ({ logo: `data:image/png;base64,${Buffer.from('not an image').toString('base64')}` }),
      'invalid_logo',
    ],
    [
      'an SVG logo',
      async () => ({ logo: `data:image/svg+xml;base64,${Buffer.from('<svg/>').toString('base64')}` }),
      'invalid_logo',
    ],
    ['an oversize logo', async () => ({ logo: `data:image/png;base64,${'A'.repeat(95_000)}` }), 'invalid_logo'],
  ];
  for (const [name, build, code] of rejected) {
    it(`rejects ${name}`, async () => {
      const { app, queue } = createFixture();

      const { status, body } = await post(app, await build());

      expect(status).toBe(400);
      expect(body.error.code).toBe(code);
      expect(queue.counts().pending).toBe(0);
    });
  }

  it('rejects a logo without a renderer', async () => {
    const { app } = createFixture(false);

    const { status, body } = await post(app, { logo: `data:image/png;base64,${(await logoPng()).toString('base64')}` });

    expect(status).toBe(400);
    expect(body.error.code).toBe('logo_not_supported');
  });
});
