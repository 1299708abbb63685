import { join } from 'node:path';

import Database from 'better-sqlite3';

import { FsObjectStore } from '../../src/adapters/fs-store/index.js';
import { LocalEventQueue } from '../../src/adapters/local-events/index.js';
import { SqliteRequestRecords } from '../../src/adapters/sqlite-records/index.js';
import { ZxingVerifier } from '../../src/adapters/zxing/index.js';
import { systemClock, type ObjectStore } from '../../src/core/ports.js';
import { createApp, type AppOptions } from '../../src/http/app.js';
import { captureLogger } from './log-capture.js';
import { makeTempDir } from './temp.js';

/** The HTTP app over the local adapters in a temporary folder, as the local runtime wires it. */
export interface AppFixture {
  app: ReturnType<typeof createApp>;
  store: ObjectStore;
  queue: LocalEventQueue;
  /** Closes the database and deletes the folder. */
  close(): void;
}

/**
 * Builds the app with a filesystem store, a SQLite queue and records, zxing as the verifier and
 * `https://qr.example.com` as its public URL. `overrides` replaces any option, such as the store.
 */
export function createAppFixture(overrides: Partial<AppOptions> = {}): AppFixture {
  const folder = makeTempDir();
  const db = new Database(join(folder.path, 'qrmail.db'));
  const queue = new LocalEventQueue(db);
  const store =
    overrides.store ??
    new FsObjectStore({
      root: join(folder.path, 'objects'),
      bucket: 'qrmail-images',
      onObjectCreated: (record) => queue.append(record),
    });
  const app = createApp({
    records: new SqliteRequestRecords(db),
    verifier: new ZxingVerifier(),
    clock: systemClock,
    logger: captureLogger().logger,
    publicUrl: 'https://qr.example.com',
    maxBodyBytes: 16 * 1024,
    ...overrides,
    store,
  });
  return {
    app,
    store,
    queue,
    close: () => {
      db.close();
      folder.remove();
    },
  };
}
