import { GetObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { DynamoRequestRecords } from '../../../src/adapters/dynamodb/index.js';
import { ZxingVerifier } from '../../../src/adapters/zxing/index.js';
import { S3ObjectStore } from '../../../src/adapters/s3-store/index.js';
import { decodeQrMetadata } from '../../../src/core/metadata.js';
import { systemClock } from '../../../src/core/ports.js';
import { createApiHandler } from '../../../src/runtime/lambda/api.js';
import { httpApiEvent, invokeHttpHandler } from '../../support/aws/events.js';
import { startLocalDynamo, type LocalDynamo } from '../../support/aws/dynalite.js';
import { startLocalS3, type LocalS3 } from '../../support/aws/s3rver.js';
import { captureLogger } from '../../support/log-capture.js';
import { decodeQrText } from '../../support/qr-decoder.js';

let s3: LocalS3;
let dynamo: LocalDynamo;
let handler: ReturnType<typeof createApiHandler>;

beforeAll(async () => {
  s3 = await startLocalS3();
  dynamo = await startLocalDynamo();
  handler = createApiHandler({
    store: new S3ObjectStore({ client: s3.client, bucket: s3.bucket }),
    records: new DynamoRequestRecords({ client: dynamo.documents, tableName: dynamo.tableName }),
    verifier: new ZxingVerifier(),
    clock: systemClock,
    logger: captureLogger().logger,
    publicUrl: undefined,
    maxBodyBytes: 16 * 1024,
  });
});

afterAll(async () => {
  await s3.close();
  await dynamo.close();
});

const invoke = (event: Parameters<typeof handler>[0]) => invokeHttpHandler(handler, event);

async function countObjects(): Promise<number> {
  const listing = await s3.client.send(new ListObjectsV2Command({ Bucket: s3.bucket }));
  return listing.KeyCount ?? 0;
}

const URL = 'https://example.com/café/a%20b?x=1&y=%2B2#frag';

describe('API handler on Lambda', () => {
  it('accepts a request and stores the code', async () => {
    const result = await invoke(
      httpApiEvent({
        method: 'POST',
        path: '/images/qrcode',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ url: URL, email: 'someone@example.com' }),
      }),
    );
    const body = JSON.parse(result.body) as { id: string; status: string; statusUrl: string };

    expect(result.statusCode).toBe(202);
    expect(body.status).toBe('queued');
    expect(body.statusUrl).toBe(`https://abc123.execute-api.eu-west-1.amazonaws.com/images/qrcode/${body.id}`);

    const object = await s3.client.send(new GetObjectCommand({ Bucket: s3.bucket, Key: `qrcodes/${body.id}.png` }));
    expect(object.ContentType).toBe('image/png');
    expect(decodeQrMetadata(object.Metadata ?? {})).toEqual({
      requestId: body.id,
      url: URL,
      email: 'someone@example.com',
    });
    expect(await decodeQrText(await object.Body!.transformToByteArray())).toBe(URL);
  });

  it('reads a base64-encoded body', async () => {
    const result = await invoke(
      httpApiEvent({
        method: 'POST',
        path: '/images/qrcode',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ url: 'https://example.com/base64', email: 'b64@example.com' }),
        base64: true,
      }),
    );

    expect(result.statusCode).toBe(202);
  });

  it('serves status and image', async () => {
    const accepted = await invoke(
      httpApiEvent({
        method: 'POST',
        path: '/images/qrcode',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ url: 'https://example.com/status', email: 'status@example.com' }),
      }),
    );
    const { id } = JSON.parse(accepted.body) as { id: string };

    const status = await invoke(httpApiEvent({ method: 'GET', path: `/images/qrcode/${id}` }));
    const image = await invoke(httpApiEvent({ method: 'GET', path: `/images/qrcode/${id}.png` }));

    expect(status.statusCode).toBe(200);
    expect((JSON.parse(status.body) as { status: string }).status).toBe('queued');
    expect(image.statusCode).toBe(200);
    expect(image.headers['content-type']).toBe('image/png');
    expect(image.isBase64Encoded).toBe(true);
    expect(await decodeQrText(Buffer.from(image.body, 'base64'))).toBe('https://example.com/status');
  });

  it('rejects bad input with the same errors', async () => {
    const before = await countObjects();
    const cases = [
      { headers: { 'content-type': 'text/plain' }, body: '{}', status: 415, code: 'unsupported_media_type' },
      { headers: { 'content-type': 'application/json' }, body: 'null', status: 400, code: 'invalid_body' },
      {
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ url: 'javascript:alert(1)', email: 'a@example.com' }),
        status: 400,
        code: 'unsupported_url_scheme',
      },
      {
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ url: 'https://example.com', email: 'victim@example.com\r\nBcc: x@example.com' }),
        status: 400,
        code: 'invalid_email',
      },
      {
        headers: { 'content-type': 'application/json' },
        body: 'x'.repeat(20_000),
        status: 413,
        code: 'body_too_large',
      },
    ];

    for (const testCase of cases) {
      const result = await invoke(
        httpApiEvent({ method: 'POST', path: '/images/qrcode', headers: testCase.headers, body: testCase.body }),
      );
      expect(result.statusCode, testCase.code).toBe(testCase.status);
      expect((JSON.parse(result.body) as { error: { code: string } }).error.code).toBe(testCase.code);
    }
    expect(await countObjects()).toBe(before);
  });

  it('answers unknown ids with 404', async () => {
    const result = await invoke(
      httpApiEvent({ method: 'GET', path: '/images/qrcode/00000000-0000-4000-8000-000000000000' }),
    );

    expect(result.statusCode).toBe(404);
  });
});
