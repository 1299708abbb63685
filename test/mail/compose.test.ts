import sharp from 'sharp';
import { describe, expect, it } from 'vitest';

import { composeReadyMail, inlineImageSize } from '../../src/mail/compose.js';
import { encodeMatrix, renderPng } from '../../src/qr/index.js';
import { decodeQrText } from '../support/qr-decoder.js';

const REQUEST_ID = '3f2504e0-4f89-41d3-9a0c-0305e82c3301';
const HOSTILE_URL = `https://example.com/?q=<script>alert("x")</script>&name='a'`;

function compose(url: string) {
  return composeReadyMail({
    requestId: REQUEST_ID,
    url,
    to: 'someone@example.com',
    from: 'qrmail <qrmail@example.com>',
    png: renderPng(encodeMatrix(url, 'M')),
  });
}

describe('composeReadyMail', () => {
  const message = compose(HOSTILE_URL);
  const inline = message.attachments.find((attachment) => attachment.disposition === 'inline');
  const attached = message.attachments.find((attachment) => attachment.disposition === 'attachment');

  it('composeReadyMail has two PNGs', () => {
    expect(message.attachments).toHaveLength(2);
    expect(message.attachments.map((attachment) => attachment.contentType)).toEqual(['image/png', 'image/png']);
  });

  it('composeReadyMail ASCII PNG file names', () => {
    for (const attachment of message.attachments) expect(attachment.filename).toMatch(/^[\x21-\x7e]+\.png$/);
  });

  it('composeReadyMail attachments carry the PNG', () => {
    const png = renderPng(encodeMatrix(HOSTILE_URL, 'M'));

    expect(Buffer.from(inline!.content).equals(png)).toBe(true);
    expect(Buffer.from(attached!.content).equals(png)).toBe(true);
  });

  it('composeReadyMail inline cid in HTML', () => {
    expect(inline?.cid).toBeTruthy();
    expect(message.html).toContain(`src="cid:${inline!.cid}"`);
  });

  it('composeReadyMail file attachment has no cid', () => {
    expect(attached).toBeDefined();
    expect(attached!.cid).toBeUndefined();
  });

  it('composeReadyMail escapes hostile URL', () => {
    const escaped = 'https://example.com/?q=&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&amp;name=&#39;a&#39;';

    expect(message.html).toContain(`href="${escaped}"`);
    expect(message.html).toContain(`>${escaped}</a>`);
  });

  it('composeReadyMail HTML lacks raw URL', () => {
    expect(message.html).not.toContain(HOSTILE_URL);
    expect(message.html).not.toContain('<script>');
  });

  it('composeReadyMail text has URL verbatim', () => {
    expect(message.text).toContain(HOSTILE_URL);
  });

  it('composeReadyMail addresses and subject', () => {
    expect(message.to).toBe('someone@example.com');
    expect(message.from).toBe('qrmail <qrmail@example.com>');
    expect(message.subject).toBe('Your QR code is ready');
  });

  it('composeReadyMail request id header', () => {
    expect(message.headers['X-Qrmail-Request-Id']).toBe(REQUEST_ID);
  });

  it('composeReadyMail reserved URL kept in text', () => {
    const url = 'https://example.com/a%20b/c+d?x=1&y=%2B2#frag';
    const reserved = compose(url);

    expect(reserved.text).toContain(url);
    expect(reserved.html).toContain('https://example.com/a%20b/c+d?x=1&amp;y=%2B2#frag');
  });
});

describe('inlineImageSize', () => {
  /** Returns an ASCII URL of `bytes` bytes. */
  const urlOf = (bytes: number) => `https://example.com/${'a'.repeat(bytes - 20)}`;

  it('inlineImageSize keeps a short URL at 240', () => {
    expect(inlineImageSize(renderPng(encodeMatrix(urlOf(40), 'M')))).toBe(240);
  });

  it('inlineImageSize widens a long URL', () => {
    expect(inlineImageSize(renderPng(encodeMatrix(urlOf(1500), 'M')))).toBeGreaterThan(400);
  });

  it('inlineImageSize stays within the card', () => {
    expect(inlineImageSize(renderPng(encodeMatrix(urlOf(2300), 'M')))).toBe(552);
  });

  it('inlineImageSize falls back for non-PNG bytes', () => {
    expect(inlineImageSize(new Uint8Array(40))).toBe(240);
  });

  // The HTML sets image-rendering: pixelated, so the code is scaled nearest-neighbour here.
  for (const bytes of [40, 300, 800, 1500, 1950]) {
    it(`inline code of a ${bytes}-byte URL scans at its shown size`, async () => {
      const url = urlOf(bytes);
      const png = renderPng(encodeMatrix(url, 'M'));
      const size = inlineImageSize(png);
      const scaled = await sharp(png).resize(size, size, { kernel: 'nearest' }).png().toBuffer();

      expect(await decodeQrText(new Uint8Array(scaled))).toBe(url);
    });
  }
});
