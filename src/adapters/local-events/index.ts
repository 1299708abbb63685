import { EventEmitter } from 'node:events';

import type { Database, Statement } from 'better-sqlite3';

import type { S3EventRecord } from '../../core/events.js';
import { immediateWrites, statementCache, type SqliteWriter } from '../sqlite-writes/index.js';

/** An event taken from the queue for one delivery attempt. */
export interface ClaimedEvent {
  id: number;
  record: S3EventRecord;
  /** The attempt this claim is, counting from 1. */
  attempt: number;
}

/** An event that ended without a send and waits for an operator: poison, or out of attempts. */
export interface DeadLetter {
  id: number;
  record: S3EventRecord;
  attempts: number;
  error: string;
  updatedAt: Date;
}

/**
 * A durable queue of ObjectCreated events in SQLite, the local stand-in for S3 to SQS.
 * An appended event survives a crash. A claimed event goes back to the queue when the process
 * that claimed it is gone (`releaseAbandoned`), so each event is delivered at least once.
 * It emits `available` when an event is appended.
 */
export class LocalEventQueue extends EventEmitter {
  private readonly db: Database;
  private readonly statement: (sql: string) => Statement;
  private readonly writes: SqliteWriter;

  /** `writes` runs the changes of single events; by default each commits on its own at once. */
  constructor(db: Database, writes: SqliteWriter = immediateWrites(db)) {
    super();
    this.db = db;
    this.statement = statementCache(db);
    this.writes = writes;
    db.exec(`
      CREATE TABLE IF NOT EXISTS events (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        record TEXT NOT NULL,
        state TEXT NOT NULL CHECK (state IN ('pending', 'claimed', 'dead')),
        attempts INTEGER NOT NULL DEFAULT 0,
        available_at INTEGER NOT NULL,
        claimed_by TEXT,
        last_error TEXT,
        updated_at INTEGER NOT NULL
      );
      CREATE INDEX IF NOT EXISTS events_pending ON events (state, available_at);
    `);
  }

  /** Appends an event; it is on disk when the promise resolves. */
  async append(record: S3EventRecord, now: Date = new Date()): Promise<void> {
    const text = JSON.stringify(record);
    await this.writes.run(() =>
      this.statement(`INSERT INTO events (record, state, available_at, updated_at) VALUES (?, 'pending', ?, ?)`).run(
        text,
        now.getTime(),
        now.getTime(),
      ),
    );
    this.emit('available');
  }

  /** Claims up to `limit` events that are due, for the worker named `owner`. */
  claim(owner: string, limit: number, now: Date = new Date()): ClaimedEvent[] {
    const claim = this.db.transaction(() => {
      const rows = this.statement(
        `SELECT id, record, attempts FROM events
           WHERE state = 'pending' AND available_at <= ? ORDER BY available_at, id LIMIT ?`,
      ).all(now.getTime(), limit) as { id: number; record: string; attempts: number }[];
      const mark = this.statement(
        `UPDATE events SET state = 'claimed', claimed_by = ?, attempts = attempts + 1, updated_at = ? WHERE id = ?`,
      );
      for (const row of rows) mark.run(owner, now.getTime(), row.id);
      return rows;
    });

    return claim().map((row) => ({
      id: row.id,
      record: JSON.parse(row.record) as S3EventRecord,
      attempt: row.attempts + 1,
    }));
  }

  /** Removes an event whose delivery ended (sent, duplicate, ignored or failed). */
  async complete(id: number): Promise<void> {
    await this.writes.run(() => this.statement(`DELETE FROM events WHERE id = ?`).run(id));
  }

  /**
   * Puts a claimed event back to be claimed again at `availableAt`. With `countAttempt: false`
   * the attempt is not counted, for failures that no number of retries would fix.
   */
  async retryLater(
    id: number,
    availableAt: Date,
    error: string,
    options: { countAttempt?: boolean } = {},
  ): Promise<void> {
    const attemptsChange = options.countAttempt === false ? -1 : 0;
    const at = Date.now();
    await this.writes.run(() =>
      this.statement(
        `UPDATE events SET state = 'pending', claimed_by = NULL, available_at = ?, last_error = ?,
           attempts = attempts + ?, updated_at = ? WHERE id = ?`,
      ).run(availableAt.getTime(), error, attemptsChange, at, id),
    );
  }

  /** Moves an event to the dead letters, where it waits to be listed and replayed. */
  async deadLetter(id: number, error: string): Promise<void> {
    const at = Date.now();
    await this.writes.run(() =>
      this.statement(
        `UPDATE events SET state = 'dead', claimed_by = NULL, last_error = ?, updated_at = ? WHERE id = ?`,
      ).run(error, at, id),
    );
  }

  /** Lists the dead letters, oldest first. */
  deadLetters(): DeadLetter[] {
    const rows = this.statement(
      `SELECT id, record, attempts, last_error, updated_at FROM events WHERE state = 'dead' ORDER BY id`,
    ).all() as { id: number; record: string; attempts: number; last_error: string | null; updated_at: number }[];
    return rows.map((row) => ({
      id: row.id,
      record: JSON.parse(row.record) as S3EventRecord,
      attempts: row.attempts,
      error: row.last_error ?? '',
      updatedAt: new Date(row.updated_at),
    }));
  }

  /** Moves dead letters back to the queue with a fresh count of attempts; returns how many moved. */
  replay(ids: number[] | 'all', now: Date = new Date()): number {
    const update = `UPDATE events SET state = 'pending', attempts = 0, available_at = ?, updated_at = ? WHERE state = 'dead'`;
    let moved = 0;
    if (ids === 'all') {
      moved = this.statement(update).run(now.getTime(), now.getTime()).changes;
    } else {
      const statement = this.statement(`${update} AND id = ?`);
      for (const id of ids) moved += statement.run(now.getTime(), now.getTime(), id).changes;
    }
    if (moved > 0) this.emit('available');
    return moved;
  }

  /**
   * Returns to the queue every event claimed by a worker other than `owner`. Call it at start,
   * while holding the data folder's lock, when no other worker can be running.
   */
  releaseAbandoned(owner: string): number {
    const result = this.statement(
      `UPDATE events SET state = 'pending', claimed_by = NULL, updated_at = ? WHERE state = 'claimed' AND claimed_by IS NOT ?`,
    ).run(Date.now(), owner);
    return result.changes;
  }

  /** Returns when the next pending event becomes due, or undefined when none is pending. */
  nextAvailableAt(): Date | undefined {
    const row = this.statement(`SELECT MIN(available_at) AS at FROM events WHERE state = 'pending'`).get() as {
      at: number | null;
    };
    return row.at === null ? undefined : new Date(row.at);
  }

  /** Counts events by state, for logs and health checks. */
  counts(): { pending: number; claimed: number; dead: number } {
    const rows = this.statement(`SELECT state, COUNT(*) AS count FROM events GROUP BY state`).all() as {
      state: 'pending' | 'claimed' | 'dead';
      count: number;
    }[];
    const counts = { pending: 0, claimed: 0, dead: 0 };
    for (const row of rows) counts[row.state] = row.count;
    return counts;
  }
}
