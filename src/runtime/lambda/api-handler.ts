/**
 * Entry point of the API function. Clients and the app are built once per container, at
 * import, so warm invocations only handle the request.
 */
import { join } from 'node:path';

import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

import { DynamoRequestRecords } from '../../adapters/dynamodb/index.js';
import { MemoryRateLimiter } from '../../adapters/memory-limiter/index.js';
import { S3ObjectStore } from '../../adapters/s3-store/index.js';
import { ZxingVerifier } from '../../adapters/zxing/index.js';
import { systemClock } from '../../core/ports.js';
import { createApiHandler } from './api.js';
import { readApiConfig } from './config.js';
import { createLambdaLogger } from './logger.js';

const config = readApiConfig();
const { logger } = createLambdaLogger('qrmail-api');
const documents = DynamoDBDocumentClient.from(new DynamoDBClient({}));

export const handler = createApiHandler({
  store: new S3ObjectStore({ client: new S3Client({}), bucket: config.bucket }),
  records: new DynamoRequestRecords({ client: documents, tableName: config.tableName }),
  // The CDK bundle copies the decoder's .wasm file beside the handler, into LAMBDA_TASK_ROOT.
  verifier: new ZxingVerifier({ wasmPath: lambdaWasmPath() }),
  // NOTE: these counters live in one container; API Gateway's stage throttling is the overall limit.
  limiter: new MemoryRateLimiter(),
  recipientLimits: { perHour: config.recipientLimitPerHour, perDay: config.recipientLimitPerDay },
  clientLimit: { max: config.clientLimitPerMinute, windowSeconds: 60 },
  // API Gateway sets sourceIp from the connection; a client cannot forge it with a header.
  clientAddress: (c) =>
    (c.env as { event?: { requestContext?: { http?: { sourceIp?: string } } } }).event?.requestContext?.http?.sourceIp,
  apiKeyHashes: config.apiKeyHashes,
  // NOTE: the Lambda bundle carries no image library, so uploads go to the local service only.
  // Short links to images already in the bucket still redirect to pre-signed S3 URLs.
  uploads: { images: undefined, maxUploadBytes: 10 * 1024 * 1024, linkTtlDays: undefined, presignSeconds: 900 },
  clock: systemClock,
  logger,
  publicUrl: config.publicUrl,
  maxBodyBytes: config.maxBodyBytes,
});

function lambdaWasmPath(): string | undefined {
  const root = process.env.LAMBDA_TASK_ROOT;
  return root === undefined ? undefined : join(root, 'zxing_reader.wasm');
}
