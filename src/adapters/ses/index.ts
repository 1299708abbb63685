import { SendEmailCommand, type SESv2Client } from '@aws-sdk/client-sesv2';
import nodemailer, { type Transporter } from 'nodemailer';

import { SendError } from '../../core/errors.js';
import type { MailTransport, OutgoingMessage, SendReceipt } from '../../core/ports.js';
import { toNodemailerMessage } from '../../mail/nodemailer.js';

/** Errors of the SES v2 API that retrying can fix: throttling and service faults. */
const TRANSIENT_ERRORS = new Set([
  'TooManyRequestsException',
  'ThrottlingException',
  'LimitExceededException',
  'InternalFailure',
  'ServiceUnavailable',
  'RequestTimeout',
  'TimeoutError',
]);

/** Errors that mean the account or identity is not set up to send, which an operator must fix. */
const CONFIGURATION_ERRORS = new Set([
  'AccountSuspendedException',
  'SendingPausedException',
  'MailFromDomainNotVerifiedException',
  'NotFoundException',
  'AccessDeniedException',
  'UnrecognizedClientException',
  'InvalidSignatureException',
]);

/**
 * Sends through Amazon SES (API v2) with nodemailer's SES transport, which composes the same
 * raw MIME message as the SMTP path and hands it to `SendEmail`.
 */
export class SesTransport implements MailTransport {
  readonly destination: string;
  private readonly transporter: Transporter;
  private readonly configurationSetName: string | undefined;

  constructor(options: { client: SESv2Client; configurationSetName?: string }) {
    this.destination = 'Amazon SES';
    this.transporter = nodemailer.createTransport({ SES: { sesClient: options.client, SendEmailCommand } });
    this.configurationSetName = options.configurationSetName;
  }

  async send(message: OutgoingMessage): Promise<SendReceipt> {
    const options = toNodemailerMessage(message);
    if (this.configurationSetName) options.ses = { ConfigurationSetName: this.configurationSetName };
    try {
      const info = (await this.transporter.sendMail(options)) as { messageId: string };
      return { messageId: info.messageId, destination: this.destination };
    } catch (error) {
      throw classify(error);
    }
  }

  async close(): Promise<void> {
    this.transporter.close();
  }
}

function classify(error: unknown): SendError {
  const details = error as { name?: string; message?: string; $metadata?: { httpStatusCode?: number } };
  const name = details.name ?? 'Error';
  const status = details.$metadata?.httpStatusCode;
  const message = `SES SendEmail failed: ${name}: ${details.message ?? String(error)}`;

  if (CONFIGURATION_ERRORS.has(name) || status === 403)
    return new SendError('configuration', message, { cause: error });
  if (TRANSIENT_ERRORS.has(name) || (status !== undefined && status >= 500) || status === 429) {
    return new SendError('transient', message, { cause: error });
  }
  if (status !== undefined && status >= 400) return new SendError('permanent', message, { cause: error });
  return new SendError('transient', message, { cause: error });
}
