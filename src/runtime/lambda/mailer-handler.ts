/**
 * Entry point of the mailer function. Clients, the mail transport and its connection pool are
 * built once per container, at import, and reused by warm invocations.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SESv2Client } from '@aws-sdk/client-sesv2';
import { SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

import { DynamoDeliveryLedger, DynamoRequestRecords } from '../../adapters/dynamodb/index.js';
import { S3ObjectStore } from '../../adapters/s3-store/index.js';
import { AwsSecretStore } from '../../adapters/secrets-aws/index.js';
import { SesTransport } from '../../adapters/ses/index.js';
import { SmtpTransport } from '../../adapters/smtp/index.js';
import { systemClock, type MailTransport } from '../../core/ports.js';
import { readMailerConfig } from './config.js';
import { createLambdaLogger } from './logger.js';
import { createMailerHandler, SqsDeadLetterSink } from './mailer.js';

const config = readMailerConfig();
const { logger } = createLambdaLogger('qrmail-mailer');
const documents = DynamoDBDocumentClient.from(new DynamoDBClient({}));

function createTransport(): MailTransport {
  if (config.transport === 'ses' || config.smtp === undefined) {
    return new SesTransport({ client: new SESv2Client({}), configurationSetName: config.sesConfigurationSet });
  }
  return new SmtpTransport({
    ...config.smtp,
    secrets: new AwsSecretStore({ client: new SecretsManagerClient({}), maxAgeSeconds: config.secretMaxAgeSeconds }),
    logger,
  });
}

export const handler = createMailerHandler({
  deliver: {
    store: new S3ObjectStore({ client: new S3Client({}), bucket: config.bucket }),
    records: new DynamoRequestRecords({ client: documents, tableName: config.tableName }),
    ledger: new DynamoDeliveryLedger({ client: documents, tableName: config.tableName }),
    transport: createTransport(),
    clock: systemClock,
    logger,
    mailFrom: config.mailFrom,
    maxAttempts: config.maxAttempts,
    leaseSeconds: config.leaseSeconds,
  },
  deadLetters: new SqsDeadLetterSink({ client: new SQSClient({}), queueUrl: config.deadLetterQueueUrl }),
  logger,
});
