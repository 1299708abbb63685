/**
 * Entry point of the API function. Clients and the app are built once per container, at
 * import, so warm invocations only handle the request. sharp is loaded later, on the first upload.
 */
import { join } from 'node:path';

import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

import { createApiFunctionHandler } from './api.js';
import { readApiConfig } from './config.js';
import { createLambdaLogger } from './logger.js';

const config = readApiConfig();
const { logger } = createLambdaLogger('qrmail-api');

export const handler = createApiFunctionHandler(config, {
  s3: new S3Client({}),
  documents: DynamoDBDocumentClient.from(new DynamoDBClient({})),
  logger,
  // The CDK bundle copies the decoder's .wasm file beside the handler, into LAMBDA_TASK_ROOT.
  wasmPath: lambdaWasmPath(),
});

function lambdaWasmPath(): string | undefined {
  const root = process.env.LAMBDA_TASK_ROOT;
  return root === undefined ? undefined : join(root, 'zxing_reader.wasm');
}
