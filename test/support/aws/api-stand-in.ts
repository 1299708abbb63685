import { createHash, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One request that reached the stand-in. */
export interface RecordedCall {
  /** `secretsmanager.GetSecretValue`, `AmazonSQS.SendMessage` or `sesv2.SendEmail`. */
  operation: string;
  body: Record<string, unknown>;
}

/** A reply a test forces for the next calls of one operation: an AWS error name and HTTP status. */
export interface ForcedError {
  name: string;
  status: number;
  message: string;
}

/**
 * A local HTTP server that responds to the few AWS API calls qrmail makes outside S3 and DynamoDB,
 * in their wire formats: Secrets Manager's GetSecretValue and SQS's SendMessage (JSON protocol,
 * chosen by the X-Amz-Target header) and SES v2's SendEmail (REST JSON). AWS itself cannot run
 * here, so this is the one part of the tests that stands in for a service.
 */
export interface AwsApiStandIn {
  endpoint: string;
  calls: RecordedCall[];
  /** Secret values by name (or ARN); a test may change them to simulate a rotation. */
  secrets: Map<string, string>;
  /** Errors to return, by operation, until the test removes them. */
  errors: Map<string, ForcedError>;
  close(): Promise<void>;
}

export async function startAwsApiStandIn(): Promise<AwsApiStandIn> {
  const calls: RecordedCall[] = [];
  const secrets = new Map<string, string>();
  const errors = new Map<string, ForcedError>();

  const server = createServer(async (request, response) => {
    const text = await readBody(request);
    const body = text === '' ? {} : (JSON.parse(text) as Record<string, unknown>);
    const target = request.headers['x-amz-target'];
    const operation =
      typeof target === 'string'
        ? target
        : request.method === 'POST' && request.url === '/v2/email/outbound-emails'
          ? 'sesv2.SendEmail'
          : `${request.method} ${request.url}`;
    calls.push({ operation, body });

    const forced = errors.get(operation);
    if (forced) return sendError(response, forced, typeof target === 'string');

    switch (operation) {
      case 'secretsmanager.GetSecretValue': {
        const id = String(body.SecretId);
        const value = secrets.get(id);
        if (value === undefined) {
          return sendError(
            response,
            {
              name: 'ResourceNotFoundException',
              status: 400,
              message: "Secrets Manager can't find the specified secret.",
            },
            true,
          );
        }
        return sendJson(response, 200, {
          ARN: `arn:aws:secretsmanager:us-east-1:000000000000:secret:${id}-AbCdEf`,
          Name: id,
          SecretString: value,
          VersionId: randomUUID(),
          VersionStages: ['AWSCURRENT'],
          CreatedDate: Date.now() / 1000,
        });
      }
      case 'AmazonSQS.SendMessage': {
        const messageBody = String(body.MessageBody);
        return sendJson(response, 200, {
          MessageId: randomUUID(),
          MD5OfMessageBody: createHash('md5').update(messageBody).digest('hex'),
        });
      }
      case 'sesv2.SendEmail':
        return sendJson(response, 200, { MessageId: `0100${randomUUID().replace(/-/g, '')}-000000` });
      default:
        return sendError(response, { name: 'UnknownOperationException', status: 400, message: operation }, true);
    }
  });

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    calls,
    secrets,
    errors,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

function readBody(request: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    request.on('error', reject);
  });
}

function sendJson(response: ServerResponse, status: number, body: unknown): void {
  const json = JSON.stringify(body);
  response.writeHead(status, { 'content-type': 'application/x-amz-json-1.1', 'x-amzn-requestid': randomUUID() });
  response.end(json);
}

/** Writes an error the way each protocol does: `__type` for JSON 1.x, `x-amzn-errortype` for REST JSON. */
function sendError(response: ServerResponse, error: ForcedError, jsonProtocol: boolean): void {
  response.writeHead(error.status, {
    'content-type': jsonProtocol ? 'application/x-amz-json-1.1' : 'application/json',
    'x-amzn-errortype': error.name,
    'x-amzn-requestid': randomUUID(),
  });
  response.end(
    JSON.stringify(jsonProtocol ? { __type: error.name, message: error.message } : { message: error.message }),
  );
}
