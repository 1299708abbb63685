import { mkdir, open, rename } from 'node:fs/promises';
import { join } from 'node:path';

import type { MailTransport, OutgoingMessage, SendReceipt } from '../../core/ports.js';
import { buildRawMessage } from '../../mail/nodemailer.js';

/**
 * Writes each message as an RFC 5322 `.eml` file (CRLF line endings) in a folder, so qrmail
 * works with no mail server. Any mail client opens these files.
 */
export class OutboxTransport implements MailTransport {
  readonly destination: string;
  private readonly folder: string;
  private folderCreated = false;

  constructor(options: { folder: string }) {
    this.folder = options.folder;
    this.destination = `outbox folder ${options.folder}`;
  }

  async send(message: OutgoingMessage): Promise<SendReceipt> {
    // The built message ends its lines with CRLF, as an RFC 5322 .eml file does.
    const built = buildRawMessage(message);

    if (!this.folderCreated) {
      await mkdir(this.folder, { recursive: true });
      this.folderCreated = true;
    }
    const requestId = message.headers['X-Qrmail-Request-Id'] ?? 'message';
    const name = `${new Date().toISOString().replace(/[:.]/g, '-')}-${requestId.replace(/[^A-Za-z0-9-]/g, '_')}.eml`;
    const path = join(this.folder, name);

    const temporary = `${path}.tmp`;
    const file = await open(temporary, 'w', 0o600);
    try {
      await file.writeFile(built.raw);
      await file.sync();
    } finally {
      await file.close();
    }
    await rename(temporary, path);

    return { messageId: built.messageId, destination: path };
  }

  async close(): Promise<void> {}
}
