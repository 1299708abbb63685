import { open } from 'node:fs/promises';

/** Callers waiting for one path's flush. */
interface FlushQueue {
  running: boolean;
  waiting: { resolve: () => void; reject: (error: unknown) => void }[];
}

/**
 * Flushes files and folders to disk with fsync in libuv's thread pool. Callers of one path share
 * an fsync: a caller's writes happened before its call, so any fsync that starts after the call
 * covers them. Callers that arrive while an fsync runs wait for the next one, which serves them all.
 */
export class SharedFsync {
  private readonly paths = new Map<string, FlushQueue>();

  /** Resolves once everything written to `path` before the call is on disk. */
  flush(path: string): Promise<void> {
    let queue = this.paths.get(path);
    if (queue === undefined) {
      queue = { running: false, waiting: [] };
      this.paths.set(path, queue);
    }
    const waiting = queue.waiting;
    const promise = new Promise<void>((resolve, reject) => waiting.push({ resolve, reject }));
    if (!queue.running) void this.run(path, queue);
    return promise;
  }

  private async run(path: string, queue: FlushQueue): Promise<void> {
    queue.running = true;
    while (queue.waiting.length > 0) {
      const waiting = queue.waiting;
      queue.waiting = [];
      try {
        // fsync flushes the file, not the descriptor, so a descriptor of its own reaches data
        // that another descriptor (SQLite's, or a closed one) wrote.
        const handle = await open(path, 'r');
        try {
          await handle.sync();
        } finally {
          await handle.close();
        }
        for (const caller of waiting) caller.resolve();
      } catch (error) {
        for (const caller of waiting) caller.reject(error);
      }
    }
    queue.running = false;
    this.paths.delete(path);
  }
}
