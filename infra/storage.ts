import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import { AttributeType, BillingMode, Table, TableEncryption } from 'aws-cdk-lib/aws-dynamodb';
import { BlockPublicAccess, Bucket, BucketEncryption } from 'aws-cdk-lib/aws-s3';
import { acknowledge } from './nag.js';
import { Construct } from 'constructs';

import { QR_KEY_PREFIX } from '../src/core/ids.js';
import type { StageConfig } from './config.js';

/** Maps the configured removal policy to CDK's; `retain` keeps the resource when the stack is deleted. */
export function removalPolicyOf(config: StageConfig): RemovalPolicy {
  return config.removalPolicy === 'retain' ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY;
}

/**
 * The bucket of QR code PNGs, its server access log bucket, and the DynamoDB table of request
 * records and delivery ledger entries.
 */
export class Storage extends Construct {
  readonly bucket: Bucket;
  readonly accessLogBucket: Bucket;
  readonly table: Table;

  constructor(scope: Construct, id: string, config: StageConfig) {
    super(scope, id);
    const removalPolicy = removalPolicyOf(config);
    // CloudFormation deletes only an empty bucket, so a custom resource empties it first.
    const autoDeleteObjects = removalPolicy === RemovalPolicy.DESTROY;

    // Server access logs need SSE-S3 on the target bucket; SSE-KMS targets are not supported.
    this.accessLogBucket = new Bucket(this, 'AccessLogBucket', {
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      encryption: BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      lifecycleRules: [{ id: 'ExpireAccessLogs', expiration: Duration.days(config.bucket.accessLogExpirationDays) }],
      removalPolicy,
      autoDeleteObjects,
    });
    acknowledge(
      this.accessLogBucket,
      'AwsSolutions-S1',
      'This bucket is the server access log target of the code bucket, and logging it to itself would loop.',
    );

    this.bucket = new Bucket(this, 'CodeBucket', {
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      encryption: BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      minimumTLSVersion: 1.2,
      versioned: true,
      serverAccessLogsBucket: this.accessLogBucket,
      serverAccessLogsPrefix: 'code-bucket/',
      lifecycleRules: [
        {
          id: 'ExpireCodes',
          prefix: QR_KEY_PREFIX,
          expiration: Duration.days(config.bucket.codeExpirationDays),
          noncurrentVersionExpiration: Duration.days(config.bucket.noncurrentVersionExpirationDays),
          abortIncompleteMultipartUploadAfter: Duration.days(1),
        },
      ],
      removalPolicy,
      autoDeleteObjects,
    });

    // Key and TTL attribute are those of src/adapters/dynamodb: `pk` is `request#<id>` or
    // `delivery#<bucket>/<key>#<version>`, and `expiresAt` is in seconds since the epoch.
    this.table = new Table(this, 'Table', {
      partitionKey: { name: 'pk', type: AttributeType.STRING },
      billingMode: BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      timeToLiveAttribute: 'expiresAt',
      encryption: TableEncryption.AWS_MANAGED,
      deletionProtection: removalPolicy === RemovalPolicy.RETAIN,
      removalPolicy,
    });
  }
}
