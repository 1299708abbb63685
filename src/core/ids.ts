import { randomUUID } from 'node:crypto';

/** Request ids are random UUIDs (122 random bits), so they cannot be guessed from one another. */
export function newRequestId(): string {
  return randomUUID();
}

const REQUEST_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** Checks whether `value` has the form of a request id. */
export function isRequestId(value: string): boolean {
  return REQUEST_ID.test(value);
}

/** The prefix under which QR codes are stored; the mailer's events are filtered to it. */
export const QR_KEY_PREFIX = 'qrcodes/';

/** Returns the key of a code's SVG, stored beside its PNG. */
export function svgObjectKey(pngKey: string): string {
  return pngKey.replace(/\.png$/, '.svg');
}

/** Returns the object key of a request's QR code, made from its id and never from user input. */
export function qrObjectKey(requestId: string): string {
  return `${QR_KEY_PREFIX}${requestId}.png`;
}
