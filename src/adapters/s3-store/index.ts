import { GetObjectCommand, NoSuchKey, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';

import { metadataProblem } from '../../core/metadata.js';
import type { ObjectStore, PutObjectInput, StoredObject } from '../../core/ports.js';

/** Raised for metadata that S3 would reject, before anything is sent. */
export class InvalidMetadataError extends Error {
  override readonly name = 'InvalidMetadataError';
}

/** Raised when S3 returns fewer or more bytes than it announced. */
export class IncompleteObjectError extends Error {
  override readonly name = 'IncompleteObjectError';
}

/**
 * The object store on Amazon S3. S3 itself emits the ObjectCreated events, through the bucket's
 * notification to SQS, so `put` only uploads.
 */
export class S3ObjectStore implements ObjectStore {
  readonly bucket: string;
  private readonly client: S3Client;

  constructor(options: { client: S3Client; bucket: string }) {
    this.client = options.client;
    this.bucket = options.bucket;
  }

  async put(input: PutObjectInput): Promise<{ eTag: string; versionId: string | undefined }> {
    checkMetadata(input.metadata);
    const output = await this.client.send(
      new PutObjectCommand({
        Bucket: this.bucket,
        Key: input.key,
        // A Buffer, not a stream: the SDK then sends a plain body with a Content-Length.
        Body: Buffer.from(input.body.buffer, input.body.byteOffset, input.body.byteLength),
        ContentType: input.contentType,
        Metadata: input.metadata,
      }),
    );
    return { eTag: output.ETag ?? '', versionId: output.VersionId };
  }

  /** Signs a GET of the object for `seconds` with the client's credentials; no request is sent. */
  async presignGet(key: string, seconds: number): Promise<string> {
    return getSignedUrl(this.client, new GetObjectCommand({ Bucket: this.bucket, Key: key }), { expiresIn: seconds });
  }

  async get(key: string, options: { versionId?: string } = {}): Promise<StoredObject | undefined> {
    let output;
    try {
      output = await this.client.send(
        new GetObjectCommand({
          Bucket: this.bucket,
          Key: key,
          ...(options.versionId === undefined ? {} : { VersionId: options.versionId }),
        }),
      );
    } catch (error) {
      if (error instanceof NoSuchKey || (error as { name?: string }).name === 'NoSuchKey') return undefined;
      throw error;
    }

    // Reading the body to the end releases the socket; an unread body keeps it from the pool.
    const body = output.Body ? await output.Body.transformToByteArray() : new Uint8Array();
    if (output.ContentLength !== undefined && body.length !== output.ContentLength) {
      throw new IncompleteObjectError(
        `s3://${this.bucket}/${key} announced ${output.ContentLength} bytes but returned ${body.length}`,
      );
    }

    return {
      key,
      body,
      contentType: output.ContentType ?? 'application/octet-stream',
      metadata: output.Metadata ?? {},
      eTag: output.ETag ?? '',
      versionId: output.VersionId,
    };
  }
}

function checkMetadata(metadata: Record<string, string>): void {
  const problem = metadataProblem(metadata);
  if (problem !== undefined) throw new InvalidMetadataError(problem);
}
