import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { S3Client } from '@aws-sdk/client-s3';
import type { APIGatewayProxyEventV2, APIGatewayProxyResultV2, Context } from 'aws-lambda';
import { handle } from 'hono/aws-lambda';

import { DynamoRequestRecords } from '../../adapters/dynamodb/index.js';
import { MemoryRateLimiter } from '../../adapters/memory-limiter/index.js';
import { S3ObjectStore } from '../../adapters/s3-store/index.js';
import { importSharp, SharpImageChecker, type SharpFunction } from '../../adapters/sharp-images/index.js';
import { ZxingVerifier } from '../../adapters/zxing/index.js';
import { systemClock, type Logger } from '../../core/ports.js';
import { createApp, type AppOptions } from '../../http/app.js';
import type { ApiFunctionConfig } from './config.js';

/** An API Gateway (HTTP API, payload 2.0) handler. */
export type ApiHandler = (event: APIGatewayProxyEventV2, context: Context) => Promise<APIGatewayProxyResultV2>;

/** Creates the API Gateway (HTTP API, payload 2.0) handler around the same hono app as the local server. */
export function createApiHandler(options: AppOptions): ApiHandler {
  const app = createApp(options);
  return handle(app) as unknown as ApiHandler;
}

/** Clients and files that the API function's adapters use. */
export interface ApiFunctionDependencies {
  s3: S3Client;
  documents: DynamoDBDocumentClient;
  logger: Logger;
  /** The QR decoder's .wasm file; undefined resolves it from the zxing-wasm package. */
  wasmPath: string | undefined;
  /** Loads sharp on the first upload. Default `importSharp`, which imports the `sharp` package. */
  loadSharp?: () => Promise<SharpFunction>;
}

/** Creates the API function's handler from its settings: S3, DynamoDB, zxing and sharp behind the app. */
export function createApiFunctionHandler(config: ApiFunctionConfig, deps: ApiFunctionDependencies): ApiHandler {
  const { logger } = deps;
  const loadSharp = deps.loadSharp ?? importSharp;

  return createApiHandler({
    store: new S3ObjectStore({ client: deps.s3, bucket: config.bucket }),
    records: new DynamoRequestRecords({ client: deps.documents, tableName: config.tableName }),
    verifier: new ZxingVerifier({ wasmPath: deps.wasmPath }),
    // NOTE: these counters live in one container; API Gateway's stage throttling is the overall limit.
    limiter: new MemoryRateLimiter(),
    recipientLimits: { perHour: config.recipientLimitPerHour, perDay: config.recipientLimitPerDay },
    clientLimit: { max: config.clientLimitPerMinute, windowSeconds: 60 },
    // API Gateway sets sourceIp from the connection; a client cannot forge it with a header.
    clientAddress: (c) =>
      (c.env as { event?: { requestContext?: { http?: { sourceIp?: string } } } }).event?.requestContext?.http
        ?.sourceIp,
    apiKeyHashes: config.apiKeyHashes,
    uploads: {
      // sharp is imported on the first upload, so a cold start that serves no upload does not
      // load libvips, and a bundle without sharp still starts and returns uploads_not_supported.
      // NOTE: the memory that sharp needs for an image of maxUploadPixelsPerSide on each side has
      // not been measured against the function's memory size.
      images: new SharpImageChecker({
        maxPixelsPerSide: config.maxUploadPixelsPerSide,
        keepMetadata: config.keepImageMetadata,
        loadSharp: async () => {
          try {
            return await loadSharp();
          } catch (error) {
            logger.error({ err: error }, 'sharp failed to load, so image uploads return uploads_not_supported');
            throw error;
          }
        },
      }),
      maxUploadBytes: config.maxUploadBytes,
      linkTtlDays: config.linkTtlDays,
      presignSeconds: 900,
    },
    clock: systemClock,
    logger,
    publicUrl: config.publicUrl,
    maxBodyBytes: config.maxBodyBytes,
  });
}
