import { simpleParser, type ParsedMail } from 'mailparser';
import { createTransport } from 'nodemailer';
import MailComposer from 'nodemailer/lib/mail-composer/index.js';
import { beforeAll, describe, expect, it } from 'vitest';

import { composeReadyMail } from '../../src/mail/compose.js';
import type { OutgoingMessage } from '../../src/core/ports.js';
import { buildRawMessage, toNodemailerMessage } from '../../src/mail/nodemailer.js';
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

describe('buildRawMessage', () => {
  const png = renderPng(encodeMatrix(URL_WITH_RESERVED_CHARACTERS, 'M'));
  const svg = new TextEncoder().encode('<svg xmlns="http://www.w3.org/2000/svg"/>');
  const ready = (to: string, from: string, url: string, withSvg = false): OutgoingMessage =>
    composeReadyMail({ requestId: REQUEST_ID, url, to, from, png, ...(withSvg ? { svg } : {}) });

  const cases: [string, OutgoingMessage][] = [
    ['the ready email', ready('someone@example.com', 'qrmail <qrmail@example.com>', URL_WITH_RESERVED_CHARACTERS)],
    ['an SVG attachment', ready('someone@example.com', 'qrmail@example.com', 'https://example.com/', true)],
    ['a non-ASCII sender name', ready('someone@example.com', 'Bücher, Café "QR" <qr@example.com>', 'https://e.com/')],
    [
      'an internationalized domain',
      ready('someone@bücher.example', 'qrmail <qrmail@bücher.example>', 'https://e.com/'),
    ],
    [
      'a long URL',
      ready('a@example.com', 'q@example.com', `https://example.com/${'é'.repeat(300)}?${'x'.repeat(900)}`),
    ],
    [
      'text that looks like SMTP',
      {
        ...ready('a@example.com', 'q@example.com', 'https://e.com/'),
        subject: 'Ready ✓ — naïve',
        text: '.\r\n.line\nfrom here  \nend\t\n',
        html: '<p>\n.\n</p>  \n',
      },
    ],
  ];

  /** Parses what MailComposer, the builder behind nodemailer's sendMail, makes of the same message. */
  async function composerParse(message: OutgoingMessage): Promise<ParsedMail> {
    const raw = await new MailComposer(toNodemailerMessage(message)).compile().build();
    return simpleParser(raw, { keepCidLinks: true });
  }

  /** Returns the fields that mailparser reports for a message. */
  function seen(mail: ParsedMail) {
    return {
      from: mail.from?.value,
      to: Array.isArray(mail.to) ? mail.to.map((to) => to.value) : mail.to?.value,
      subject: mail.subject,
      text: mail.text,
      html: mail.html,
      requestId: mail.headers.get('x-qrmail-request-id'),
      attachments: mail.attachments.map((attachment) => ({
        filename: attachment.filename,
        contentType: attachment.contentType,
        disposition: attachment.contentDisposition,
        cid: attachment.cid,
        content: attachment.content.toString('base64'),
      })),
    };
  }

  for (const [name, message] of cases) {
    it(`buildRawMessage reads as MailComposer: ${name}`, async () => {
      const mail = await simpleParser(buildRawMessage(message).raw, { keepCidLinks: true });

      expect(seen(mail)).toEqual(seen(await composerParse(message)));
    });

    it(`buildRawMessage envelope as MailComposer: ${name}`, () => {
      const composed = new MailComposer(toNodemailerMessage(message)).compile();

      expect(buildRawMessage(message).envelope).toEqual(composed.getEnvelope());
    });

    it(`buildRawMessage lines are short 7-bit CRLF: ${name}`, () => {
      const raw = buildRawMessage(message).raw.toString('latin1');
      const lines = raw.split('\r\n');

      expect(raw).not.toMatch(/\r(?!\n)|(?<!\r)\n/);
      expect(raw).toMatch(/^[\x00-\x7f]*$/);
      expect(Math.max(...lines.map((line) => line.length))).toBeLessThanOrEqual(78);
    });
  }

  it('buildRawMessage Message-ID matches its header', () => {
    const built = buildRawMessage(cases[0]![1]);

    expect(built.messageId).toMatch(/^<[^<>@]+@example\.com>$/);
    expect(built.raw.toString('latin1')).toContain(`\r\nMessage-ID: ${built.messageId}\r\n`);
  });

  it('buildRawMessage Message-IDs differ', () => {
    expect(buildRawMessage(cases[0]![1]).messageId).not.toBe(buildRawMessage(cases[0]![1]).messageId);
  });
});
