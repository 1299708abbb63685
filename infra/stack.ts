import { CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';

import type { StageConfig } from './config.js';
import { Functions } from './functions.js';
import { PublicApi } from './http-api.js';
import { acknowledgeStageCustomResources } from './nag.js';
import { DeliveryQueues } from './queues.js';
import { removalPolicyOf, Storage } from './storage.js';

export interface QrmailStackProps extends StackProps {
  config: StageConfig;
}

/**
 * Everything one stage runs: the code bucket, the request table, the delivery queues, the two
 * functions and the HTTP API.
 */
export class QrmailStack extends Stack {
  readonly storage: Storage;
  readonly queues: DeliveryQueues;
  readonly functions: Functions;
  readonly api: PublicApi;

  constructor(scope: Construct, id: string, props: QrmailStackProps) {
    super(scope, id, props);
    const { config } = props;
    const removalPolicy = removalPolicyOf(config);

    this.storage = new Storage(this, 'Storage', config);
    this.queues = new DeliveryQueues(this, 'Delivery', {
      bucket: this.storage.bucket,
      mailerTimeoutSeconds: config.mailer.timeoutSeconds,
      maxReceiveCount: config.mailer.maxReceiveCount,
      removalPolicy,
    });
    this.functions = new Functions(this, 'Functions', {
      config,
      bucket: this.storage.bucket,
      table: this.storage.table,
      queue: this.queues.queue,
      deadLetterQueue: this.queues.deadLetterQueue,
      removalPolicy,
    });
    this.api = new PublicApi(this, 'Api', { config, handler: this.functions.api, removalPolicy });

    new CfnOutput(this, 'ApiUrl', { description: 'Base URL of the HTTP API', value: this.api.stage.url });
    new CfnOutput(this, 'BucketName', { description: 'Bucket of the QR codes', value: this.storage.bucket.bucketName });
    new CfnOutput(this, 'QueueUrl', {
      description: 'Queue of ObjectCreated events',
      value: this.queues.queue.queueUrl,
    });
    new CfnOutput(this, 'DeadLetterQueueUrl', {
      description: 'Dead-letter queue of the mailer',
      value: this.queues.deadLetterQueue.queueUrl,
    });
    new CfnOutput(this, 'TableName', { description: 'Table of request records', value: this.storage.table.tableName });

    acknowledgeStageCustomResources(this);
  }
}
