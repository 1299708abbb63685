import { describe, expect, it } from 'vitest';

import { RequestError } from '../../src/core/errors.js';
import {
  MAX_METADATA_BYTES,
  decodeMetadataValue,
  decodeQrMetadata,
  encodeMetadataValue,
  encodeQrMetadata,
  metadataBytes,
  type QrObjectMetadata,
} from '../../src/core/metadata.js';

// Visible US-ASCII without the space, which HTTP strips from either end of a header value.
const PRINTABLE_ASCII = /^[\x21-\x7e]*$/;

const FIELDS: QrObjectMetadata = {
  requestId: '3f2504e0-4f89-41d3-9a0c-0305e82c3301',
  url: 'https://example.com/a%20b/c+d?x=1&y=%2B2#frag',
  email: 'someone@example.com',
};

describe('encodeMetadataValue', () => {
  const values: { name: string; value: string }[] = [
    { name: 'accented URL', value: 'https://café.example/ação?q=ç' },
    { name: 'emoji', value: 'https://example.com/😀👍🏽' },
    { name: 'percent sign', value: '100%' },
    { name: 'percent escape', value: 'https://example.com/a%25b' },
    { name: 'spaces', value: ' leading and trailing ' },
    { name: 'plus', value: 'a+b=c' },
    { name: 'control characters', value: 'a\u0000b\tc\r\nd\u007fe\u0085f' },
    { name: 'Cyrillic', value: 'Здравствуйте, добрый день!' },
    { name: 'reserved URL', value: FIELDS.url },
    { name: 'empty', value: '' },
  ];

  for (const { name, value } of values) {
    it(`encodeMetadataValue ${name} is ASCII`, () => {
      expect(encodeMetadataValue(value)).toMatch(PRINTABLE_ASCII);
    });

    it(`encodeMetadataValue ${name} round-trips`, () => {
      expect(decodeMetadataValue(encodeMetadataValue(value))).toBe(value);
    });
  }

  it('encodeMetadataValue keeps plain ASCII', () => {
    expect(encodeMetadataValue('https://example.com/a?b=1&c=d+e')).toBe('https://example.com/a?b=1&c=d+e');
  });

  it('encodeMetadataValue escapes percent', () => {
    expect(encodeMetadataValue('%25')).toBe('%2525');
  });

  it('encodeMetadataValue escapes space', () => {
    expect(encodeMetadataValue('a b')).toBe('a%20b');
  });

  it('decodeMetadataValue rejects malformed escape', () => {
    expect(() => decodeMetadataValue('%E0%A4%A')).toThrow(URIError);
  });
});

describe('encodeQrMetadata', () => {
  it('encodeQrMetadata rejects 2.5 KB URL', () => {
    const url = `https://example.com/${'a'.repeat(2560)}`;
    let error: unknown;
    try {
      encodeQrMetadata({ ...FIELDS, url });
    } catch (caught) {
      error = caught;
    }

    expect(error).toBeInstanceOf(RequestError);
    expect((error as RequestError).code).toBe('url_too_long');
    expect((error as RequestError).field).toBe('url');
    expect((error as RequestError).message).toContain('2048 bytes');
  });

  it('encodeQrMetadata rejects escaped overflow', () => {
    // 600 'é' are 1200 UTF-8 bytes, which are 3600 bytes once percent-encoded.
    const url = `https://example.com/${'é'.repeat(600)}`;

    expect(() => encodeQrMetadata({ ...FIELDS, url })).toThrow(RequestError);
  });

  it('encodeQrMetadata accepts fitting URL', () => {
    const metadata = encodeQrMetadata(FIELDS);

    expect(metadata.url).toBe('https://example.com/a%2520b/c+d?x=1&y=%252B2#frag');
    expect(metadata.email).toBe(FIELDS.email);
    expect(metadata['request-id']).toBe(FIELDS.requestId);
    expect(metadata['qrmail-encoding']).toBe('percent-utf8');
  });

  it('encodeQrMetadata accepts URL at limit', () => {
    const base = encodeQrMetadata({ ...FIELDS, url: '' });
    const url = 'u'.repeat(MAX_METADATA_BYTES - metadataBytes(base));
    const metadata = encodeQrMetadata({ ...FIELDS, url });

    expect(metadataBytes(metadata)).toBe(MAX_METADATA_BYTES);
    expect(() => encodeQrMetadata({ ...FIELDS, url: `${url}u` })).toThrow(RequestError);
  });

  it('encodeQrMetadata values are ASCII', () => {
    const metadata = encodeQrMetadata({ ...FIELDS, url: 'https://例え.jp/パス?q=a b' });

    for (const value of Object.values(metadata)) expect(value).toMatch(PRINTABLE_ASCII);
  });
});

describe('decodeQrMetadata', () => {
  it('decodeQrMetadata round-trips fields', () => {
    const fields = { ...FIELDS, url: 'https://café.example/ação?q=%25 +😀' };

    expect(decodeQrMetadata(encodeQrMetadata(fields))).toEqual(fields);
  });

  const broken: { name: string; change: (metadata: Record<string, string>) => void }[] = [
    { name: 'missing url', change: (metadata) => delete metadata.url },
    { name: 'missing email', change: (metadata) => delete metadata.email },
    { name: 'missing request-id', change: (metadata) => delete metadata['request-id'] },
    { name: 'missing marker', change: (metadata) => delete metadata['qrmail-encoding'] },
    { name: 'unknown marker', change: (metadata) => (metadata['qrmail-encoding'] = 'base64') },
    { name: 'truncated escape', change: (metadata) => (metadata.url = 'https://example.com/%E0%A4%A') },
    { name: 'non-hex escape', change: (metadata) => (metadata.email = 'a%zz@example.com') },
    { name: 'invalid UTF-8 escape', change: (metadata) => (metadata.url = 'https://example.com/%FF') },
  ];

  for (const { name, change } of broken) {
    it(`decodeQrMetadata ${name} is undefined`, () => {
      const metadata = encodeQrMetadata(FIELDS);
      change(metadata);

      expect(decodeQrMetadata(metadata)).toBeUndefined();
    });
  }
});
