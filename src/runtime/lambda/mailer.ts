import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import { SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';

import { deliverObjectCreated, type DeliverDependencies } from '../../core/deliver.js';
import type { S3Event } from '../../core/events.js';
import type { Logger } from '../../core/ports.js';

/** Moves a message that must not be retried to the dead-letter queue. */
export interface DeadLetterSink {
  send(record: SQSRecord, reason: string): Promise<void>;
}

/** Thrown for a record that SQS should deliver again after its visibility timeout. */
export class RetryLaterError extends Error {
  override readonly name = 'RetryLaterError';
}

/**
 * Sends to the dead-letter queue with SQS SendMessage, keeping the original body so that a
 * redrive to the source queue replays the event as it was.
 */
export class SqsDeadLetterSink implements DeadLetterSink {
  private readonly client: SQSClient;
  private readonly queueUrl: string;

  constructor(options: { client: SQSClient; queueUrl: string }) {
    this.client = options.client;
    this.queueUrl = options.queueUrl;
  }

  async send(record: SQSRecord, reason: string): Promise<void> {
    await this.client.send(
      new SendMessageCommand({
        QueueUrl: this.queueUrl,
        MessageBody: record.body,
        MessageAttributes: {
          'qrmail-reason': { DataType: 'String', StringValue: reason.slice(0, 1024) },
          'qrmail-source-message-id': { DataType: 'String', StringValue: record.messageId },
        },
      }),
    );
  }
}

/**
 * Creates the mailer's SQS handler. Each message contains an S3 event notification, and the handler
 * runs the deliver flow on each of its records and returns the ids of the messages to retry,
 * so SQS redelivers only those (partial batch response).
 */
export function createMailerHandler(options: {
  deliver: DeliverDependencies;
  deadLetters: DeadLetterSink;
  logger: Logger;
}): (event: SQSEvent, context: Context) => Promise<SQSBatchResponse> {
  const { deliver, deadLetters, logger } = options;
  const processor = new BatchProcessor(EventType.SQS);

  const handleRecord = async (record: SQSRecord): Promise<void> => {
    const attempt = Number(record.attributes.ApproximateReceiveCount) || 1;
    const recordLogger = logger.child({ messageId: record.messageId, attempt });

    let message: Partial<S3Event> & { Event?: string };
    try {
      message = JSON.parse(record.body) as typeof message;
    } catch {
      recordLogger.error({}, 'message body is not JSON; moved to the dead-letter queue');
      await deadLetters.send(record, 'body is not JSON');
      return;
    }

    // S3 sends this once when the notification is set up; there is nothing to deliver.
    if (message.Event === 's3:TestEvent') {
      recordLogger.info({}, 'S3 test event acknowledged');
      return;
    }
    if (!Array.isArray(message.Records)) {
      recordLogger.error({}, 'message is not an S3 event notification; moved to the dead-letter queue');
      await deadLetters.send(record, 'not an S3 event notification');
      return;
    }

    for (const s3Record of message.Records) {
      const outcome = await deliverObjectCreated({ ...deliver, logger: recordLogger }, s3Record, attempt);
      switch (outcome.result) {
        case 'sent':
        case 'duplicate':
        case 'ignored':
          break;
        case 'retry':
          throw new RetryLaterError(outcome.error.message);
        case 'busy':
          throw new RetryLaterError('another invocation has the delivery claim');
        case 'failed':
        case 'parked':
        case 'poison':
          await deadLetters.send(record, `${outcome.result}: ${outcome.error.message}`);
          break;
      }
    }
  };

  return (event, context) =>
    processPartialResponse(event, handleRecord, processor, { context, throwOnFullBatchFailure: false });
}
