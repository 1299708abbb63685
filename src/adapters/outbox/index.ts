import { mkdir, open, rename } from 'node:fs/promises';
import { join } from 'node:path';

import nodemailer, { type Transporter } from 'nodemailer';

import type { MailTransport, OutgoingMessage, SendReceipt } from '../../core/ports.js';
import { toNodemailerMessage } from '../../mail/nodemailer.js';

/**
 * Writes each message as an RFC 5322 `.eml` file (CRLF line endings) in a folder, so qrmail
 * works with no mail server. Any mail client opens these files.
 */
export class OutboxTransport implements MailTransport {
  readonly destination: string;
  private readonly folder: string;
  private readonly composer: Transporter;

  constructor(options: { folder: string }) {
    this.folder = options.folder;
    this.destination = `outbox folder ${options.folder}`;
    this.composer = nodemailer.createTransport({ streamTransport: true, buffer: true, newline: 'windows' });
  }

  async send(message: OutgoingMessage): Promise<SendReceipt> {
    const info = (await this.composer.sendMail(toNodemailerMessage(message))) as { messageId: string; message: Buffer };

    await mkdir(this.folder, { recursive: true });
    const requestId = message.headers['X-Qrmail-Request-Id'] ?? 'message';
    const name = `${new Date().toISOString().replace(/[:.]/g, '-')}-${requestId.replace(/[^A-Za-z0-9-]/g, '_')}.eml`;
    const path = join(this.folder, name);

    const temporary = `${path}.tmp`;
    const file = await open(temporary, 'w', 0o600);
    try {
      await file.writeFile(info.message);
      await file.sync();
    } finally {
      await file.close();
    }
    await rename(temporary, path);

    return { messageId: info.messageId, destination: path };
  }

  async close(): Promise<void> {
    this.composer.close();
  }
}
