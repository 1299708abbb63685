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
  const content = { url: input.url, imageCid, requestId: input.requestId };

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
