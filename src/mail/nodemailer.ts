import type { SendMailOptions } from 'nodemailer';
import MailComposer from 'nodemailer/lib/mail-composer/index.js';

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

/** A message built to its final bytes, ready for a transport's `raw` option. */
export interface RawMessage {
  envelope: { from: string; to: string[] };
  raw: Buffer;
  messageId: string;
}

/**
 * Builds the whole message into one buffer with nodemailer's MailComposer, the same builder that
 * `sendMail` uses. A transport given the buffer writes it to the socket in a few large writes,
 * where a message built while it is sent goes out in many small ones.
 */
export async function buildRawMessage(message: OutgoingMessage): Promise<RawMessage> {
  const options = toNodemailerMessage(message);
  const node = new MailComposer(options).compile();
  const raw = await node.build();
  return { envelope: options.envelope as RawMessage['envelope'], raw, messageId: node.messageId() };
}

/** Extracts the bare address of a From value such as `qrmail <qrmail@example.com>`. */
function addressOf(from: string): string {
  const match = /<([^<>]+)>\s*$/.exec(from);
  return match ? match[1]! : from.trim();
}
