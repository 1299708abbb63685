import type { Database } from 'better-sqlite3';

/** Runs write statements against one SQLite database; the promise settles once they are committed. */
export interface SqliteWriter {
  run<T>(write: () => T): Promise<T>;
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
 * Group commit: writes requested close together share one transaction, so with
 * `synchronous = FULL` they share one flush to disk. The commit runs on the next turn of the
 * event loop, or `intervalMs` after the previous commit ended if that is later. Writes that arrive
 * meanwhile join it, which trades a few milliseconds of latency under load for far fewer commits.
 * Each write runs in its own savepoint, so a write that throws rolls back alone and rejects only
 * its own promise. Every promise settles after the commit returns. better-sqlite3 has no such
 * mode, so it is built here over its nested transactions.
 */
export class GroupCommit implements SqliteWriter {
  private readonly db: Database;
  private readonly intervalMs: number;
  private pending: PendingWrite[] = [];
  private scheduled = false;
  private lastCommitEnd = -Infinity;

  constructor(db: Database, options: { intervalMs?: number } = {}) {
    this.db = db;
    this.intervalMs = options.intervalMs ?? 2;
  }

  run<T>(write: () => T): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.pending.push({ write, resolve: resolve as (value: unknown) => void, reject });
      if (!this.scheduled) {
        this.scheduled = true;
        const wait = this.lastCommitEnd + this.intervalMs - performance.now();
        if (wait > 0) setTimeout(() => this.flush(), wait);
        else setImmediate(() => this.flush());
      }
    });
  }

  private flush(): void {
    this.scheduled = false;
    const batch = this.pending;
    this.pending = [];
    const outcomes: { ok: boolean; value: unknown }[] = [];
    try {
      this.db.transaction(() => {
        for (const item of batch) {
          try {
            // A transaction inside a transaction is a savepoint in better-sqlite3.
            outcomes.push({ ok: true, value: this.db.transaction(item.write)() });
          } catch (error) {
            outcomes.push({ ok: false, value: error });
          }
        }
      })();
    } catch (error) {
      // The commit itself failed, so none of the writes is stored.
      for (const item of batch) item.reject(error);
      return;
    } finally {
      this.lastCommitEnd = performance.now();
    }
    batch.forEach((item, index) => {
      const outcome = outcomes[index]!;
      if (outcome.ok) item.resolve(outcome.value);
      else item.reject(outcome.value);
    });
  }
}
