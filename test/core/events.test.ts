import { describe, expect, it } from 'vitest';

import {
  decodeEventKey,
  encodeEventKey,
  isS3EventRecord,
  objectCreatedRecord,
  type CreatedObject,
} from '../../src/core/events.js';

describe('encodeEventKey', () => {
  it('encodeEventKey space becomes plus', () => {
    expect(encodeEventKey('qrcodes/my code.png')).toBe('qrcodes/my+code.png');
  });

  it('encodeEventKey keeps slashes', () => {
    expect(encodeEventKey('a/b/c.png')).toBe('a/b/c.png');
  });

  it('encodeEventKey literal plus escaped', () => {
    expect(encodeEventKey('qrcodes/a+b.png')).toBe('qrcodes/a%2Bb.png');
  });

  it('decodeEventKey escaped plus is plus', () => {
    expect(decodeEventKey('qrcodes/a%2Bb.png')).toBe('qrcodes/a+b.png');
  });

  it('decodeEventKey plus is space', () => {
    expect(decodeEventKey('qrcodes/my+code.png')).toBe('qrcodes/my code.png');
  });

  it('encodeEventKey escapes parentheses', () => {
    expect(encodeEventKey('qrcodes/a (1).png')).toBe('qrcodes/a+%281%29.png');
  });

  it('decodeEventKey decodes exactly once', () => {
    const key = 'qrcodes/literal%2B.png';
    const encoded = encodeEventKey(key);

    expect(encoded).toBe('qrcodes/literal%252B.png');
    expect(decodeEventKey(encoded)).toBe(key);
  });

  const keys = [
    'qrcodes/3f2504e0-4f89-41d3-9a0c-0305e82c3301.png',
    'qrcodes/my code.png',
    'qrcodes/a+b.png',
    'qrcodes/%2B.png',
    'qrcodes/%20 %2520.png',
    'qrcodes/(copy) 2.png',
    'qrcodes/wow!.png',
    'qrcodes/*star*.png',
    "qrcodes/it's.png",
    'qrcodes/~tilde_-.png',
    'qrcodes/a&b=c?d#e.png',
    'qrcodes/Zürich.png',
    'qrcodes/你好/帅.png',
    'qrcodes/Здравствуйте.png',
    'qrcodes/😀👍🏽.png',
    'qrcodes//double/slash/',
  ];

  for (const key of keys) {
    it(`event key ${JSON.stringify(key)} round-trips`, () => {
      expect(decodeEventKey(encodeEventKey(key))).toBe(key);
    });

    it(`event key ${JSON.stringify(key)} is URL-safe`, () => {
      expect(encodeEventKey(key)).toMatch(/^[A-Za-z0-9\-_.~%+/]*$/);
    });
  }
});

describe('objectCreatedRecord', () => {
  const object: CreatedObject = {
    bucket: 'qrmail-images',
    key: 'qrcodes/my code+1.png',
    size: 1234,
    eTag: '0123456789abcdef0123456789abcdef',
    versionId: undefined,
    sequencer: '0055AED6DCD90281E5',
    time: new Date('2024-05-01T12:34:56.789Z'),
    region: 'eu-west-1',
  };
  const record = objectCreatedRecord(object);

  it('objectCreatedRecord event fields', () => {
    expect(record.eventVersion).toBe('2.1');
    expect(record.eventSource).toBe('aws:s3');
    expect(record.eventName).toBe('ObjectCreated:Put');
    expect(record.awsRegion).toBe('eu-west-1');
    expect(record.eventTime).toBe('2024-05-01T12:34:56.789Z');
  });

  it('objectCreatedRecord bucket fields', () => {
    expect(record.s3.s3SchemaVersion).toBe('1.0');
    expect(record.s3.bucket.name).toBe('qrmail-images');
    expect(record.s3.bucket.arn).toBe('arn:aws:s3:::qrmail-images');
  });

  it('objectCreatedRecord object fields', () => {
    expect(record.s3.object.key).toBe('qrcodes/my+code%2B1.png');
    expect(record.s3.object.size).toBe(1234);
    expect(record.s3.object.eTag).toBe('0123456789abcdef0123456789abcdef');
    expect(record.s3.object.sequencer).toBe('0055AED6DCD90281E5');
  });

  it('objectCreatedRecord omits missing versionId', () => {
    expect(Object.keys(record.s3.object)).not.toContain('versionId');
  });

  it('objectCreatedRecord keeps versionId', () => {
    const versioned = objectCreatedRecord({ ...object, versionId: 'v1' });

    expect(versioned.s3.object.versionId).toBe('v1');
  });

  it('objectCreatedRecord survives JSON', () => {
    const parsed = JSON.parse(JSON.stringify({ Records: [record] })) as { Records: (typeof record)[] };

    expect(parsed.Records[0]).toEqual(record);
    expect(decodeEventKey(parsed.Records[0]!.s3.object.key)).toBe(object.key);
  });
});

describe('isS3EventRecord', () => {
  /** The smallest record the mailer can act on. */
  const minimal = { eventName: 'ObjectCreated:Put', s3: { bucket: { name: 'b' }, object: { key: 'qrcodes/a.png' } } };

  /** Returns `minimal` with the value at `path` replaced, or removed when `value` is omitted. */
  function changed(path: string[], ...value: unknown[]): unknown {
    const copy = structuredClone(minimal) as Record<string, unknown>;
    let parent = copy;
    for (const name of path.slice(0, -1)) parent = parent[name] as Record<string, unknown>;
    const last = path[path.length - 1]!;
    if (value.length === 0) delete parent[last];
    else parent[last] = value[0];
    return copy;
  }

  it('isS3EventRecord accepts a built record', () => {
    const record = objectCreatedRecord({
      bucket: 'b',
      key: 'qrcodes/a.png',
      size: 1,
      eTag: 'e',
      versionId: 'v1',
      sequencer: 's',
      time: new Date(0),
      region: 'eu-west-1',
    });

    expect(isS3EventRecord(JSON.parse(JSON.stringify(record)))).toBe(true);
  });

  it('isS3EventRecord ignores extra fields', () => {
    expect(isS3EventRecord(minimal)).toBe(true);
    expect(isS3EventRecord({ ...minimal, extra: [1], s3: { ...minimal.s3, extra: null } })).toBe(true);
  });

  const rejected: [string, unknown][] = [
    ['null', null],
    ['a string', 'ObjectCreated:Put'],
    ['an array', [minimal]],
    ['no eventName', changed(['eventName'])],
    ['a numeric eventName', changed(['eventName'], 1)],
    ['no s3', changed(['s3'])],
    ['s3 as an array', changed(['s3'], [])],
    ['no bucket', changed(['s3', 'bucket'])],
    ['a bucket without a name', changed(['s3', 'bucket', 'name'])],
    ['a null bucket name', changed(['s3', 'bucket', 'name'], null)],
    ['no object', changed(['s3', 'object'])],
    ['an object without a key', changed(['s3', 'object', 'key'])],
    ['a numeric key', changed(['s3', 'object', 'key'], 5)],
    ['a null eTag', changed(['s3', 'object', 'eTag'], null)],
    ['a numeric versionId', changed(['s3', 'object', 'versionId'], 2)],
  ];
  for (const [name, value] of rejected) {
    it(`isS3EventRecord rejects ${name}`, () => {
      expect(isS3EventRecord(value)).toBe(false);
    });
  }
});
