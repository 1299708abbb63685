import { SESv2Client } from '@aws-sdk/client-sesv2';
import { simpleParser, type ParsedMail } from 'mailparser';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { SesTransport } from '../../src/adapters/ses/index.js';
import { SendError } from '../../src/core/errors.js';
import { composeReadyMail } from '../../src/mail/compose.js';
import { encodeMatrix, renderPng } from '../../src/qr/index.js';
import { startAwsApiStandIn, type AwsApiStandIn, type RecordedCall } from '../support/aws/api-stand-in.js';
import { decodeQrText } from '../support/qr-decoder.js';

const REQUEST_ID = '5d8e2f1a-7b3c-4d9e-a0f1-2b3c4d5e6f70';
const URL = 'https://example.com/café/ação?x=1&y=%2B2';
const RECIPIENT = 'someone@example.com';
const PNG = renderPng(encodeMatrix(URL, 'M'));
const MESSAGE = composeReadyMail({
  requestId: REQUEST_ID,
  url: URL,
  to: RECIPIENT,
  from: 'qrmail <qrmail@example.com>',
  png: PNG,
});

let standIn: AwsApiStandIn;
let cleanups: (() => Promise<void> | void)[];

beforeEach(async () => {
  standIn = await startAwsApiStandIn();
  cleanups = [];
});

afterEach(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
  await standIn.close();
});

/** Creates a transport over a new SES v2 client aimed at the stand-in. */
function createTransport(options: { configurationSetName?: string } = {}): SesTransport {
  const client = new SESv2Client({
    endpoint: standIn.endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    // One attempt, so a forced throttling or server error returns at once instead of after the
    // SDK's retries with backoff.
    maxAttempts: 1,
  });
  const transport = new SesTransport({ client, ...options });
  cleanups.push(() => client.destroy());
  cleanups.push(() => transport.close());
  return transport;
}

function sendEmailCalls(): RecordedCall[] {
  return standIn.calls.filter((call) => call.operation === 'sesv2.SendEmail');
}

/** Decodes the base64 raw message of a recorded SendEmail call. */
function rawMessageOf(call: RecordedCall): Buffer {
  const content = call.body.Content as { Raw?: { Data?: string } } | undefined;
  return Buffer.from(content?.Raw?.Data ?? '', 'base64');
}

/** Sends MESSAGE and returns the SendError it raises. Throws when the send succeeds or raises another error. */
async function sendError(transport: SesTransport): Promise<SendError> {
  try {
    await transport.send(MESSAGE);
  } catch (error) {
    if (error instanceof SendError) return error;
    throw error;
  }
  throw new Error('expected the send to fail');
}

describe('SesTransport send', () => {
  let receipt: { messageId: string; destination: string };
  let call: RecordedCall;
  let mail: ParsedMail;

  beforeEach(async () => {
    receipt = await createTransport().send(MESSAGE);
    call = sendEmailCalls()[0]!;
    mail = await simpleParser(rawMessageOf(call), { keepCidLinks: true });
  });

  it('calls SendEmail once', () => {
    expect(sendEmailCalls()).toHaveLength(1);
  });

  it('returns the SES message id', () => {
    expect(receipt.messageId).toMatch(/^<0100[0-9a-f]{32}-000000@email\.amazonses\.com>$/);
    expect(receipt.destination).toBe('Amazon SES');
  });

  it('sends Content.Raw only', () => {
    expect(Object.keys(call.body.Content as object)).toEqual(['Raw']);
    expect(rawMessageOf(call).toString('latin1')).toContain('Content-Type: multipart/');
  });

  it('addresses the one recipient', () => {
    expect(call.body.Destination).toEqual({ ToAddresses: [RECIPIENT] });
    expect(call.body.FromEmailAddress).toBe('qrmail <qrmail@example.com>');
  });

  it('omits the configuration set', () => {
    expect(call.body).not.toHaveProperty('ConfigurationSetName');
  });

  it('parsed headers match message', () => {
    expect(mail.to).toMatchObject({ value: [{ address: RECIPIENT }] });
    expect(mail.from).toMatchObject({ value: [{ address: 'qrmail@example.com', name: 'qrmail' }] });
    expect(mail.subject).toBe(MESSAGE.subject);
    expect(mail.headers.get('x-qrmail-request-id')).toBe(REQUEST_ID);
  });

  it('parsed text contains URL', () => {
    expect(mail.text).toContain(URL);
  });

  it('parsed HTML shows inline image', () => {
    const inline = mail.attachments.find((attachment) => attachment.contentDisposition === 'inline');

    expect(inline?.cid).toBe(`qrcode-${REQUEST_ID}@qrmail`);
    expect(mail.html).toContain(`cid:qrcode-${REQUEST_ID}@qrmail`);
  });

  it('parsed attachments are PNGs', () => {
    expect(mail.attachments.map((attachment) => attachment.contentType)).toEqual(['image/png', 'image/png']);
    expect(mail.attachments.map((attachment) => attachment.contentDisposition).sort()).toEqual([
      'attachment',
      'inline',
    ]);
    for (const attachment of mail.attachments) expect(attachment.content.equals(PNG)).toBe(true);
  });

  it('inline image decodes to URL', async () => {
    const inline = mail.attachments.find((attachment) => attachment.contentDisposition === 'inline');

    expect(await decodeQrText(inline!.content)).toBe(URL);
  });
});

describe('SesTransport configuration set', () => {
  it('passes the configuration set', async () => {
    await createTransport({ configurationSetName: 'qrmail-events' }).send(MESSAGE);

    expect(sendEmailCalls()).toHaveLength(1);
    expect(sendEmailCalls()[0]!.body.ConfigurationSetName).toBe('qrmail-events');
  });
});

describe('SesTransport error classification', () => {
  const cases: { name: string; status: number; kind: SendError['kind'] }[] = [
    { name: 'TooManyRequestsException', status: 429, kind: 'transient' },
    { name: 'InternalFailure', status: 500, kind: 'transient' },
    // A name the transport does not list: the 5xx status alone makes it transient.
    { name: 'InternalServerError', status: 500, kind: 'transient' },
    { name: 'ServiceUnavailable', status: 503, kind: 'transient' },
    { name: 'MessageRejected', status: 400, kind: 'permanent' },
    { name: 'BadRequestException', status: 400, kind: 'permanent' },
    // SES v2 returns 400 for these, so their names decide the kind.
    { name: 'AccountSuspendedException', status: 400, kind: 'configuration' },
    { name: 'SendingPausedException', status: 400, kind: 'configuration' },
    { name: 'MailFromDomainNotVerifiedException', status: 400, kind: 'configuration' },
    { name: 'AccessDeniedException', status: 403, kind: 'configuration' },
  ];

  for (const { name, status, kind } of cases) {
    it(`maps ${name} ${status} to ${kind}`, async () => {
      standIn.errors.set('sesv2.SendEmail', { name, status, message: `Forced ${name} for the test` });

      const error = await sendError(createTransport());

      expect(error.kind).toBe(kind);
      expect(error.message).toContain(name);
      expect(sendEmailCalls()).toHaveLength(1);
    });
  }
});
