import { RequestError } from './errors.js';

/**
 * S3 user metadata travels as HTTP headers, so values must be US-ASCII, and S3 caps the
 * UTF-8 bytes of all keys and values together at 2 KB. Values are stored percent-encoded:
 * `%`, space, control characters and every non-ASCII character become UTF-8 %XX escapes,
 * the rest stays as it is, so `decodeURIComponent` gives back exactly what was stored.
 */
export const MAX_METADATA_BYTES = 2048;

/** Set to `1` on a code whose SVG is stored beside its PNG, for the mailer to attach. */
export const SVG_METADATA_KEY = 'svg';

/** Marks how the values of an object's metadata are encoded. */
export const METADATA_ENCODING_KEY = 'qrmail-encoding';
const METADATA_ENCODING = 'percent-utf8';

/** Fields the mailer reads from a stored QR code's metadata. */
export interface QrObjectMetadata {
  requestId: string;
  url: string;
  email: string;
}

const FIELD_KEYS = { requestId: 'request-id', url: 'url', email: 'email' } as const;

// Printable ASCII except `%`, which must be escaped for decoding to be exact.
const UNSAFE_CHARACTERS = /[^\x21-\x24\x26-\x7e]+/gu;

/** Encodes one value as US-ASCII that `decodeMetadataValue` turns back into the same string. */
export function encodeMetadataValue(value: string): string {
  return value.replace(UNSAFE_CHARACTERS, (run) => encodeURIComponent(run));
}

/** Reverses `encodeMetadataValue`; throws `URIError` on a malformed escape. */
export function decodeMetadataValue(value: string): string {
  return decodeURIComponent(value);
}

/**
 * Returns why S3 would reject `metadata` (a key or value that is not printable US-ASCII, or more
 * than 2 KB in all), or undefined when it is valid. Both object stores check it before writing.
 */
export function metadataProblem(metadata: Record<string, string>): string | undefined {
  for (const [key, value] of Object.entries(metadata)) {
    if (!/^[\x20-\x7e]*$/.test(key) || !/^[\x20-\x7e]*$/.test(value)) {
      return `metadata ${JSON.stringify(key)} is not printable US-ASCII, which S3 requires`;
    }
  }
  const total = metadataBytes(metadata);
  if (total > MAX_METADATA_BYTES) return `metadata is ${total} bytes; S3 allows at most ${MAX_METADATA_BYTES}`;
  return undefined;
}

/** Counts metadata the way S3 does: the UTF-8 bytes of every key and value. */
export function metadataBytes(metadata: Record<string, string>): number {
  let total = 0;
  for (const [key, value] of Object.entries(metadata)) {
    total += Buffer.byteLength(key, 'utf8') + Buffer.byteLength(value, 'utf8');
  }
  return total;
}

/**
 * Builds the stored metadata of a QR code. Throws a `RequestError` naming the limit when the
 * URL is too long to fit, because the URL is the only value a client can make long.
 */
export function encodeQrMetadata(fields: QrObjectMetadata): Record<string, string> {
  const metadata: Record<string, string> = {
    [FIELD_KEYS.requestId]: encodeMetadataValue(fields.requestId),
    [FIELD_KEYS.url]: encodeMetadataValue(fields.url),
    [FIELD_KEYS.email]: encodeMetadataValue(fields.email),
    [METADATA_ENCODING_KEY]: METADATA_ENCODING,
  };

  const total = metadataBytes(metadata);
  if (total > MAX_METADATA_BYTES) {
    const urlBytes = metadata[FIELD_KEYS.url]!.length;
    const urlBudget = MAX_METADATA_BYTES - (total - urlBytes);
    throw new RequestError(
      'url_too_long',
      `url takes ${urlBytes} bytes as stored object metadata, where a space, a % and each UTF-8 byte of a ` +
        `non-ASCII character take 3 bytes. With this email at most ${urlBudget} bytes fit, because object ` +
        `metadata is limited to ${MAX_METADATA_BYTES} bytes. Shorten the URL.`,
      { field: 'url' },
    );
  }
  return metadata;
}

/** Reads the metadata of a stored QR code, or returns `undefined` when a field is missing or malformed. */
export function decodeQrMetadata(metadata: Record<string, string>): QrObjectMetadata | undefined {
  if (metadata[METADATA_ENCODING_KEY] !== METADATA_ENCODING) return undefined;

  const requestId = metadata[FIELD_KEYS.requestId];
  const url = metadata[FIELD_KEYS.url];
  const email = metadata[FIELD_KEYS.email];
  if (requestId === undefined || url === undefined || email === undefined) return undefined;

  try {
    return {
      requestId: decodeMetadataValue(requestId),
      url: decodeMetadataValue(url),
      email: decodeMetadataValue(email),
    };
  } catch {
    return undefined;
  }
}
