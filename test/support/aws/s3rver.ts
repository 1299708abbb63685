import { S3Client } from '@aws-sdk/client-s3';
import S3rver from 's3rver';

import { makeTempDir } from '../temp.js';

/** s3rver, a real S3 API server, on 127.0.0.1 with one bucket, and a client set up for it. */
export interface LocalS3 {
  endpoint: string;
  bucket: string;
  /** Path-style client with the fake credentials s3rver accepts. */
  client: S3Client;
  close(): Promise<void>;
}

/** Starts s3rver on an ephemeral port with an empty bucket named `bucket`. */
export async function startLocalS3(bucket = 'qrmail-test-images'): Promise<LocalS3> {
  const folder = makeTempDir('qrmail-s3rver-');
  const server = new S3rver({
    port: 0,
    address: '127.0.0.1',
    directory: folder.path,
    silent: true,
    configureBuckets: [{ name: bucket, configs: [] }],
  });
  const { port } = (await server.run()) as { port: number };
  const endpoint = `http://127.0.0.1:${port}`;
  const client = new S3Client({
    endpoint,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
    // s3rver predates the flexible checksums that recent SDKs add to every upload.
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });

  return {
    endpoint,
    bucket,
    client,
    async close() {
      client.destroy();
      await server.close();
      folder.remove();
    },
  };
}
