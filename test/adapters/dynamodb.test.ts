import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { DynamoDeliveryLedger, DynamoRequestRecords } from '../../src/adapters/dynamodb/index.js';
import { startLocalDynamo, type LocalDynamo } from '../support/aws/dynalite.js';

const DAY_SECONDS = 24 * 60 * 60;
const RETENTION_DAYS = 7;

let dynamo: LocalDynamo;
let records: DynamoRequestRecords;
let ledger: DynamoDeliveryLedger;
let idCounter = 0;

beforeAll(async () => {
  dynamo = await startLocalDynamo();
  const options = { client: dynamo.documents, tableName: dynamo.tableName, retentionDays: RETENTION_DAYS };
  records = new DynamoRequestRecords(options);
  ledger = new DynamoDeliveryLedger(options);
});

afterAll(async () => {
  await dynamo?.close();
});

/** Returns an id no other test uses, since all tests share one table. */
function uniqueId(): string {
  idCounter++;
  return `00000000-0000-4000-8000-${String(idCounter).padStart(12, '0')}`;
}

/** Returns a delivery key in the form the deliver flow builds: bucket, object key and version. */
function uniqueDeliveryKey(): string {
  return `qrmail-test-images/qrcodes/${uniqueId()}.png#version-1`;
}

/** Reads an item as stored, with every attribute, straight from dynalite. */
async function rawItem(pk: string): Promise<Record<string, unknown> | undefined> {
  const output = await dynamo.documents.send(
    new GetCommand({ TableName: dynamo.tableName, Key: { pk }, ConsistentRead: true }),
  );
  return output.Item;
}

function secondsOf(date: Date): number {
  return Math.floor(date.getTime() / 1000);
}

const CREATED_AT = new Date('2030-03-01T10:00:00.123Z');
const LATER = new Date('2030-03-01T10:05:00.456Z');
const LATEST = new Date('2030-03-01T10:09:00.789Z');

describe('DynamoRequestRecords', () => {
  it('creates a queued record', async () => {
    const id = uniqueId();

    await records.create({ id, objectKey: `qrcodes/${id}.png`, createdAt: CREATED_AT });

    expect(await records.get(id)).toEqual({
      id,
      objectKey: `qrcodes/${id}.png`,
      status: 'queued',
      createdAt: CREATED_AT,
      updatedAt: CREATED_AT,
      attempts: 0,
      lastError: undefined,
      sentAt: undefined,
      messageId: undefined,
    });
  });

  it('returns undefined for a missing id', async () => {
    expect(await records.get(uniqueId())).toBeUndefined();
  });

  it('rejects create of an existing id', async () => {
    const id = uniqueId();
    await records.create({ id, objectKey: 'qrcodes/first.png', createdAt: CREATED_AT });

    const second = records.create({ id, objectKey: 'qrcodes/second.png', createdAt: LATER });

    await expect(second).rejects.toBeInstanceOf(ConditionalCheckFailedException);
    const record = await records.get(id);
    expect(record?.objectKey).toBe('qrcodes/first.png');
    expect(record?.createdAt).toEqual(CREATED_AT);
  });

  it('counts retries with the last error', async () => {
    const id = uniqueId();
    await records.create({ id, objectKey: 'qrcodes/retry.png', createdAt: CREATED_AT });

    await records.recordRetry(id, { at: LATER, error: 'first failure' });
    await records.recordRetry(id, { at: LATEST, error: 'second failure' });
    const record = await records.get(id);

    expect(record?.status).toBe('queued');
    expect(record?.attempts).toBe(2);
    expect(record?.lastError).toBe('second failure');
    expect(record?.updatedAt).toEqual(LATEST);
    expect(record?.createdAt).toEqual(CREATED_AT);
    expect(record?.sentAt).toBeUndefined();
  });

  it('marks a record sent', async () => {
    const id = uniqueId();
    await records.create({ id, objectKey: 'qrcodes/sent.png', createdAt: CREATED_AT });
    await records.recordRetry(id, { at: LATER, error: 'timed out' });

    await records.markSent(id, { at: LATEST, messageId: '<abc@email.amazonses.com>' });
    const record = await records.get(id);

    expect(record?.status).toBe('sent');
    expect(record?.attempts).toBe(2);
    expect(record?.sentAt).toEqual(LATEST);
    expect(record?.updatedAt).toEqual(LATEST);
    expect(record?.messageId).toBe('<abc@email.amazonses.com>');
    expect(record?.createdAt).toEqual(CREATED_AT);
  });

  it('marks a record failed', async () => {
    const id = uniqueId();
    await records.create({ id, objectKey: 'qrcodes/failed.png', createdAt: CREATED_AT });

    await records.markFailed(id, { at: LATER, error: 'MessageRejected' });
    const record = await records.get(id);

    expect(record?.status).toBe('failed');
    expect(record?.attempts).toBe(1);
    expect(record?.lastError).toBe('MessageRejected');
    expect(record?.updatedAt).toEqual(LATER);
    expect(record?.sentAt).toBeUndefined();
    expect(record?.messageId).toBeUndefined();
  });

  it('deletes a record', async () => {
    const id = uniqueId();
    await records.create({ id, objectKey: 'qrcodes/deleted.png', createdAt: CREATED_AT });

    await records.delete(id);

    expect(await records.get(id)).toBeUndefined();
  });

  it('deletes a missing id quietly', async () => {
    await expect(records.delete(uniqueId())).resolves.toBeUndefined();
  });

  const updates: [string, (id: string) => Promise<void>][] = [
    ['recordRetry', (id) => records.recordRetry(id, { at: LATER, error: 'failure' })],
    ['markSent', (id) => records.markSent(id, { at: LATER, messageId: '<abc@example.com>' })],
    ['markFailed', (id) => records.markFailed(id, { at: LATER, error: 'failure' })],
  ];

  for (const [name, update] of updates) {
    it(`${name} ignores a missing id`, async () => {
      const id = uniqueId();

      await expect(update(id)).resolves.toBeUndefined();

      // An UpdateItem without its condition would create a partial item here.
      expect(await rawItem(`request#${id}`)).toBeUndefined();
    });
  }

  it('sets expiresAt from the last change', async () => {
    const id = uniqueId();
    await records.create({ id, objectKey: 'qrcodes/ttl.png', createdAt: CREATED_AT });
    const created = await rawItem(`request#${id}`);

    await records.markSent(id, { at: LATEST, messageId: '<abc@example.com>' });
    const sent = await rawItem(`request#${id}`);

    expect(created?.expiresAt).toBe(secondsOf(CREATED_AT) + RETENTION_DAYS * DAY_SECONDS);
    expect(sent?.expiresAt).toBe(secondsOf(LATEST) + RETENTION_DAYS * DAY_SECONDS);
  });
});

describe('DynamoDeliveryLedger', () => {
  const LEASE_MS = 60_000;

  const START = new Date();
  /** Returns a time `offsetMs` after a fixed start, so leases expire without waiting. */
  const at = (offsetMs: number) => new Date(START.getTime() + offsetMs);

  it('claims a new delivery', async () => {
    const key = uniqueDeliveryKey();

    expect(await ledger.claim(key, 'owner-a', at(0), at(LEASE_MS))).toBe('claimed');
  });

  it('reports a live claim in progress', async () => {
    const key = uniqueDeliveryKey();
    await ledger.claim(key, 'owner-a', at(0), at(LEASE_MS));

    expect(await ledger.claim(key, 'owner-b', at(1_000), at(1_000 + LEASE_MS))).toBe('in_progress');
    expect(await ledger.claim(key, 'owner-a', at(1_000), at(1_000 + LEASE_MS))).toBe('in_progress');
  });

  it('reports a completed delivery', async () => {
    const key = uniqueDeliveryKey();
    await ledger.claim(key, 'owner-a', at(0), at(LEASE_MS));

    await ledger.complete(key, 'owner-a', at(1_000));

    expect(await ledger.claim(key, 'owner-b', at(2_000), at(2_000 + LEASE_MS))).toBe('completed');
    // A completed entry stays completed after its lease time.
    expect(await ledger.claim(key, 'owner-b', at(2 * LEASE_MS), at(3 * LEASE_MS))).toBe('completed');
  });

  it('lets another owner take an expired lease', async () => {
    const key = uniqueDeliveryKey();
    await ledger.claim(key, 'owner-a', at(0), at(LEASE_MS));

    const result = await ledger.claim(key, 'owner-b', at(LEASE_MS), at(2 * LEASE_MS));

    expect(result).toBe('claimed');
    expect((await rawItem(`delivery#${key}`))?.owner).toBe('owner-b');
  });

  it('ignores complete by an expired owner', async () => {
    const key = uniqueDeliveryKey();
    await ledger.claim(key, 'owner-a', at(0), at(LEASE_MS));
    await ledger.claim(key, 'owner-b', at(LEASE_MS), at(2 * LEASE_MS));

    await ledger.complete(key, 'owner-a', at(LEASE_MS + 1_000));

    expect((await rawItem(`delivery#${key}`))?.state).toBe('claimed');
    expect(await ledger.claim(key, 'owner-c', at(LEASE_MS + 2_000), at(2 * LEASE_MS))).toBe('in_progress');
  });

  it('lets another owner claim after release', async () => {
    const key = uniqueDeliveryKey();
    await ledger.claim(key, 'owner-a', at(0), at(LEASE_MS));

    await ledger.release(key, 'owner-a');

    expect(await ledger.claim(key, 'owner-b', at(1_000), at(1_000 + LEASE_MS))).toBe('claimed');
  });

  it('ignores release by a non-owner', async () => {
    const key = uniqueDeliveryKey();
    await ledger.claim(key, 'owner-a', at(0), at(LEASE_MS));

    await ledger.release(key, 'owner-b');

    expect((await rawItem(`delivery#${key}`))?.owner).toBe('owner-a');
    expect(await ledger.claim(key, 'owner-b', at(1_000), at(1_000 + LEASE_MS))).toBe('in_progress');
  });

  it('ignores complete by a non-owner', async () => {
    const key = uniqueDeliveryKey();
    await ledger.claim(key, 'owner-a', at(0), at(LEASE_MS));

    await ledger.complete(key, 'owner-b', at(1_000));

    expect((await rawItem(`delivery#${key}`))?.state).toBe('claimed');
    expect(await ledger.claim(key, 'owner-c', at(2_000), at(2_000 + LEASE_MS))).toBe('in_progress');
  });

  it('ignores release after complete', async () => {
    const key = uniqueDeliveryKey();
    await ledger.claim(key, 'owner-a', at(0), at(LEASE_MS));
    await ledger.complete(key, 'owner-a', at(1_000));

    await ledger.release(key, 'owner-a');

    expect(await ledger.claim(key, 'owner-b', at(2_000), at(2_000 + LEASE_MS))).toBe('completed');
  });

  it('gives one of two concurrent claims', async () => {
    // Repeated over fresh keys, because a single race may happen to run in order.
    for (let round = 0; round < 20; round++) {
      const key = uniqueDeliveryKey();

      const results = await Promise.all([
        ledger.claim(key, 'owner-a', at(0), at(LEASE_MS)),
        ledger.claim(key, 'owner-b', at(0), at(LEASE_MS)),
      ]);

      expect(results.filter((result) => result === 'claimed')).toHaveLength(1);
      expect(results.filter((result) => result === 'in_progress')).toHaveLength(1);
    }
  });

  it('sets expiresAt in the future', async () => {
    const key = uniqueDeliveryKey();
    const now = new Date();

    await ledger.claim(key, 'owner-a', now, new Date(now.getTime() + LEASE_MS));
    const item = await rawItem(`delivery#${key}`);

    expect(item?.expiresAt).toBe(secondsOf(now) + RETENTION_DAYS * DAY_SECONDS);
    expect(item?.expiresAt).toBeGreaterThan(Date.now() / 1000);
  });
});
