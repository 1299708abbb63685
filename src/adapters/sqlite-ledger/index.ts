import type { Database, Statement } from 'better-sqlite3';

import type { ClaimResult, DeliveryLedger } from '../../core/ports.js';
import { immediateWrites, statementCache, type SqliteWriter } from '../sqlite-writes/index.js';

/**
 * The delivery ledger in a SQLite table. Each claim is one INSERT ... ON CONFLICT statement, so
 * two workers, in one process or in two sharing the database file, never both win a claim.
 */
export class SqliteDeliveryLedger implements DeliveryLedger {
  private readonly db: Database;
  private readonly statement: (sql: string) => Statement;
  private readonly writes: SqliteWriter;

  /** `writes` runs the changes; by default each commits on its own before the call returns. */
  constructor(db: Database, writes: SqliteWriter = immediateWrites(db)) {
    this.db = db;
    this.statement = statementCache(db);
    this.writes = writes;
    db.exec(`
      CREATE TABLE IF NOT EXISTS deliveries (
        delivery_key TEXT PRIMARY KEY,
        state TEXT NOT NULL CHECK (state IN ('claimed', 'completed')),
        owner TEXT NOT NULL,
        lease_until INTEGER NOT NULL,
        updated_at INTEGER NOT NULL
      )
    `);
  }

  async claim(deliveryKey: string, owner: string, now: Date, leaseUntil: Date): Promise<ClaimResult> {
    return this.writes.run((): ClaimResult => {
      const claimed = this.statement(
        `INSERT INTO deliveries (delivery_key, state, owner, lease_until, updated_at) VALUES (?, 'claimed', ?, ?, ?)
           ON CONFLICT (delivery_key) DO UPDATE SET owner = excluded.owner, lease_until = excluded.lease_until,
             updated_at = excluded.updated_at
           WHERE deliveries.state = 'claimed' AND deliveries.lease_until <= ?`,
      ).run(deliveryKey, owner, leaseUntil.getTime(), now.getTime(), now.getTime());
      if (claimed.changes === 1) return 'claimed';

      const row = this.statement(`SELECT state FROM deliveries WHERE delivery_key = ?`).get(deliveryKey) as
        { state: 'claimed' | 'completed' } | undefined;
      return row?.state === 'completed' ? 'completed' : 'in_progress';
    });
  }

  async complete(deliveryKey: string, owner: string, at: Date): Promise<void> {
    await this.writes.run(() =>
      this.statement(
        `UPDATE deliveries SET state = 'completed', updated_at = ? WHERE delivery_key = ? AND owner = ?`,
      ).run(at.getTime(), deliveryKey, owner),
    );
  }

  async release(deliveryKey: string, owner: string): Promise<void> {
    await this.writes.run(() =>
      this.statement(`DELETE FROM deliveries WHERE delivery_key = ? AND owner = ? AND state = 'claimed'`).run(
        deliveryKey,
        owner,
      ),
    );
  }

  /**
   * Drops every live claim. Call it at start, while holding the data folder's lock: any claim
   * then belongs to a process that died, perhaps after the SMTP server accepted its email.
   */
  releaseAllClaims(): number {
    return this.statement(`DELETE FROM deliveries WHERE state = 'claimed'`).run().changes;
  }
}
