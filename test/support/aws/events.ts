import { randomUUID } from 'node:crypto';

import type { APIGatewayProxyEventV2, APIGatewayProxyResultV2, Context, SQSEvent, SQSRecord } from 'aws-lambda';

import { objectCreatedRecord } from '../../../src/core/events.js';

/** Builds an API Gateway HTTP API (payload format 2.0) event as API Gateway sends it to Lambda. */
export function httpApiEvent(options: {
  method: string;
  path: string;
  body?: string;
  headers?: Record<string, string>;
  base64?: boolean;
}): APIGatewayProxyEventV2 {
  const body =
    options.body === undefined
      ? undefined
      : options.base64
        ? Buffer.from(options.body).toString('base64')
        : options.body;
  return {
    version: '2.0',
    routeKey: '$default',
    rawPath: options.path,
    rawQueryString: '',
    headers: { host: 'abc123.execute-api.eu-west-1.amazonaws.com', 'x-forwarded-proto': 'https', ...options.headers },
    requestContext: {
      accountId: '111111111111',
      apiId: 'abc123',
      domainName: 'abc123.execute-api.eu-west-1.amazonaws.com',
      domainPrefix: 'abc123',
      http: {
        method: options.method,
        path: options.path,
        protocol: 'HTTP/1.1',
        sourceIp: '203.0.113.9',
        userAgent: 'curl/8.5.0',
      },
      requestId: randomUUID(),
      routeKey: '$default',
      stage: '$default',
      time: new Date().toUTCString(),
      timeEpoch: Date.now(),
    },
    ...(body === undefined ? {} : { body }),
    isBase64Encoded: options.base64 === true,
  };
}

/** Wraps message bodies in an SQS event as Lambda's event source mapping delivers it. */
export function sqsEvent(bodies: string[], options: { receiveCount?: number } = {}): SQSEvent {
  return { Records: bodies.map((body) => sqsRecord(body, options.receiveCount ?? 1)) };
}

function sqsRecord(body: string, receiveCount: number): SQSRecord {
  return {
    messageId: randomUUID(),
    receiptHandle: `handle-${randomUUID()}`,
    body,
    attributes: {
      ApproximateReceiveCount: String(receiveCount),
      SentTimestamp: String(Date.now()),
      SenderId: 'AIDAEXAMPLE',
      ApproximateFirstReceiveTimestamp: String(Date.now()),
    },
    messageAttributes: {},
    md5OfBody: '',
    eventSource: 'aws:sqs',
    eventSourceARN: 'arn:aws:sqs:eu-west-1:111111111111:qrmail-dev-events',
    awsRegion: 'eu-west-1',
  };
}

/** Builds the S3 event notification body for one created object, with the key encoded as S3 encodes it. */
export function s3NotificationBody(bucket: string, key: string, eTag: string, size = 1000): string {
  const record = objectCreatedRecord({
    bucket,
    key,
    size,
    eTag: eTag.replace(/"/g, ''),
    versionId: undefined,
    sequencer: '0065A1B2C3D4E5F601',
    time: new Date(),
    region: 'eu-west-1',
  });
  return JSON.stringify({ Records: [record] });
}

/** Returns the message S3 puts on the queue once when a notification is configured. */
export function s3TestEventBody(bucket: string): string {
  return JSON.stringify({
    Service: 'Amazon S3',
    Event: 's3:TestEvent',
    Time: new Date().toISOString(),
    Bucket: bucket,
    RequestId: 'C3D13FE58DE4C810',
    HostId: 'FMyUVURIY8/IgAtTv8xRjskZQpcIZ9KG4V5Wp6S7S/JRWeUWerMUE5JgHvANOjpD',
  });
}

/** Builds a Lambda context with the fields the batch processor reads. */
export function lambdaContext(): Context {
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName: 'qrmail-dev-mailer',
    functionVersion: '$LATEST',
    invokedFunctionArn: 'arn:aws:lambda:eu-west-1:111111111111:function:qrmail-dev-mailer',
    memoryLimitInMB: '256',
    awsRequestId: randomUUID(),
    logGroupName: '/aws/lambda/qrmail-dev-mailer',
    logStreamName: '2026/12/04/[$LATEST]abcdef',
    getRemainingTimeInMillis: () => 30_000,
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

/** An API Gateway HTTP API response in the structured form that the API handler returns. */
export interface HttpResult {
  statusCode: number;
  headers: Record<string, string>;
  body: string;
  isBase64Encoded: boolean;
}

/** Calls an API handler with `event` and a fresh Lambda context. */
export async function invokeHttpHandler(
  handler: (event: APIGatewayProxyEventV2, context: Context) => Promise<APIGatewayProxyResultV2>,
  event: APIGatewayProxyEventV2,
): Promise<HttpResult> {
  return (await handler(event, lambdaContext())) as unknown as HttpResult;
}
