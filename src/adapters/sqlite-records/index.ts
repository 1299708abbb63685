import type { Database, Statement } from 'better-sqlite3';

import type { RequestRecord, RequestRecords, RequestStatus } from '../../core/ports.js';
import { immediateWrites, statementCache, type SqliteWriter } from '../sqlite-writes/index.js';

interface RequestRow {
  id: string;
  object_key: string;
  status: RequestStatus;
  created_at: number;
  updated_at: number;
  attempts: number;
  last_error: string | null;
  sent_at: number | null;
  message_id: string | null;
}

/** Request records in a SQLite table, for one machine. */
export class SqliteRequestRecords implements RequestRecords {
  private readonly db: Database;
  private readonly statement: (sql: string) => Statement;
  private readonly writes: SqliteWriter;

  /** `writes` runs the changes; by default each commits on its own before the call returns. */
  constructor(db: Database, writes: SqliteWriter = immediateWrites(db)) {
    this.db = db;
    this.statement = statementCache(db);
    this.writes = writes;
    db.exec(`
      CREATE TABLE IF NOT EXISTS requests (
        id TEXT PRIMARY KEY,
        object_key TEXT NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('queued', 'sent', 'failed')),
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL,
        attempts INTEGER NOT NULL DEFAULT 0,
        last_error TEXT,
        sent_at INTEGER,
        message_id TEXT
      )
    `);
  }

  async create(record: { id: string; objectKey: string; createdAt: Date }): Promise<void> {
    const at = record.createdAt.getTime();
    await this.writes.run(() =>
      this.statement(
        `INSERT INTO requests (id, object_key, status, created_at, updated_at) VALUES (?, ?, 'queued', ?, ?)`,
      ).run(record.id, record.objectKey, at, at),
    );
  }

  async get(id: string): Promise<RequestRecord | undefined> {
    const row = this.statement(`SELECT * FROM requests WHERE id = ?`).get(id) as RequestRow | undefined;
    if (row === undefined) return undefined;
    return {
      id: row.id,
      objectKey: row.object_key,
      status: row.status,
      createdAt: new Date(row.created_at),
      updatedAt: new Date(row.updated_at),
      attempts: row.attempts,
      lastError: row.last_error ?? undefined,
      sentAt: row.sent_at === null ? undefined : new Date(row.sent_at),
      messageId: row.message_id ?? undefined,
    };
  }

  async delete(id: string): Promise<void> {
    await this.writes.run(() => this.statement(`DELETE FROM requests WHERE id = ?`).run(id));
  }

  async recordRetry(id: string, update: { at: Date; error: string }): Promise<void> {
    await this.writes.run(() =>
      this.statement(`UPDATE requests SET attempts = attempts + 1, last_error = ?, updated_at = ? WHERE id = ?`).run(
        update.error,
        update.at.getTime(),
        id,
      ),
    );
  }

  async markSent(id: string, update: { at: Date; messageId: string }): Promise<void> {
    const at = update.at.getTime();
    await this.writes.run(() =>
      this.statement(
        `UPDATE requests SET status = 'sent', attempts = attempts + 1, sent_at = ?, message_id = ?, updated_at = ?
           WHERE id = ?`,
      ).run(at, update.messageId, at, id),
    );
  }

  async markFailed(id: string, update: { at: Date; error: string }): Promise<void> {
    await this.writes.run(() =>
      this.statement(
        `UPDATE requests SET status = 'failed', attempts = attempts + 1, last_error = ?, updated_at = ? WHERE id = ?`,
      ).run(update.error, update.at.getTime(), id),
    );
  }
}
