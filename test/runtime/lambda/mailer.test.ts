import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SQSClient } from '@aws-sdk/client-sqs';
import fc from 'fast-check';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';

import { DynamoDeliveryLedger, DynamoRequestRecords } from '../../../src/adapters/dynamodb/index.js';
import { S3ObjectStore } from '../../../src/adapters/s3-store/index.js';
import { AwsSecretStore } from '../../../src/adapters/secrets-aws/index.js';
import { SmtpTransport } from '../../../src/adapters/smtp/index.js';
import { newRequestId, qrObjectKey } from '../../../src/core/ids.js';
import { encodeQrMetadata } from '../../../src/core/metadata.js';
import { systemClock } from '../../../src/core/ports.js';
import { encodeMatrix, renderPng } from '../../../src/qr/index.js';
import { createMailerHandler, SqsDeadLetterSink } from '../../../src/runtime/lambda/mailer.js';
import { startAwsApiStandIn, type AwsApiStandIn } from '../../support/aws/api-stand-in.js';
import { startLocalDynamo, type LocalDynamo } from '../../support/aws/dynalite.js';
import { lambdaContext, s3NotificationBody, s3TestEventBody, sqsEvent } from '../../support/aws/events.js';
import { startLocalS3, type LocalS3 } from '../../support/aws/s3rver.js';
import { captureLogger, type CapturedLogger } from '../../support/log-capture.js';
import { decodeQrText } from '../../support/qr-decoder.js';
import { startTestSmtpServer, type FaultHook, type TestSmtpServer } from '../../support/smtp-server.js';

const SECRET_NAME = 'qrmail/dev/smtp';

let s3: LocalS3;
let dynamo: LocalDynamo;
let aws: AwsApiStandIn;
let smtp: TestSmtpServer;
let onRecipient: FaultHook | undefined;
let log: CapturedLogger;
let transport: SmtpTransport;
let handler: ReturnType<typeof createMailerHandler>;

const store = () => new S3ObjectStore({ client: s3.client, bucket: s3.bucket });
const records = () => new DynamoRequestRecords({ client: dynamo.documents, tableName: dynamo.tableName });
const awsClientConfig = () => ({
  endpoint: aws.endpoint,
  region: 'us-east-1',
  credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
});

beforeAll(async () => {
  s3 = await startLocalS3();
  dynamo = await startLocalDynamo();
  aws = await startAwsApiStandIn();
  smtp = await startTestSmtpServer({ implicitTls: true, onRecipient: (session, to) => onRecipient?.(session, to) });
});

afterAll(async () => {
  await smtp.close();
  await aws.close();
  await dynamo.close();
  await s3.close();
});

beforeEach(() => {
  onRecipient = undefined;
  smtp.messages.length = 0;
  aws.calls.length = 0;
  aws.secrets.set(SECRET_NAME, JSON.stringify({ username: smtp.username, password: smtp.password }));
  log = captureLogger();
  transport = new SmtpTransport({
    host: smtp.host,
    port: smtp.port,
    tls: 'implicit',
    secretName: SECRET_NAME,
    secrets: new AwsSecretStore({ client: new SecretsManagerClient(awsClientConfig()), maxAgeSeconds: 300 }),
    ca: smtp.ca,
    maxConnections: 2,
    maxMessagesPerSecond: 1000,
    timeoutSeconds: 5,
    logger: log.logger,
  });
  handler = createMailerHandler({
    deliver: {
      store: store(),
      records: records(),
      ledger: new DynamoDeliveryLedger({ client: dynamo.documents, tableName: dynamo.tableName }),
      transport,
      clock: systemClock,
      logger: log.logger,
      mailFrom: 'qrmail <qrmail@example.com>',
      maxAttempts: 3,
      leaseSeconds: 60,
    },
    deadLetters: new SqsDeadLetterSink({
      client: new SQSClient(awsClientConfig()),
      queueUrl: `${aws.endpoint}/111111111111/qrmail-dev-dead-letters`,
    }),
    logger: log.logger,
  });
});

afterEach(async () => {
  await transport.close();
});

/** Stores a QR code as the API would, under `key`, and returns the S3 notification body for it. */
async function storeCode(options: { key?: string; email?: string; metadata?: boolean } = {}) {
  const id = newRequestId();
  const key = options.key ?? qrObjectKey(id);
  const url = `https://example.com/codes/${id}`;
  await records().create({ id, objectKey: key, createdAt: new Date() });
  const { eTag } = await store().put({
    key,
    body: renderPng(encodeMatrix(url, 'M')),
    contentType: 'image/png',
    metadata:
      options.metadata === false
        ? {}
        : encodeQrMetadata({ requestId: id, url, email: options.email ?? `${id}@example.com` }),
  });
  return { id, url, body: s3NotificationBody(s3.bucket, key, eTag) };
}

const deadLettersSent = () => aws.calls.filter((call) => call.operation === 'AmazonSQS.SendMessage');

describe('mailer handler on Lambda', () => {
  it('delivers a key with a space and a plus', async () => {
    const code = await storeCode({ key: 'qrcodes/my code+1.png' });
    expect(code.body).toContain('qrcodes/my+code%2B1.png');

    const response = await handler(sqsEvent([code.body]), lambdaContext());

    expect(response.batchItemFailures).toEqual([]);
    expect(smtp.messages).toHaveLength(1);
    expect(await decodeQrText(smtp.messages[0]!.parsed.attachments[0]!.content)).toBe(code.url);
    expect((await records().get(code.id))?.status).toBe('sent');
  });

  it('acknowledges the S3 test event', async () => {
    const response = await handler(sqsEvent([s3TestEventBody(s3.bucket)]), lambdaContext());

    expect(response.batchItemFailures).toEqual([]);
    expect(smtp.messages).toHaveLength(0);
    expect(deadLettersSent()).toHaveLength(0);
  });

  it('sends once for a duplicate record', async () => {
    const code = await storeCode();

    const response = await handler(sqsEvent([code.body, code.body, code.body]), lambdaContext());

    // One send wins the claim; a copy that met the live claim is retried and then finds it completed.
    const retried = sqsEvent([code.body, code.body]);
    const again = await handler(retried, lambdaContext());
    expect(response.batchItemFailures.length).toBeLessThanOrEqual(2);
    expect(again.batchItemFailures).toEqual([]);
    expect(smtp.messages).toHaveLength(1);
  });

  it('dead-letters a poison record', async () => {
    const code = await storeCode({ metadata: false });

    const response = await handler(sqsEvent([code.body]), lambdaContext());

    expect(response.batchItemFailures).toEqual([]);
    expect(smtp.messages).toHaveLength(0);
    expect(deadLettersSent()).toHaveLength(1);
    expect(deadLettersSent()[0]!.body.MessageBody).toBe(code.body);
    expect(log.text()).toContain('object cannot be delivered');
  });

  it('reports exactly the failed messages', async () => {
    const codes = await Promise.all(Array.from({ length: 10 }, () => storeCode()));
    const failing = new Set([`${codes[2]!.id}@example.com`, `${codes[6]!.id}@example.com`]);
    onRecipient = (_session, to) => (failing.has(to) ? { code: 451, message: '4.3.0 Try again later' } : undefined);
    const event = sqsEvent(codes.map((code) => code.body));

    const response = await handler(event, lambdaContext());

    expect(response.batchItemFailures.map((failure) => failure.itemIdentifier).sort()).toEqual(
      [event.Records[2]!.messageId, event.Records[6]!.messageId].sort(),
    );
    expect(smtp.messages).toHaveLength(8);
    expect(deadLettersSent()).toHaveLength(0);
  });

  it('dead-letters a permanent failure', async () => {
    const code = await storeCode();
    onRecipient = () => ({ code: 550, message: '5.1.1 No such user' });

    const response = await handler(sqsEvent([code.body]), lambdaContext());

    expect(response.batchItemFailures).toEqual([]);
    expect(deadLettersSent()).toHaveLength(1);
    expect((await records().get(code.id))?.status).toBe('failed');
  });

  it('dead-letters on the last attempt', async () => {
    const code = await storeCode();
    onRecipient = () => ({ code: 451, message: '4.3.0 Try again later' });

    const response = await handler(sqsEvent([code.body], { receiveCount: 3 }), lambdaContext());

    expect(response.batchItemFailures).toEqual([]);
    expect(deadLettersSent()).toHaveLength(1);
    expect((await records().get(code.id))?.status).toBe('failed');
  });

  it('re-reads a rotated secret once', async () => {
    const first = await storeCode();
    await handler(sqsEvent([first.body]), lambdaContext());
    const reads = () => aws.calls.filter((call) => call.operation === 'secretsmanager.GetSecretValue').length;
    expect(reads()).toBe(1);

    const rotated = 'rotated-password-7d21';
    smtp.setPassword(rotated);
    aws.secrets.set(SECRET_NAME, JSON.stringify({ username: smtp.username, password: rotated }));
    const second = await storeCode();
    // The pool's connection is still logged in with the old password; a new one must log in again.
    await transport.close();
    const response = await handler(sqsEvent([second.body]), lambdaContext());

    expect(response.batchItemFailures).toEqual([]);
    expect(smtp.messages).toHaveLength(2);
    expect(reads()).toBe(2);
    expect(log.text()).not.toContain(rotated);
  });

  it('survives arbitrary message bodies', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.oneof(
            fc.string(),
            fc.jsonValue().map((value) => JSON.stringify(value) ?? 'null'),
            fc.jsonValue().map((value) => JSON.stringify({ Records: [value] })),
            fc.string().map((key) =>
              JSON.stringify({
                Records: [{ eventName: 'ObjectCreated:Put', s3: { bucket: { name: s3.bucket }, object: { key } } }],
              }),
            ),
          ),
          { minLength: 1, maxLength: 4 },
        ),
        async (bodies) => {
          const event = sqsEvent(bodies);
          const response = await handler(event, lambdaContext());
          const ids = new Set(event.Records.map((record) => record.messageId));
          expect(response.batchItemFailures.every((failure) => ids.has(failure.itemIdentifier))).toBe(true);
        },
      ),
      { numRuns: 60 },
    );
    expect(smtp.messages).toHaveLength(0);
  }, 60_000);
});
