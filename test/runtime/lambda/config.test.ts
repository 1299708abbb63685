import { describe, expect, it } from 'vitest';

import { ConfigurationError } from '../../../src/core/errors.js';
import { LAMBDA_MAX_UPLOAD_BYTES, readApiConfig } from '../../../src/runtime/lambda/config.js';

const REQUIRED = { QRMAIL_BUCKET: 'qrmail-dev-codes', QRMAIL_TABLE: 'qrmail-dev' };

describe('readApiConfig uploads', () => {
  it('defaults fit the Lambda payload', () => {
    expect(readApiConfig(REQUIRED)).toMatchObject({
      maxUploadBytes: LAMBDA_MAX_UPLOAD_BYTES,
      maxUploadPixelsPerSide: 8192,
      linkTtlDays: undefined,
      keepImageMetadata: false,
    });
  });

  it('base64 of the largest upload fits 6 MB', () => {
    expect(Math.ceil(LAMBDA_MAX_UPLOAD_BYTES / 3) * 4).toBeLessThan(6_291_456);
  });

  it('reads the upload variables', () => {
    const config = readApiConfig({
      ...REQUIRED,
      QRMAIL_MAX_UPLOAD_BYTES: '1048576',
      QRMAIL_MAX_UPLOAD_PIXELS: '2048',
      QRMAIL_LINK_TTL_DAYS: '0.5',
      QRMAIL_KEEP_IMAGE_METADATA: 'true',
    });
    expect(config).toMatchObject({
      maxUploadBytes: 1_048_576,
      maxUploadPixelsPerSide: 2048,
      linkTtlDays: 0.5,
      keepImageMetadata: true,
    });
  });

  it.each([
    ['QRMAIL_MAX_UPLOAD_BYTES', String(LAMBDA_MAX_UPLOAD_BYTES + 1), /at most 4194304/],
    ['QRMAIL_MAX_UPLOAD_BYTES', '0', /positive whole number/],
    ['QRMAIL_MAX_UPLOAD_PIXELS', '-5', /positive whole number/],
    ['QRMAIL_LINK_TTL_DAYS', '0', /positive number/],
    ['QRMAIL_LINK_TTL_DAYS', 'week', /positive number/],
    ['QRMAIL_KEEP_IMAGE_METADATA', 'yes', /true or false/],
  ])('rejects %s=%s', (name, value, message) => {
    const read = () => readApiConfig({ ...REQUIRED, [name]: value });
    expect(read).toThrow(ConfigurationError);
    expect(read).toThrow(message);
  });
});
