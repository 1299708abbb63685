import type { SendMailOptions } from 'nodemailer';

import type { OutgoingMessage } from '../core/ports.js';

/** Converts a composed message to nodemailer's message options, shared by every nodemailer transport. */
export function toNodemailerMessage(message: OutgoingMessage): SendMailOptions {
  return {
    from: message.from,
    to: message.to,
    subject: message.subject,
    html: message.html,
    text: message.text,
    headers: message.headers,
    // The envelope names the one recipient, so no header can add another.
    envelope: { from: addressOf(message.from), to: [message.to] },
    attachments: message.attachments.map((attachment) => ({
      filename: attachment.filename,
      contentType: attachment.contentType,
      content: Buffer.from(attachment.content.buffer, attachment.content.byteOffset, attachment.content.byteLength),
      contentDisposition: attachment.disposition,
      ...(attachment.cid === undefined ? {} : { cid: attachment.cid }),
    })),
  };
}

/** Extracts the bare address of a From value such as `qrmail <qrmail@example.com>`. */
function addressOf(from: string): string {
  const match = /<([^<>]+)>\s*$/.exec(from);
  return match ? match[1]! : from.trim();
}
