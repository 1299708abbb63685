import { Duration, type RemovalPolicy } from 'aws-cdk-lib';
import { EventType, type IBucket } from 'aws-cdk-lib/aws-s3';
import { SqsDestination } from 'aws-cdk-lib/aws-s3-notifications';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';

import { QR_KEY_PREFIX } from '../src/core/ids.js';

/** Suffix of every QR code object key; `qrObjectKey` in src/core/ids.ts ends each key with it. */
export const QR_KEY_SUFFIX = '.png';

/**
 * AWS recommends a visibility timeout of at least six times the consuming function's timeout, so
 * that Lambda's retries of a throttled batch finish before the message becomes visible again.
 */
export const VISIBILITY_TIMEOUT_FACTOR = 6;

export interface DeliveryQueuesProps {
  bucket: IBucket;
  mailerTimeoutSeconds: number;
  maxReceiveCount: number;
  removalPolicy: RemovalPolicy;
}

/**
 * The queue that receives the bucket's ObjectCreated events for QR codes, and its dead-letter
 * queue. Both use SSE-SQS because S3 cannot publish to a queue encrypted with the AWS managed KMS
 * key (aws/sqs), whose key policy cannot grant S3 access.
 */
export class DeliveryQueues extends Construct {
  readonly queue: Queue;
  readonly deadLetterQueue: Queue;

  constructor(scope: Construct, id: string, props: DeliveryQueuesProps) {
    super(scope, id);

    // A message redriven to the dead-letter queue keeps its original enqueue time, so the
    // dead-letter queue keeps messages for the maximum 14 days, longer than the source queue.
    this.deadLetterQueue = new Queue(this, 'DeadLetterQueue', {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
      removalPolicy: props.removalPolicy,
    });

    this.queue = new Queue(this, 'Queue', {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      visibilityTimeout: Duration.seconds(VISIBILITY_TIMEOUT_FACTOR * props.mailerTimeoutSeconds),
      deadLetterQueue: { queue: this.deadLetterQueue, maxReceiveCount: props.maxReceiveCount },
      removalPolicy: props.removalPolicy,
    });

    props.bucket.addEventNotification(EventType.OBJECT_CREATED, new SqsDestination(this.queue), {
      prefix: QR_KEY_PREFIX,
      suffix: QR_KEY_SUFFIX,
    });
  }
}
