import { checkCapacity, encodeQr, renderPng, type ErrorCorrectionLevel } from '../qr/index.js';
import { RequestError } from './errors.js';
import { newRequestId, qrObjectKey } from './ids.js';
import { encodeQrMetadata } from './metadata.js';
import type { Clock, Logger, ObjectStore, RequestRecords } from './ports.js';
import { parseQrRequest } from './schema.js';

/** Dependencies of the accept flow. */
export interface AcceptDependencies {
  store: ObjectStore;
  records: RequestRecords;
  clock: Clock;
  logger: Logger;
  newId?: () => string;
}

/** An accepted request: its code is stored, and the mailer will send it. */
export interface AcceptedRequest {
  id: string;
  objectKey: string;
  status: 'queued';
  createdAt: Date;
}

const ERROR_CORRECTION: ErrorCorrectionLevel = 'M';

/**
 * Accepts a QR code request: validates the body, renders the code of the exact URL as a PNG,
 * records the request, and stores the image with the url and email as metadata. The store's
 * ObjectCreated event starts the mailer; this flow never sends mail itself.
 */
export async function acceptQrRequest(deps: AcceptDependencies, body: unknown): Promise<AcceptedRequest> {
  const request = parseQrRequest(body);

  const capacity = checkCapacity(request.url, ERROR_CORRECTION);
  if (!capacity.fits) {
    throw new RequestError(
      'url_too_long',
      `"url" is ${capacity.length} ${capacity.unit} in UTF-8; a QR code at error correction level ` +
        `${ERROR_CORRECTION} holds at most ${capacity.limit} ${capacity.unit}. Shorten the URL.`,
      { field: 'url' },
    );
  }

  const id = (deps.newId ?? newRequestId)();
  const objectKey = qrObjectKey(id);
  const metadata = encodeQrMetadata({ requestId: id, url: request.url, email: request.email });
  const png = renderPng(encodeQr(request.url, { level: ERROR_CORRECTION }));
  const createdAt = deps.clock.now();
  const logger = deps.logger.child({ requestId: id, objectKey });

  // The record comes first, so the mailer always finds it when the event arrives.
  await deps.records.create({ id, objectKey, createdAt });
  try {
    await deps.store.put({ key: objectKey, body: png, contentType: 'image/png', metadata });
  } catch (error) {
    await deps.records.delete(id);
    throw error;
  }

  logger.info({ bytes: png.length }, 'request accepted');
  return { id, objectKey, status: 'queued', createdAt };
}
