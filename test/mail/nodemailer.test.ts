import { simpleParser, type ParsedMail } from 'mailparser';
import { createTransport } from 'nodemailer';
import { beforeAll, describe, expect, it } from 'vitest';

import { composeReadyMail } from '../../src/mail/compose.js';
import { toNodemailerMessage } from '../../src/mail/nodemailer.js';
import { encodeMatrix, renderPng } from '../../src/qr/index.js';
import { decodeQrText } from '../support/qr-decoder.js';

const REQUEST_ID = '3f2504e0-4f89-41d3-9a0c-0305e82c3301';
const URL_WITH_RESERVED_CHARACTERS = 'https://example.com/a%20b/c+d?x=1&y=%2B2#frag&q=<b>"Zürich"';

/** Renders the message with nodemailer's stream transport, which builds the raw RFC 5322 message without sending. */
async function renderRaw(png: Uint8Array): Promise<{ raw: Buffer; envelope: { from: string; to: string[] } }> {
  const message = composeReadyMail({
    requestId: REQUEST_ID,
    url: URL_WITH_RESERVED_CHARACTERS,
    to: 'someone@example.com',
    from: 'qrmail <qrmail@example.com>',
    png,
  });
  const transport = createTransport({ streamTransport: true, buffer: true, newline: 'windows' });
  const info = await transport.sendMail(toNodemailerMessage(message));
  return { raw: info.message as Buffer, envelope: info.envelope as { from: string; to: string[] } };
}

function contentTypes(raw: Buffer): string[] {
  return [...raw.toString('latin1').matchAll(/^Content-Type: ([^;\r\n]+)/gim)].map((match) => match[1]!.toLowerCase());
}

describe('toNodemailerMessage', () => {
  const png = renderPng(encodeMatrix(URL_WITH_RESERVED_CHARACTERS, 'M'));
  let raw: Buffer;
  let envelope: { from: string; to: string[] };
  let mail: ParsedMail;

  beforeAll(async () => {
    ({ raw, envelope } = await renderRaw(png));
    mail = await simpleParser(raw, { keepCidLinks: true });
  });

  it('raw message uses CRLF only', () => {
    expect(raw.toString('latin1')).not.toMatch(/[^\r]\n/);
  });

  it('raw message is multipart/alternative', () => {
    expect(contentTypes(raw)).toContain('multipart/alternative');
  });

  it('raw message has text and HTML', () => {
    expect(contentTypes(raw)).toContain('text/plain');
    expect(contentTypes(raw)).toContain('text/html');
  });

  it('parsed text contains URL', () => {
    expect(mail.text).toContain(URL_WITH_RESERVED_CHARACTERS);
  });

  it('parsed HTML escapes URL', () => {
    expect(mail.html).toBeTypeOf('string');
    expect(mail.html).toContain('a%20b/c+d?x=1&amp;y=%2B2#frag&amp;q=&lt;b&gt;&quot;Zürich&quot;');
    expect(mail.html).not.toContain(URL_WITH_RESERVED_CHARACTERS);
  });

  it('parsed attachments are PNGs', () => {
    expect(mail.attachments).toHaveLength(2);
    expect(mail.attachments.map((attachment) => attachment.contentType)).toEqual(['image/png', 'image/png']);
  });

  it('parsed attachments keep bytes', () => {
    for (const attachment of mail.attachments) expect(attachment.content.equals(png)).toBe(true);
  });

  it('parsed attachments decode to URL', async () => {
    for (const attachment of mail.attachments) {
      expect(await decodeQrText(attachment.content)).toBe(URL_WITH_RESERVED_CHARACTERS);
    }
  });

  it('parsed inline cid in HTML', () => {
    const inline = mail.attachments.find((attachment) => attachment.contentDisposition === 'inline');

    expect(inline?.cid).toBe(`qrcode-${REQUEST_ID}@qrmail`);
    expect(mail.html).toContain(`src="cid:${inline!.cid}"`);
  });

  it('parsed file attachment name', () => {
    const attached = mail.attachments.find((attachment) => attachment.contentDisposition === 'attachment');

    expect(attached?.filename).toBe(`qrcode-${REQUEST_ID}.png`);
  });

  it('parsed request id header', () => {
    expect(mail.headers.get('x-qrmail-request-id')).toBe(REQUEST_ID);
  });

  it('parsed subject and addresses', () => {
    expect(mail.subject).toBe('Your QR code is ready');
    expect(mail.from?.value[0]?.address).toBe('qrmail@example.com');
    expect(mail.from?.value[0]?.name).toBe('qrmail');
  });

  it('envelope uses bare addresses', () => {
    expect(envelope.from).toBe('qrmail@example.com');
    expect(envelope.to).toEqual(['someone@example.com']);
  });

  it('toNodemailerMessage copies only the view', () => {
    // A Uint8Array may be a window on a larger buffer, as Buffer pool slices are.
    const backing = new Uint8Array(png.length + 16).fill(0xaa);
    backing.set(png, 8);
    const view = backing.subarray(8, 8 + png.length);
    const message = composeReadyMail({
      requestId: REQUEST_ID,
      url: 'https://example.com',
      to: 'someone@example.com',
      from: 'qrmail@example.com',
      png: view,
    });

    const options = toNodemailerMessage(message);
    const contents = (options.attachments ?? []).map((attachment) => attachment.content as Buffer);

    expect(contents).toHaveLength(2);
    for (const content of contents) expect(content.equals(png)).toBe(true);
  });
});
