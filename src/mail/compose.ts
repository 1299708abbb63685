import type { OutgoingMessage } from '../core/ports.js';
import { READY_SUBJECT, renderReadyHtml, renderReadyText } from './template.js';

/** Input of a "your QR code is ready" email. */
export interface ReadyMailInput {
  requestId: string;
  url: string;
  to: string;
  from: string;
  png: Uint8Array;
  /** The code as SVG, attached as well when the request asked for that format. */
  svg?: Uint8Array;
}

/**
 * Composes the "ready" email: HTML and text alternatives, the code shown inline through a
 * Content-ID, and the same PNG attached as a file with an ASCII name.
 */
export function composeReadyMail(input: ReadyMailInput): OutgoingMessage {
  const imageCid = `qrcode-${input.requestId}@qrmail`;
  const content = { url: input.url, imageCid, imageSize: inlineImageSize(input.png), requestId: input.requestId };

  return {
    from: input.from,
    to: input.to,
    subject: READY_SUBJECT,
    html: renderReadyHtml(content),
    text: renderReadyText(content),
    attachments: [
      { filename: 'qrcode.png', contentType: 'image/png', content: input.png, cid: imageCid, disposition: 'inline' },
      {
        filename: `qrcode-${input.requestId}.png`,
        contentType: 'image/png',
        content: input.png,
        disposition: 'attachment',
      },
      ...(input.svg === undefined
        ? []
        : [
            {
              filename: `qrcode-${input.requestId}.svg`,
              contentType: 'image/svg+xml',
              content: input.svg,
              disposition: 'attachment' as const,
            },
          ]),
    ],
    headers: { 'X-Qrmail-Request-Id': input.requestId },
  };
}

/** Narrowest and widest the HTML body shows the code: 552 CSS pixels fill its 600-pixel card. */
const INLINE_MIN = 240;
const INLINE_MAX = 552;

/**
 * Returns the width, in CSS pixels, at which the HTML body shows a PNG code: 0.3 of its pixel width,
 * within 240 to 552. At qrmail's default of 10 pixels a module that is 3 CSS pixels a module. A long
 * URL's code shown at a fixed 240 pixels has modules too small to scan.
 */
export function inlineImageSize(png: Uint8Array): number {
  const width = pngWidth(png);
  if (width === undefined) return INLINE_MIN;
  return Math.min(INLINE_MAX, Math.max(INLINE_MIN, Math.round(width * 0.3)));
}

/** Reads the width from a PNG's IHDR chunk, which follows the 8-byte signature. */
function pngWidth(png: Uint8Array): number | undefined {
  if (png.length < 24) return undefined;
  const view = new DataView(png.buffer, png.byteOffset, png.byteLength);
  const ihdr = String.fromCharCode(png[12]!, png[13]!, png[14]!, png[15]!);
  return ihdr === 'IHDR' ? view.getUint32(16) : undefined;
}
