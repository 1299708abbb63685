import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import {
  DeleteCommand,
  GetCommand,
  PutCommand,
  UpdateCommand,
  type DynamoDBDocumentClient,
} from '@aws-sdk/lib-dynamodb';

import type { ClaimResult, DeliveryLedger, RequestRecord, RequestRecords, RequestStatus } from '../../core/ports.js';

/**
 * One DynamoDB table contains both request records (`pk = request#<id>`) and delivery ledger
 * entries (`pk = delivery#<bucket>/<key>#<version>`). `expiresAt` (seconds since the epoch) is
 * the table's TTL attribute, so old entries go away on their own.
 */
export interface DynamoTableOptions {
  client: DynamoDBDocumentClient;
  tableName: string;
  /** How long entries are kept after their last change. Default 30 days. */
  retentionDays?: number;
}

const DAY_SECONDS = 24 * 60 * 60;

interface RequestItem {
  pk: string;
  id: string;
  objectKey: string;
  status: RequestStatus;
  createdAt: number;
  updatedAt: number;
  attempts: number;
  lastError?: string;
  sentAt?: number;
  messageId?: string;
  expiresAt: number;
}

/** Request records in DynamoDB, for the AWS runtime. */
export class DynamoRequestRecords implements RequestRecords {
  private readonly client: DynamoDBDocumentClient;
  private readonly tableName: string;
  private readonly retentionSeconds: number;

  constructor(options: DynamoTableOptions) {
    this.client = options.client;
    this.tableName = options.tableName;
    this.retentionSeconds = (options.retentionDays ?? 30) * DAY_SECONDS;
  }

  async create(record: { id: string; objectKey: string; createdAt: Date }): Promise<void> {
    const at = record.createdAt.getTime();
    const item: RequestItem = {
      pk: requestKey(record.id),
      id: record.id,
      objectKey: record.objectKey,
      status: 'queued',
      createdAt: at,
      updatedAt: at,
      attempts: 0,
      expiresAt: this.expiresAt(at),
    };
    await this.client.send(
      new PutCommand({ TableName: this.tableName, Item: item, ConditionExpression: 'attribute_not_exists(pk)' }),
    );
  }

  async get(id: string): Promise<RequestRecord | undefined> {
    const output = await this.client.send(
      new GetCommand({ TableName: this.tableName, Key: { pk: requestKey(id) }, ConsistentRead: true }),
    );
    const item = output.Item as RequestItem | undefined;
    if (item === undefined) return undefined;
    return {
      id: item.id,
      objectKey: item.objectKey,
      status: item.status,
      createdAt: new Date(item.createdAt),
      updatedAt: new Date(item.updatedAt),
      attempts: item.attempts,
      lastError: item.lastError,
      sentAt: item.sentAt === undefined ? undefined : new Date(item.sentAt),
      messageId: item.messageId,
    };
  }

  async delete(id: string): Promise<void> {
    await this.client.send(new DeleteCommand({ TableName: this.tableName, Key: { pk: requestKey(id) } }));
  }

  async recordRetry(id: string, update: { at: Date; error: string }): Promise<void> {
    await this.update(id, 'SET attempts = attempts + :one, lastError = :error, updatedAt = :at, expiresAt = :expires', {
      ':one': 1,
      ':error': update.error,
      ':at': update.at.getTime(),
      ':expires': this.expiresAt(update.at.getTime()),
    });
  }

  async markSent(id: string, update: { at: Date; messageId: string }): Promise<void> {
    await this.update(
      id,
      'SET #status = :sent, attempts = attempts + :one, sentAt = :at, messageId = :messageId, updatedAt = :at, expiresAt = :expires',
      {
        ':sent': 'sent',
        ':one': 1,
        ':at': update.at.getTime(),
        ':messageId': update.messageId,
        ':expires': this.expiresAt(update.at.getTime()),
      },
    );
  }

  async markFailed(id: string, update: { at: Date; error: string }): Promise<void> {
    await this.update(
      id,
      'SET #status = :failed, attempts = attempts + :one, lastError = :error, updatedAt = :at, expiresAt = :expires',
      {
        ':failed': 'failed',
        ':one': 1,
        ':error': update.error,
        ':at': update.at.getTime(),
        ':expires': this.expiresAt(update.at.getTime()),
      },
    );
  }

  /** Updates an existing record; a record that does not exist is left alone, as in the SQLite store. */
  private async update(id: string, expression: string, values: Record<string, unknown>): Promise<void> {
    try {
      await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { pk: requestKey(id) },
          UpdateExpression: expression,
          ConditionExpression: 'attribute_exists(pk)',
          ...(expression.includes('#status') ? { ExpressionAttributeNames: { '#status': 'status' } } : {}),
          ExpressionAttributeValues: values,
        }),
      );
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
  }

  private expiresAt(atMilliseconds: number): number {
    return Math.floor(atMilliseconds / 1000) + this.retentionSeconds;
  }
}

/**
 * The delivery ledger in DynamoDB. Each claim is one conditional write, so of two Lambda
 * invocations that get the same event, one wins and the other gets `in_progress`.
 *
 * Written by hand rather than with Powertools idempotency: that utility wraps a whole function
 * and replays its stored result, while the deliver flow claims, then completes or releases,
 * around the one step that must not repeat, with a lease it sets itself.
 */
export class DynamoDeliveryLedger implements DeliveryLedger {
  private readonly client: DynamoDBDocumentClient;
  private readonly tableName: string;
  private readonly retentionSeconds: number;

  constructor(options: DynamoTableOptions) {
    this.client = options.client;
    this.tableName = options.tableName;
    this.retentionSeconds = (options.retentionDays ?? 30) * DAY_SECONDS;
  }

  async claim(deliveryKey: string, owner: string, now: Date, leaseUntil: Date): Promise<ClaimResult> {
    try {
      await this.client.send(
        new PutCommand({
          TableName: this.tableName,
          Item: {
            pk: ledgerKey(deliveryKey),
            state: 'claimed',
            owner,
            leaseUntil: leaseUntil.getTime(),
            updatedAt: now.getTime(),
            expiresAt: Math.floor(now.getTime() / 1000) + this.retentionSeconds,
          },
          ConditionExpression: 'attribute_not_exists(pk) OR (#state = :claimed AND leaseUntil <= :now)',
          ExpressionAttributeNames: { '#state': 'state' },
          ExpressionAttributeValues: { ':claimed': 'claimed', ':now': now.getTime() },
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      );
      return 'claimed';
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
      // DynamoDB returns the existing item with the error, as ReturnValuesOnConditionCheckFailure
      // requests. dynalite 4.0.0 ignores that parameter, so without an item the entry is read.
      const state =
        (error.Item as { state?: { S?: string } } | undefined)?.state?.S ?? (await this.readState(deliveryKey));
      return state === 'completed' ? 'completed' : 'in_progress';
    }
  }

  private async readState(deliveryKey: string): Promise<string | undefined> {
    const output = await this.client.send(
      new GetCommand({ TableName: this.tableName, Key: { pk: ledgerKey(deliveryKey) }, ConsistentRead: true }),
    );
    return (output.Item as { state?: string } | undefined)?.state;
  }

  async complete(deliveryKey: string, owner: string, at: Date): Promise<void> {
    try {
      await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { pk: ledgerKey(deliveryKey) },
          UpdateExpression: 'SET #state = :completed, updatedAt = :at',
          ConditionExpression: '#owner = :owner',
          ExpressionAttributeNames: { '#state': 'state', '#owner': 'owner' },
          ExpressionAttributeValues: { ':completed': 'completed', ':at': at.getTime(), ':owner': owner },
        }),
      );
    } catch (error) {
      // The lease ran out before the send ended and another worker claimed the delivery; its
      // outcome decides the entry, as in the SQLite ledger.
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
  }

  async release(deliveryKey: string, owner: string): Promise<void> {
    try {
      await this.client.send(
        new DeleteCommand({
          TableName: this.tableName,
          Key: { pk: ledgerKey(deliveryKey) },
          ConditionExpression: '#owner = :owner AND #state = :claimed',
          ExpressionAttributeNames: { '#owner': 'owner', '#state': 'state' },
          ExpressionAttributeValues: { ':owner': owner, ':claimed': 'claimed' },
        }),
      );
    } catch (error) {
      // Another worker took over after the lease ran out: the claim is no longer ours to release.
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
  }
}

function requestKey(id: string): string {
  return `request#${id}`;
}

function ledgerKey(deliveryKey: string): string {
  return `delivery#${deliveryKey}`;
}
