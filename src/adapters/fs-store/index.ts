import { createHash, randomBytes } from 'node:crypto';
import { readFile as readFileCallback, writeFile as writeFileCallback } from 'node:fs';
import { mkdir, rename } from 'node:fs/promises';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { promisify } from 'node:util';

import { objectCreatedRecord, type S3EventRecord } from '../../core/events.js';
import { metadataProblem } from '../../core/metadata.js';
import type { ObjectStore, PutObjectInput, StoredObject } from '../../core/ports.js';
import { SharedFsync } from '../shared-fsync/index.js';

/** Receives each ObjectCreated record after the object is durably stored. */
export type ObjectCreatedListener = (record: S3EventRecord) => Promise<void> | void;

/** Options of the filesystem store. */
export interface FsObjectStoreOptions {
  /** Folder of the store; each bucket is a folder below it. */
  root: string;
  bucket: string;
  /** Called once per stored object, before `put` returns. */
  onObjectCreated: ObjectCreatedListener;
  /** Region name written into events. Default `local`. */
  region?: string;
}

/** The sidecar file that keeps what S3 keeps beside an object's bytes. */
interface ObjectAttributes {
  contentType: string;
  metadata: Record<string, string>;
  eTag: string;
  size: number;
  lastModified: string;
}

// The callback forms cost less CPU than the promise forms in Node.js 20: reading a 1 KB file took
// about 100 µs against 110 to 140 µs in a loop on a 2-core machine (an estimate from one run).
const readFile = promisify(readFileCallback);
const writeFile = promisify(writeFileCallback);

/** Raised for a key or metadata that S3 would refuse, or that would leave the store's folder. */
export class InvalidObjectError extends Error {
  override readonly name = 'InvalidObjectError';
}

/**
 * An S3-like object store on the local filesystem. Bytes live under `<root>/<bucket>/data/<key>`,
 * content type and user metadata under `<root>/<bucket>/meta/<key>.json`. Each file is written to
 * a temporary name, flushed to disk and renamed, so a crash leaves either the old state or the new.
 */
export class FsObjectStore implements ObjectStore {
  readonly bucket: string;
  private readonly dataRoot: string;
  private readonly metaRoot: string;
  private readonly onObjectCreated: ObjectCreatedListener;
  private readonly region: string;
  private lastSequence = 0n;
  /** Folders known to exist, so each is created once. */
  private readonly folders = new Set<string>();
  private readonly folderFlusher = new SharedFsync();

  constructor(options: FsObjectStoreOptions) {
    this.bucket = options.bucket;
    const bucketRoot = resolve(options.root, options.bucket);
    this.dataRoot = join(bucketRoot, 'data');
    this.metaRoot = join(bucketRoot, 'meta');
    this.onObjectCreated = options.onObjectCreated;
    this.region = options.region ?? 'local';
  }

  async put(input: PutObjectInput): Promise<{ eTag: string; versionId: string | undefined }> {
    const dataPath = this.pathFor(this.dataRoot, input.key, '');
    const metaPath = this.pathFor(this.metaRoot, input.key, '.json');
    checkMetadata(input.metadata);

    // A single-part S3 upload's ETag is the quoted MD5 of its body.
    const eTag = `"${createHash('md5').update(input.body).digest('hex')}"`;
    const attributes: ObjectAttributes = {
      contentType: input.contentType,
      metadata: { ...input.metadata },
      eTag,
      size: input.body.length,
      lastModified: new Date().toISOString(),
    };

    await Promise.all([
      this.writeDurably(dataPath, input.body),
      this.writeDurably(metaPath, Buffer.from(JSON.stringify(attributes))),
    ]);

    await this.onObjectCreated(
      objectCreatedRecord({
        bucket: this.bucket,
        key: input.key,
        size: input.body.length,
        eTag: eTag.slice(1, -1),
        versionId: undefined,
        sequencer: this.nextSequencer(),
        time: new Date(attributes.lastModified),
        region: this.region,
      }),
    );
    return { eTag, versionId: undefined };
  }

  async get(key: string, options: { versionId?: string } = {}): Promise<StoredObject | undefined> {
    // NOTE: the store keeps one version of each key, so a request for a named version gets the
    // current one. For a generated key that is the only version this store ever wrote.
    void options;
    let dataPath: string;
    let metaPath: string;
    try {
      dataPath = this.pathFor(this.dataRoot, key, '');
      metaPath = this.pathFor(this.metaRoot, key, '.json');
    } catch (error) {
      // No object can have a key that put rejects, so reading one finds nothing, as S3's NoSuchKey.
      if (error instanceof InvalidObjectError) return undefined;
      throw error;
    }

    let attributes: ObjectAttributes;
    let body: Buffer;
    try {
      attributes = JSON.parse(await readFile(metaPath, 'utf8')) as ObjectAttributes;
      body = await readFile(dataPath);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }

    return {
      key,
      body,
      contentType: attributes.contentType,
      metadata: attributes.metadata,
      eTag: attributes.eTag,
      versionId: undefined,
    };
  }

  /**
   * Writes a file to a temporary name, flushes it, renames it into place and flushes its folder,
   * so that a crash leaves either no file or the whole file.
   */
  private async writeDurably(path: string, content: Uint8Array): Promise<void> {
    const folder = dirname(path);
    if (!this.folders.has(folder)) {
      await mkdir(folder, { recursive: true });
      this.folders.add(folder);
    }
    const temporary = `${path}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
    // `flush` calls fsync before the file is closed.
    await writeFile(temporary, content, { flush: true });
    await rename(temporary, path);
    // The rename itself is durable only once the folder is flushed.
    await this.folderFlusher.flush(folder);
  }

  /** Maps a key to a path, rejecting any key that would resolve outside `base`. */
  private pathFor(base: string, key: string, suffix: string): string {
    if (
      key === '' ||
      key.includes('\0') ||
      key.split('/').some((part) => part === '' || part === '.' || part === '..')
    ) {
      throw new InvalidObjectError(`object key ${JSON.stringify(key)} is empty or has an empty, "." or ".." segment`);
    }
    const path = resolve(base, key + suffix);
    const inside = relative(base, path);
    if (inside.startsWith(`..${sep}`) || inside === '..' || resolve(base, inside) !== path) {
      throw new InvalidObjectError(`object key ${JSON.stringify(key)} leaves the store's folder`);
    }
    return path;
  }

  /** Sequencers order the events of one bucket: hexadecimal, increasing, as S3's are. */
  private nextSequencer(): string {
    const now = BigInt(Date.now()) * 1_000_000n;
    this.lastSequence = now > this.lastSequence ? now : this.lastSequence + 1n;
    return this.lastSequence.toString(16).toUpperCase().padStart(16, '0');
  }
}

function checkMetadata(metadata: Record<string, string>): void {
  const problem = metadataProblem(metadata);
  if (problem !== undefined) throw new InvalidObjectError(problem);
}
