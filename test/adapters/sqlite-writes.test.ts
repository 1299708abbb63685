import { join } from 'node:path';

import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';

import { GroupCommit, immediateWrites, type SqliteWriter } from '../../src/adapters/sqlite-writes/index.js';
import { makeTempDir } from '../support/temp.js';

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0).reverse()) cleanup();
});

/** Opens a database file with one table, and a second connection that reads only committed rows. */
function openDatabase(): { db: Database.Database; reader: Database.Database } {
  const folder = makeTempDir();
  const path = join(folder.path, 'writes.db');
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.exec('CREATE TABLE items (name TEXT PRIMARY KEY)');
  const reader = new Database(path, { readonly: true });
  cleanups.push(
    folder.remove,
    () => db.close(),
    () => reader.close(),
  );
  return { db, reader };
}

const committed = (reader: Database.Database): string[] =>
  (reader.prepare('SELECT name FROM items ORDER BY name').all() as { name: string }[]).map((row) => row.name);

function insert(db: Database.Database, writes: SqliteWriter, name: string): Promise<string> {
  return writes.run(() => {
    db.prepare('INSERT INTO items (name) VALUES (?)').run(name);
    return name;
  });
}

describe('GroupCommit', () => {
  it('shares one commit per turn', async () => {
    const { db, reader } = openDatabase();
    const writes = new GroupCommit(db);
    let seenDuringSecond: string[] | undefined;

    const first = insert(db, writes, 'a');
    const second = writes.run(() => {
      // The first insert is in the same open transaction, so another connection cannot see it yet.
      seenDuringSecond = committed(reader);
      db.prepare('INSERT INTO items (name) VALUES (?)').run('b');
    });
    expect(committed(reader)).toEqual([]);

    await Promise.all([first, second]);
    expect(seenDuringSecond).toEqual([]);
    expect(committed(reader)).toEqual(['a', 'b']);
  });

  it('resolves results after the commit', async () => {
    const { db, reader } = openDatabase();
    const writes = new GroupCommit(db);

    const result = await insert(db, writes, 'a');

    expect(result).toBe('a');
    expect(committed(reader)).toEqual(['a']);
  });

  it('rolls back a failing write alone', async () => {
    const { db, reader } = openDatabase();
    const writes = new GroupCommit(db);

    const good = insert(db, writes, 'a');
    const bad = writes.run(() => {
      db.prepare('INSERT INTO items (name) VALUES (?)').run('half-done');
      db.prepare('INSERT INTO items (name) VALUES (?)').run('a');
    });
    const later = insert(db, writes, 'c');

    await expect(bad).rejects.toThrow(/UNIQUE constraint failed/);
    await expect(good).resolves.toBe('a');
    await expect(later).resolves.toBe('c');
    expect(committed(reader)).toEqual(['a', 'c']);
  });

  it('rejects a batch whose commit fails', async () => {
    const { db, reader } = openDatabase();
    const writes = new GroupCommit(db);

    const first = insert(db, writes, 'a');
    const second = insert(db, writes, 'b');
    // A closed database makes the shared transaction fail before anything is stored.
    db.close();

    await expect(first).rejects.toThrow(/database connection is not open/);
    await expect(second).rejects.toThrow(/database connection is not open/);
    expect(committed(reader)).toEqual([]);
  });

  it('rejects a connection not in WAL mode', () => {
    const { db } = openDatabase();
    db.pragma('journal_mode = DELETE');

    expect(() => new GroupCommit(db)).toThrow(/WAL mode, got journal_mode=delete/);
  });
});

describe('immediateWrites', () => {
  it('commits before run returns', async () => {
    const { db, reader } = openDatabase();
    const writes = immediateWrites(db);

    const pending = insert(db, writes, 'a');
    expect(committed(reader)).toEqual(['a']);
    await expect(pending).resolves.toBe('a');
  });

  it('rejects and discards a failing write', async () => {
    const { db, reader } = openDatabase();
    const writes = immediateWrites(db);

    const failed = writes.run(() => {
      db.prepare('INSERT INTO items (name) VALUES (?)').run('x');
      throw new Error('write failed');
    });

    await expect(failed).rejects.toThrow('write failed');
    expect(committed(reader)).toEqual([]);
  });
});
