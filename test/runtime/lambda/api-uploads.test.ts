import { GetObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { createApiFunctionHandler, type ApiHandler } from '../../../src/runtime/lambda/api.js';
import { readApiConfig } from '../../../src/runtime/lambda/config.js';
import { httpApiEvent, invokeHttpHandler } from '../../support/aws/events.js';
import { startLocalDynamo, type LocalDynamo } from '../../support/aws/dynalite.js';
import { startLocalS3, type LocalS3 } from '../../support/aws/s3rver.js';
import { captureLogger } from '../../support/log-capture.js';
import { decodeQrImage } from '../../support/qr-decoder.js';

let s3: LocalS3;
let dynamo: LocalDynamo;
const savedEnvironment = new Map<string, string | undefined>();

/**
 * Returns the variables that the Lambda runtime and the CDK stack set, pointed at s3rver and dynalite.
 * The SDK clients of api-handler.ts read their endpoints, region and credentials from them.
 */
function functionEnvironment(): Record<string, string | undefined> {
  return {
    QRMAIL_BUCKET: s3.bucket,
    QRMAIL_TABLE: dynamo.tableName,
    POWERTOOLS_LOG_LEVEL: 'SILENT',
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'S3RVER',
    AWS_SECRET_ACCESS_KEY: 'S3RVER',
    AWS_SESSION_TOKEN: undefined,
    AWS_PROFILE: undefined,
    AWS_CONFIG_FILE: '/nonexistent/aws-config',
    AWS_SHARED_CREDENTIALS_FILE: '/nonexistent/aws-credentials',
    AWS_ENDPOINT_URL_S3: s3.endpoint,
    AWS_ENDPOINT_URL_DYNAMODB: dynamo.endpoint,
    AWS_IGNORE_CONFIGURED_ENDPOINT_URLS: undefined,
    // s3rver predates the flexible checksums that recent SDKs add to every upload.
    AWS_REQUEST_CHECKSUM_CALCULATION: 'WHEN_REQUIRED',
    AWS_RESPONSE_CHECKSUM_VALIDATION: 'WHEN_REQUIRED',
    LAMBDA_TASK_ROOT: undefined,
  };
}

beforeAll(async () => {
  s3 = await startLocalS3();
  dynamo = await startLocalDynamo();
  for (const [name, value] of Object.entries(functionEnvironment())) {
    savedEnvironment.set(name, process.env[name]);
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
});

afterAll(async () => {
  for (const [name, value] of savedEnvironment) {
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
  await s3.close();
  await dynamo.close();
});

/** Encodes a PNG with a colour gradient, so that a changed pixel shows. */
async function gradientPng(width = 40, height = 30): Promise<Buffer> {
  const pixels = Buffer.alloc(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      pixels.set([x * 6, y * 8, (x + y) * 3], (y * width + x) * 3);
    }
  }
  return sharp(pixels, { raw: { width, height, channels: 3 } })
    .png()
    .toBuffer();
}

/** Builds the event of a multipart/form-data upload, base64-encoded as API Gateway passes binary bodies. */
async function multipartUploadEvent(fields: { file: Uint8Array; type: string; email?: string }) {
  const form = new FormData();
  form.set('file', new Blob([fields.file], { type: fields.type }), 'image');
  if (fields.email !== undefined) form.set('email', fields.email);
  const request = new Request('https://abc123.execute-api.eu-west-1.amazonaws.com/images', {
    method: 'POST',
    body: form,
  });
  const event = httpApiEvent({
    method: 'POST',
    path: '/images',
    headers: { 'content-type': request.headers.get('content-type')! },
  });
  return { ...event, body: Buffer.from(await request.arrayBuffer()).toString('base64'), isBase64Encoded: true };
}

async function storedObject(key: string): Promise<{ bytes: Uint8Array; contentType: string | undefined }> {
  const object = await s3.client.send(new GetObjectCommand({ Bucket: s3.bucket, Key: key }));
  return { bytes: await object.Body!.transformToByteArray(), contentType: object.ContentType };
}

async function uploadKeys(): Promise<string[]> {
  const listing = await s3.client.send(new ListObjectsV2Command({ Bucket: s3.bucket, Prefix: 'uploads/' }));
  return (listing.Contents ?? []).map((object) => object.Key!);
}

describe('API function uploads', () => {
  // The entry module reads its settings and builds its S3 and DynamoDB clients at import, as in
  // Lambda, from the variables that beforeAll set.
  const handler = async (): Promise<ApiHandler> =>
    (await import('../../../src/runtime/lambda/api-handler.js')).handler as ApiHandler;

  it('stores an uploaded PNG under uploads/', async () => {
    const original = await gradientPng();

    const result = await invokeHttpHandler(
      await handler(),
      await multipartUploadEvent({ file: original, type: 'image/png', email: 'upload@example.com' }),
    );
    const body = JSON.parse(result.body) as { id: string; link: string; status: string };
    const linkId = new URL(body.link).pathname.split('/').pop()!;
    const stored = await storedObject(`uploads/${linkId}`);

    expect(result.statusCode, result.body).toBe(202);
    expect(body.status).toBe('queued');
    expect(body.link).toMatch(/^https:\/\/abc123\.execute-api\.eu-west-1\.amazonaws\.com\/i\/[A-Za-z0-9_-]{22}$/);
    expect(stored.contentType).toBe('image/png');
    expect(await sharp(stored.bytes).raw().toBuffer()).toEqual(await sharp(original).raw().toBuffer());
  });

  it('stores a code of the link', async () => {
    const result = await invokeHttpHandler(
      await handler(),
      await multipartUploadEvent({ file: await gradientPng(), type: 'image/png', email: 'code@example.com' }),
    );
    const body = JSON.parse(result.body) as { id: string; link: string };
    const code = await storedObject(`qrcodes/${body.id}.png`);
    const [decoded] = await decodeQrImage(code.bytes);

    expect(result.statusCode, result.body).toBe(202);
    expect(Buffer.from(decoded!).toString()).toBe(body.link);
  });

  it('short link redirects to the stored bytes', async () => {
    const uploaded = await invokeHttpHandler(
      await handler(),
      await multipartUploadEvent({ file: await gradientPng(24, 24), type: 'image/png' }),
    );
    const { link } = JSON.parse(uploaded.body) as { link: string };
    const path = new URL(link).pathname;

    const redirect = await invokeHttpHandler(await handler(), httpApiEvent({ method: 'GET', path }));
    const location = redirect.headers.location!;
    const download = await fetch(location);
    const downloaded = new Uint8Array(await download.arrayBuffer());
    const stored = await storedObject(`uploads${path.slice('/i'.length)}`);

    expect(uploaded.statusCode, uploaded.body).toBe(201);
    expect(redirect.statusCode).toBe(302);
    expect(redirect.headers['cache-control']).toBe('no-store');
    expect(new URL(location).origin).toBe(s3.endpoint);
    expect(new URL(location).searchParams.get('X-Amz-Expires')).toBe('900');
    expect(download.status).toBe(200);
    expect(download.headers.get('content-type')).toBe('image/png');
    expect(Buffer.from(downloaded).equals(Buffer.from(stored.bytes))).toBe(true);
  });

  it('accepts a raw image body', async () => {
    const event = httpApiEvent({ method: 'POST', path: '/images', headers: { 'content-type': 'image/png' } });
    const result = await invokeHttpHandler(await handler(), {
      ...event,
      rawQueryString: 'email=raw%40example.com',
      queryStringParameters: { email: 'raw@example.com' },
      body: (await gradientPng()).toString('base64'),
      isBase64Encoded: true,
    });

    expect(result.statusCode, result.body).toBe(202);
  });

  it('rejects an upload over the Lambda limit', async () => {
    const before = await uploadKeys();
    const oversize = Buffer.concat([await gradientPng(), Buffer.alloc(readApiConfig().maxUploadBytes)]);

    const result = await invokeHttpHandler(
      await handler(),
      await multipartUploadEvent({ file: oversize, type: 'image/png' }),
    );

    expect(result.statusCode).toBe(413);
    expect((JSON.parse(result.body) as { error: { code: string } }).error.code).toBe('body_too_large');
    expect(await uploadKeys()).toEqual(before);
  });
});

describe('API function without sharp', () => {
  const log = captureLogger();
  let loads = 0;
  let handler: ApiHandler;

  beforeAll(() => {
    handler = createApiFunctionHandler(readApiConfig(), {
      s3: s3.client,
      documents: dynamo.documents,
      logger: log.logger,
      wasmPath: undefined,
      loadSharp: async () => {
        loads += 1;
        throw new Error("Cannot find package 'sharp' imported from /var/task/index.mjs");
      },
    });
  });

  it('returns uploads_not_supported', async () => {
    const before = await uploadKeys();

    const results = [
      await invokeHttpHandler(handler, await multipartUploadEvent({ file: await gradientPng(), type: 'image/png' })),
      await invokeHttpHandler(handler, await multipartUploadEvent({ file: await gradientPng(), type: 'image/png' })),
    ];
    const failures = log.records().filter((record) => String(record.msg).startsWith('sharp failed to load'));

    for (const result of results) {
      expect(result.statusCode).toBe(400);
      expect((JSON.parse(result.body) as { error: { code: string } }).error.code).toBe('uploads_not_supported');
    }
    expect(await uploadKeys()).toEqual(before);
    expect(loads).toBe(1);
    expect(failures).toHaveLength(1);
  });

  it('still accepts URL requests', async () => {
    const result = await invokeHttpHandler(
      handler,
      httpApiEvent({
        method: 'POST',
        path: '/images/qrcode',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ url: 'https://example.com/no-sharp', email: 'nosharp@example.com' }),
      }),
    );

    expect(result.statusCode, result.body).toBe(202);
  });
});
