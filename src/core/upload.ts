import { randomBytes } from 'node:crypto';

import { acceptQrRequest, type AcceptDependencies, type AcceptedRequest } from './accept.js';
import { RequestError } from './errors.js';
import type { ImageChecker } from './ports.js';
import { parseQrRequest } from './schema.js';

/** Dependencies of the upload flow: the accept flow's, the image checker, and link settings. */
export interface UploadDependencies extends AcceptDependencies {
  images: ImageChecker;
  /** Days a short link works; undefined means it never expires. */
  linkTtlDays: number | undefined;
}

/** An uploaded image and its accepted QR code request. */
export interface AcceptedUpload extends AcceptedRequest {
  link: string;
  linkId: string;
}

/** Key prefix of uploaded images; the mailer's events are filtered to QR codes, so these start nothing. */
export const UPLOAD_KEY_PREFIX = 'uploads/';
/** Metadata key of the time a link stops working, as an ISO 8601 string. */
export const EXPIRES_METADATA_KEY = 'expires-at';

const LINK_ID = /^[A-Za-z0-9_-]{22}$/;

/** Checks whether `value` has the form of a short link id: 22 base64url characters, 128 random bits. */
export function isLinkId(value: string): boolean {
  return LINK_ID.test(value);
}

/** Returns the object key of an uploaded image. */
export function uploadObjectKey(linkId: string): string {
  return `${UPLOAD_KEY_PREFIX}${linkId}`;
}

/**
 * Stores an uploaded image under a generated key and accepts a QR code request for its short
 * link, which is then emailed as usual. `fields` contains the email and any render options.
 */
export async function acceptUpload(
  deps: UploadDependencies,
  upload: { bytes: Uint8Array; declaredType: string | undefined; fields: Record<string, unknown> },
  linkBaseUrl: string,
): Promise<AcceptedUpload> {
  const linkId = randomBytes(16).toString('base64url');
  const link = `${linkBaseUrl.replace(/\/+$/, '')}/i/${linkId}`;
  const body = { ...upload.fields, url: link };

  // Every check of the request runs before the image is stored, so a rejected request stores nothing.
  parseQrRequest(body);
  await storeUpload(deps, upload, linkId);

  // NOTE: a request that fails after this point (a rate limit, an unscannable code) leaves the
  // image stored with no email linking to it. A lifecycle rule or TTL should clear such objects.
  const accepted = await acceptQrRequest(deps, body);
  deps.logger.info({ requestId: accepted.id, linkId }, 'image uploaded and code accepted');
  return { ...accepted, link, linkId };
}

/** Stores an uploaded image for a short link without making or sending a code; returns the link. */
export async function linkUpload(
  deps: Pick<UploadDependencies, 'images' | 'store' | 'clock' | 'linkTtlDays' | 'logger'>,
  upload: { bytes: Uint8Array; declaredType: string | undefined },
  linkBaseUrl: string,
): Promise<{ link: string; linkId: string }> {
  const linkId = randomBytes(16).toString('base64url');
  await storeUpload(deps, upload, linkId);
  deps.logger.info({ linkId }, 'image uploaded');
  return { link: `${linkBaseUrl.replace(/\/+$/, '')}/i/${linkId}`, linkId };
}

async function storeUpload(
  deps: Pick<UploadDependencies, 'images' | 'store' | 'clock' | 'linkTtlDays'>,
  upload: { bytes: Uint8Array; declaredType: string | undefined },
  linkId: string,
): Promise<void> {
  const image = await deps.images.check(upload.bytes, upload.declaredType);
  const metadata: Record<string, string> = { width: String(image.width), height: String(image.height) };
  if (deps.linkTtlDays !== undefined) {
    metadata[EXPIRES_METADATA_KEY] = new Date(deps.clock.now().getTime() + deps.linkTtlDays * 86_400_000).toISOString();
  }
  await deps.store.put({ key: uploadObjectKey(linkId), body: image.body, contentType: image.contentType, metadata });
}

/** Raised for a short link past its expiry (HTTP 410). */
export class LinkExpiredError extends RequestError {
  constructor(linkId: string) {
    super('link_expired', `The link ${linkId} has expired; ask the sender for a new one.`, { status: 410 });
  }
}
