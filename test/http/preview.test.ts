import { PNG } from 'pngjs';
import sharp from 'sharp';
import { afterEach, describe, expect, it } from 'vitest';

import { ZxingVerifier } from '../../src/adapters/zxing/index.js';
import type { QrVerifier } from '../../src/core/ports.js';
import { encodeQr } from '../../src/qr/index.js';
import { createAppFixture } from '../support/app-fixture.js';
import { decodeQrImage } from '../support/qr-decoder.js';
import { zbarDecode } from '../support/zbar.js';

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0).reverse()) cleanup();
});

function createFixture(verifier: QrVerifier = new ZxingVerifier()) {
  const fixture = createAppFixture({ verifier });
  cleanups.push(fixture.close);
  return fixture;
}

const app = () => createFixture().app;

function previewPath(parameters: Record<string, string>): string {
  return `/qrcode?${new URLSearchParams(parameters).toString()}`;
}

async function rasterize(svg: string, pixels: number): Promise<Buffer> {
  return sharp(Buffer.from(svg)).resize(pixels, pixels).flatten({ background: '#ffffff' }).png().toBuffer();
}

async function expectDecodes(png: Uint8Array, text: string, label: string): Promise<void> {
  const expected = Buffer.from(text, 'utf8');
  const zxing = await decodeQrImage(png);
  expect(
    zxing.map((bytes) => Buffer.from(bytes)),
    `${label} zxing`,
  ).toEqual([expected]);
  expect(zbarDecode(png), `${label} zbar`).toEqual(expected);
}

const CORPUS = [
  'Hello, world',
  'https://example.com/a%20b/c+d?x=1&y=%2B2#frag',
  'https://example.com/search?q=a+b&lang=en&page=2#results',
  '00012345678900',
  'Zürich, Crème brûlée, São Paulo',
  'Здравствуйте, добрый день!',
  'ST00011|пр. Первомайский',
  '你好，世界',
  '東京都渋谷区',
  '帅',
  'Emoji 😀🎉 ok',
];

describe('preview route corpus', () => {
  for (const ecc of ['L', 'M', 'Q', 'H']) {
    it(`decodes every text at ${ecc}`, async () => {
      for (const text of CORPUS) {
        const png = await app().request(previewPath({ data: text, ecc, scale: '4' }));
        expect(png.status).toBe(200);
        await expectDecodes(new Uint8Array(await png.arrayBuffer()), text, `${ecc} png ${text}`);

        const svg = await app().request(previewPath({ data: text, ecc, format: 'svg' }));
        expect(svg.status).toBe(200);
        await expectDecodes(await rasterize(await svg.text(), 400), text, `${ecc} svg ${text}`);
      }
    }, 60_000);
  }

  it('decodes without the ECI too', async () => {
    for (const text of CORPUS) {
      const png = await app().request(previewPath({ data: text, eci: 'off', scale: '4' }));
      await expectDecodes(new Uint8Array(await png.arrayBuffer()), text, `eci off ${text}`);
    }
  });
});

describe('preview route PNG', () => {
  it('is two colours at 1 bit', async () => {
    const response = await app().request(previewPath({ data: 'https://example.com', size: '1000' }));
    const bytes = Buffer.from(await response.arrayBuffer());
    const image = PNG.sync.read(bytes);
    const modules = encodeQr('https://example.com', { level: 'M' }).size + 8;

    expect(response.headers.get('content-type')).toBe('image/png');
    expect(bytes[24]).toBe(1);
    expect(bytes[25]).toBe(0);
    expect(image.width % modules).toBe(0);
    expect(image.width).toBeLessThanOrEqual(1000);
    expect(image.width).toBeGreaterThan(1000 - modules);
    expect(bytes.length).toBeLessThan(5000);
    const colours = new Set<number>();
    for (let i = 0; i < image.data.length; i += 4) colours.add(image.data.readUInt32BE(i));
    expect([...colours].sort()).toEqual([0x000000ff, 0xffffffff]);
  });

  it('keeps four light modules around', async () => {
    const response = await app().request(previewPath({ data: 'quiet zone', scale: '3' }));
    const image = PNG.sync.read(Buffer.from(await response.arrayBuffer()));
    const border = 4 * 3;

    for (let y = 0; y < image.height; y++) {
      for (let x = 0; x < image.width; x++) {
        const inBorder = x < border || y < border || x >= image.width - border || y >= image.height - border;
        if (inBorder) expect(image.data[(y * image.width + x) * 4], `pixel ${x},${y}`).toBe(255);
      }
    }
  });

  it('paints colours from a palette', async () => {
    const response = await app().request(
      previewPath({ data: 'colours', dark: '#1a237e', light: '#fff8e1', scale: '4' }),
    );
    const bytes = Buffer.from(await response.arrayBuffer());
    const image = PNG.sync.read(bytes);

    expect(bytes[25]).toBe(3);
    expect([image.data[0], image.data[1], image.data[2]]).toEqual([0xff, 0xf8, 0xe1]);
    await expectDecodes(bytes, 'colours', 'palette');
  });

  it('leaves the background transparent on request', async () => {
    const response = await app().request(previewPath({ data: 'transparent', transparent: 'true', scale: '4' }));
    const image = PNG.sync.read(Buffer.from(await response.arrayBuffer()));

    expect(response.status).toBe(200);
    expect(image.data[3]).toBe(0);
  });

  it('caches by ETag', async () => {
    const path = previewPath({ data: 'cache me' });
    const first = await app().request(path);
    const eTag = first.headers.get('etag')!;
    const second = await app().request(path, { headers: { 'if-none-match': eTag } });

    expect(first.headers.get('cache-control')).toBe('public, max-age=86400, immutable');
    expect(first.headers.get('x-content-type-options')).toBe('nosniff');
    expect(eTag).toMatch(/^"[\w-]+"$/);
    expect(second.status).toBe(304);
  });
});

describe('preview route SVG', () => {
  it('is one filled crisp path', async () => {
    const response = await app().request(previewPath({ data: 'https://example.com/svg', format: 'svg' }));
    const body = await response.text();
    const modules = encodeQr('https://example.com/svg', { level: 'M' }).size;

    expect(response.headers.get('content-type')).toBe('image/svg+xml');
    expect(response.headers.get('content-security-policy')).toContain("default-src 'none'");
    expect(body.startsWith('<svg')).toBe(true);
    expect(body).toContain(`viewBox="0 0 ${modules + 8} ${modules + 8}"`);
    expect(body).toContain('shape-rendering="crispEdges"');
    expect(body.match(/<path /g)).toHaveLength(1);
    expect(body).not.toContain('stroke');
    // Only numbers and colours reach the SVG, never the encoded text.
    expect(body).not.toContain('example.com');
  });

  it('decodes at an odd size', async () => {
    const text = 'https://example.com/odd';
    const response = await app().request(previewPath({ data: text, format: 'svg' }));

    await expectDecodes(await rasterize(await response.text(), 123), text, 'svg at 123 px');
  });
});

describe('preview route rejects', () => {
  const cases: [string, Record<string, string>, string, string][] = [
    ['unknown format', { data: 'x', format: 'gif' }, 'invalid_format', '"png" or "svg"'],
    ['unknown level', { data: 'x', ecc: 'X' }, 'invalid_ecc', '"L", "M", "Q" or "H"'],
    ['fractional scale', { data: 'x', scale: '2.5' }, 'invalid_scale', 'whole number'],
    ['scale of one', { data: 'x', scale: '1' }, 'invalid_scale', 'from 2 to 64'],
    ['size and scale', { data: 'x', size: '300', scale: '4' }, 'invalid_scale', 'not both'],
    ['size too small', { data: 'x', size: '40' }, 'invalid_size', 'at least 58 pixels'],
    ['huge size', { data: 'x', size: '100000' }, 'invalid_size', 'at most 4096'],
    ['huge margin', { data: 'x', margin: '99' }, 'invalid_margin', 'at most 16'],
    ['bad colour', { data: 'x', dark: 'red' }, 'invalid_dark', 'hex colour'],
    ['low contrast', { data: 'x', dark: '#777777', light: '#999999' }, 'invalid_colors', 'at least 3:1'],
    ['inverted colours', { data: 'x', dark: '#ffffff', light: '#000000' }, 'invalid_colors', 'allowInverted'],
    ['unrequested transparency', { data: 'x', light: '#ffffff00' }, 'invalid_colors', 'transparent'],
    ['unknown eci', { data: 'x', eci: 'on' }, 'invalid_eci', '"auto" or "off"'],
    ['empty data', { data: '' }, 'invalid_data', 'empty'],
    ['missing data', { format: 'png' }, 'missing_field', 'data'],
    ['unknown parameter', { data: 'x', colour: 'red' }, 'unknown_field', 'colour'],
    ['data over capacity', { data: 'x'.repeat(2332) }, 'data_too_long', 'at most 2331 bytes'],
    ['data over capacity at H', { data: 'x'.repeat(1274), ecc: 'H' }, 'data_too_long', 'at most 1273 bytes'],
  ];

  for (const [name, parameters, code, mentions] of cases) {
    it(`rejects ${name}`, async () => {
      const response = await app().request(previewPath(parameters));
      const body = (await response.json()) as { error: { code: string; message: string } };

      expect(response.status).toBe(400);
      expect(body.error.code).toBe(code);
      expect(body.error.message).toContain(mentions);
    });
  }

  it('allows inverted colours on request', async () => {
    const text = 'inverted';
    const response = await app().request(
      previewPath({ data: text, dark: '#ffffff', light: '#000000', allowInverted: 'true', scale: '4' }),
    );
    const zxing = await decodeQrImage(new Uint8Array(await response.arrayBuffer()));

    expect(response.status).toBe(200);
    expect(zxing.map((bytes) => Buffer.from(bytes).toString())).toEqual([text]);
  });
});

describe('POST /images/qrcode options', () => {
  it('stores an SVG beside the PNG', async () => {
    const { app: service, store } = createFixture();
    const response = await service.request('/images/qrcode', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ url: 'https://example.com/svg', email: 'a@example.com', format: 'svg', ecc: 'Q' }),
    });
    const body = (await response.json()) as { id: string; svgUrl: string };
    const svg = await service.request(`/images/qrcode/${body.id}.svg`);

    expect(response.status).toBe(202);
    expect(body.svgUrl).toBe(`https://qr.example.com/images/qrcode/${body.id}.svg`);
    expect(svg.headers.get('content-type')).toBe('image/svg+xml');
    expect((await store.get(`qrcodes/${body.id}.svg`))?.contentType).toBe('image/svg+xml');
    await expectDecodes(await rasterize(await svg.text(), 300), 'https://example.com/svg', 'stored svg');
  });

  it('rejects a code the decoder misreads', async () => {
    const real = new ZxingVerifier();
    // A decoder that reads one byte differently stands for a design that scans wrong.
    const misreading: QrVerifier = {
      decode: async (image) =>
        (await real.decode(image)).map((bytes) => Uint8Array.from(bytes, (byte, i) => (i === 0 ? byte ^ 1 : byte))),
    };
    const { app: service, queue } = createFixture(misreading);

    const response = await service.request('/images/qrcode', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ url: 'https://example.com/misread', email: 'a@example.com' }),
    });
    const body = (await response.json()) as { error: { code: string; message: string } };

    expect(response.status).toBe(422);
    expect(body.error.code).toBe('unscannable_code');
    expect(queue.counts().pending).toBe(0);
  });
});
