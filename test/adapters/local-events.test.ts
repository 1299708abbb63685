import { join } from 'node:path';

import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';

import { LocalEventQueue } from '../../src/adapters/local-events/index.js';
import { objectCreatedRecord, type S3EventRecord } from '../../src/core/events.js';
import { makeTempDir } from '../support/temp.js';

const T0 = new Date('2030-01-01T00:00:00.000Z');
const at = (seconds: number) => new Date(T0.getTime() + seconds * 1000);

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0).reverse()) cleanup();
});

/** Opens (or reopens) the queue's database file in `folder`. The test's cleanup closes it. */
function openQueue(folder: string): { queue: LocalEventQueue; db: Database.Database } {
  const db = new Database(join(folder, 'events.db'));
  db.pragma('journal_mode = WAL');
  cleanups.push(() => {
    if (db.open) db.close();
  });
  return { queue: new LocalEventQueue(db), db };
}

function createQueue() {
  const folder = makeTempDir();
  cleanups.push(folder.remove);
  return { ...openQueue(folder.path), folder: folder.path };
}

function recordFor(key: string): S3EventRecord {
  return objectCreatedRecord({
    bucket: 'qrmail-test-bucket',
    key,
    size: 10,
    eTag: 'd41d8cd98f00b204e9800998ecf8427e',
    versionId: undefined,
    sequencer: '0000000000000001',
    time: T0,
    region: 'local',
  });
}

const keysOf = (events: { record: S3EventRecord }[]) => events.map((event) => event.record.s3.object.key);

describe('LocalEventQueue append', () => {
  it('survives closing the database', () => {
    const { queue, db, folder } = createQueue();
    queue.append(recordFor('qrcodes/durable.png'), T0);
    db.close();

    const reopened = openQueue(folder).queue;
    const claimed = reopened.claim('worker-a', 10, T0);

    expect(keysOf(claimed)).toEqual(['qrcodes/durable.png']);
    expect(claimed[0]!.record).toEqual(recordFor('qrcodes/durable.png'));
    expect(claimed[0]!.attempt).toBe(1);
  });

  it('emits available once the event is committed', async () => {
    const { queue } = createQueue();
    let notified = 0;
    queue.on('available', () => notified++);

    await queue.append(recordFor('qrcodes/one.png'), T0);

    expect(notified).toBe(1);
  });
});

describe('LocalEventQueue claim', () => {
  it('claims due events in order', () => {
    const { queue } = createQueue();
    queue.append(recordFor('qrcodes/second.png'), at(2));
    queue.append(recordFor('qrcodes/first.png'), at(1));
    queue.append(recordFor('qrcodes/third.png'), at(2));

    expect(keysOf(queue.claim('worker-a', 10, at(5)))).toEqual([
      'qrcodes/first.png',
      'qrcodes/second.png',
      'qrcodes/third.png',
    ]);
  });

  it('claims at most limit events', () => {
    const { queue } = createQueue();
    for (let i = 0; i < 5; i++) queue.append(recordFor(`qrcodes/${i}.png`), T0);

    expect(queue.claim('worker-a', 2, T0)).toHaveLength(2);
    expect(queue.claim('worker-a', 10, T0)).toHaveLength(3);
    expect(queue.claim('worker-a', 10, T0)).toHaveLength(0);
  });

  it('skips events not yet available', () => {
    const { queue } = createQueue();
    queue.append(recordFor('qrcodes/later.png'), at(60));

    expect(queue.claim('worker-a', 10, at(59.999))).toEqual([]);
    expect(keysOf(queue.claim('worker-a', 10, at(60)))).toEqual(['qrcodes/later.png']);
  });

  it('skips events until retry time', () => {
    const { queue } = createQueue();
    queue.append(recordFor('qrcodes/one.png'), T0);
    const [event] = queue.claim('worker-a', 10, T0);
    queue.retryLater(event!.id, at(30), 'deferred');

    expect(queue.claim('worker-a', 10, at(29))).toEqual([]);
    expect(queue.nextAvailableAt()).toEqual(at(30));
    expect(keysOf(queue.claim('worker-a', 10, at(30)))).toEqual(['qrcodes/one.png']);
  });
});

describe('LocalEventQueue attempts', () => {
  it('counts a retried attempt', () => {
    const { queue } = createQueue();
    queue.append(recordFor('qrcodes/one.png'), T0);
    const [first] = queue.claim('worker-a', 1, T0);
    queue.retryLater(first!.id, T0, 'deferred');

    const [second] = queue.claim('worker-a', 1, T0);

    expect(first!.attempt).toBe(1);
    expect(second!.attempt).toBe(2);
  });

  it('keeps attempt without countAttempt', () => {
    const { queue } = createQueue();
    queue.append(recordFor('qrcodes/one.png'), T0);
    const [first] = queue.claim('worker-a', 1, T0);
    queue.retryLater(first!.id, T0, 'login rejected', { countAttempt: false });
    const [second] = queue.claim('worker-a', 1, T0);
    queue.retryLater(second!.id, T0, 'login rejected', { countAttempt: false });

    const [third] = queue.claim('worker-a', 1, T0);

    expect(second!.attempt).toBe(1);
    expect(third!.attempt).toBe(1);
  });
});

describe('LocalEventQueue complete and dead letters', () => {
  it('removes a completed event', () => {
    const { queue } = createQueue();
    queue.append(recordFor('qrcodes/one.png'), T0);
    const [event] = queue.claim('worker-a', 1, T0);

    queue.complete(event!.id);

    expect(queue.counts()).toEqual({ pending: 0, claimed: 0, dead: 0 });
    expect(queue.releaseAbandoned('worker-b')).toBe(0);
    expect(queue.claim('worker-a', 10, at(3600))).toEqual([]);
  });

  it('lists a dead-lettered event', () => {
    const { queue } = createQueue();
    queue.append(recordFor('qrcodes/poison.png'), T0);
    const [event] = queue.claim('worker-a', 1, T0);

    queue.deadLetter(event!.id, 'object lacks metadata');
    const dead = queue.deadLetters();

    expect(dead).toHaveLength(1);
    expect(dead[0]!.id).toBe(event!.id);
    expect(dead[0]!.record.s3.object.key).toBe('qrcodes/poison.png');
    expect(dead[0]!.attempts).toBe(1);
    expect(dead[0]!.error).toBe('object lacks metadata');
    expect(queue.counts()).toEqual({ pending: 0, claimed: 0, dead: 1 });
  });

  it('never claims a dead letter', () => {
    const { queue } = createQueue();
    queue.append(recordFor('qrcodes/poison.png'), T0);
    const [event] = queue.claim('worker-a', 1, T0);
    queue.deadLetter(event!.id, 'object lacks metadata');

    expect(queue.releaseAbandoned('worker-b')).toBe(0);
    expect(queue.claim('worker-a', 10, at(3600))).toEqual([]);
    expect(queue.nextAvailableAt()).toBeUndefined();
  });
});

describe('LocalEventQueue releaseAbandoned', () => {
  it('releases claims of other owners', () => {
    const { queue } = createQueue();
    queue.append(recordFor('qrcodes/abandoned.png'), T0);
    queue.append(recordFor('qrcodes/mine.png'), T0);
    const [abandoned] = queue.claim('worker-old', 1, T0);
    queue.claim('worker-new', 1, T0);

    const released = queue.releaseAbandoned('worker-new');
    const reclaimed = queue.claim('worker-new', 10, T0);

    expect(released).toBe(1);
    expect(keysOf(reclaimed)).toEqual(['qrcodes/abandoned.png']);
    expect(reclaimed[0]!.id).toBe(abandoned!.id);
    expect(reclaimed[0]!.attempt).toBe(2);
  });

  it('releases claims after reopening', () => {
    const { queue, db, folder } = createQueue();
    queue.append(recordFor('qrcodes/abandoned.png'), T0);
    queue.claim('worker-old', 1, T0);
    db.close();

    const reopened = openQueue(folder).queue;
    expect(reopened.claim('worker-new', 10, T0)).toEqual([]);
    expect(reopened.releaseAbandoned('worker-new')).toBe(1);
    expect(keysOf(reopened.claim('worker-new', 10, T0))).toEqual(['qrcodes/abandoned.png']);
  });

  it('keeps claims of its owner', () => {
    const { queue } = createQueue();
    queue.append(recordFor('qrcodes/mine.png'), T0);
    queue.claim('worker-a', 1, T0);

    expect(queue.releaseAbandoned('worker-a')).toBe(0);
    expect(queue.counts()).toEqual({ pending: 0, claimed: 1, dead: 0 });
  });
});
