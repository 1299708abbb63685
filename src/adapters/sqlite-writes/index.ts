import type { Database, Statement } from 'better-sqlite3';

import { SharedFsync } from '../shared-fsync/index.js';

/** Runs write statements against one SQLite database; the promise settles once they are committed. */
export interface SqliteWriter {
  run<T>(write: () => T): Promise<T>;
}

/** Returns a function that prepares each SQL text once; better-sqlite3 does not cache statements itself. */
export function statementCache(db: Database): (sql: string) => Statement {
  const statements = new Map<string, Statement>();
  return (sql) => {
    let statement = statements.get(sql);
    if (statement === undefined) {
      statement = db.prepare(sql);
      statements.set(sql, statement);
    }
    return statement;
  };
}

/** Runs each write in its own transaction at once, before `run` returns. */
export function immediateWrites(db: Database): SqliteWriter {
  return {
    run<T>(write: () => T): Promise<T> {
      try {
        return Promise.resolve(db.transaction(write)());
      } catch (error) {
        return Promise.reject(error as Error);
      }
    },
  };
}

interface PendingWrite {
  write: () => unknown;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
}

/**
 * Group commit over a WAL-mode connection. Writes requested in one turn of the event loop share
 * one transaction, and each runs in its own savepoint, so a write that throws rolls back alone and
 * rejects only its own promise. The connection runs with `synchronous = NORMAL`, so SQLite's
 * commit returns without waiting for the disk, and the WAL file is then flushed with fsync in
 * libuv's thread pool. Writes resolve only after that flush, which gives them the durability of
 * `synchronous = FULL` without blocking the event loop, and commits that end while a flush runs
 * share the next one. better-sqlite3 has no such mode, so it is built here.
 */
export class GroupCommit implements SqliteWriter {
  private readonly walPath: string;
  private readonly fsync = new SharedFsync();
  /** One transaction over a batch, built once because better-sqlite3 builds a new wrapper per call. */
  private readonly inTransaction: (batch: PendingWrite[]) => { ok: boolean; value: unknown }[];
  private pending: PendingWrite[] = [];
  private scheduled = false;

  constructor(db: Database) {
    const mode = db.pragma('journal_mode', { simple: true }) as string;
    if (mode !== 'wal') {
      throw new Error(
        `GroupCommit needs a database in WAL mode, got journal_mode=${mode}; set journal_mode = WAL first`,
      );
    }
    db.pragma('synchronous = NORMAL');
    this.walPath = `${db.name}-wal`;
    // A transaction inside a transaction is a savepoint in better-sqlite3.
    const inSavepoint = db.transaction((write: () => unknown) => write());
    this.inTransaction = db.transaction((batch: PendingWrite[]) =>
      batch.map((item) => {
        try {
          return { ok: true, value: inSavepoint(item.write) };
        } catch (error) {
          return { ok: false, value: error };
        }
      }),
    );
  }

  run<T>(write: () => T): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.pending.push({ write, resolve: resolve as (value: unknown) => void, reject });
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => this.commit());
      }
    });
  }

  private commit(): void {
    this.scheduled = false;
    const batch = this.pending;
    this.pending = [];
    let outcomes: { ok: boolean; value: unknown }[];
    try {
      outcomes = this.inTransaction(batch);
    } catch (error) {
      // The commit itself failed, so none of the writes is stored.
      for (const item of batch) item.reject(error);
      return;
    }

    this.fsync.flush(this.walPath).then(
      () => {
        batch.forEach((item, index) => {
          const outcome = outcomes[index]!;
          if (outcome.ok) item.resolve(outcome.value);
          else item.reject(outcome.value);
        });
      },
      (error: unknown) => {
        for (const item of batch) item.reject(error);
      },
    );
  }
}
