import { RateLimitError, RequestError } from './errors.js';
import { newRequestId, qrObjectKey, svgObjectKey } from './ids.js';
import { encodeQrMetadata, SVG_METADATA_KEY } from './metadata.js';
import type { Clock, Logger, LogoRenderer, ObjectStore, QrVerifier, RateLimiter, RequestRecords } from './ports.js';
import { renderCode, renderCodePngAsync, verifyCode, VERIFY_MODULE_PIXELS } from './render.js';
import { parseQrRequest } from './schema.js';

/** Dependencies of the accept flow. */
export interface AcceptDependencies {
  store: ObjectStore;
  records: RequestRecords;
  verifier: QrVerifier;
  /** Draws logos; without it, a request with a logo is rejected. */
  logos?: LogoRenderer;
  /** Counts requests per recipient; without it, recipients are not limited. */
  limiter?: RateLimiter;
  recipientLimits?: RecipientLimits;
  clock: Clock;
  logger: Logger;
  newId?: () => string;
}

/** How many emails one address may be sent, so the service cannot be used to flood someone. */
export interface RecipientLimits {
  perHour: number;
  perDay: number;
}

/** An accepted request: its code is stored, and the mailer will send it. */
export interface AcceptedRequest {
  id: string;
  objectKey: string;
  status: 'queued';
  createdAt: Date;
  format: 'png' | 'svg';
}

/**
 * Accepts a QR code request: validates the body, renders the code of the exact URL, checks that
 * an independent decoder reads it back, records the request, and stores the image with the url
 * and email as metadata. The store's ObjectCreated event for the PNG starts the mailer; this flow
 * never sends mail itself. An SVG, when asked for, is stored first, beside the PNG.
 */
export async function acceptQrRequest(deps: AcceptDependencies, body: unknown): Promise<AcceptedRequest> {
  const request = parseQrRequest(body);
  const id = (deps.newId ?? newRequestId)();
  const objectKey = qrObjectKey(id);
  const logger = deps.logger.child({ requestId: id, objectKey });
  const wantsSvg = request.options.format === 'svg';

  await checkRecipientLimits(deps, request.email);

  const logos = deps.logos;
  if (request.logo !== undefined && logos === undefined) {
    throw new RequestError(
      'logo_not_supported',
      'This deployment does not draw logos: send the request without "logo".',
      {
        field: 'logo',
      },
    );
  }
  const logo = request.logo === undefined ? undefined : await logos!.parse(request.logo);

  const code = renderCode(request.url, request.options, { png: false, svg: wantsSvg }, 'url');
  const metadata = encodeQrMetadata({ requestId: id, url: request.url, email: request.email });
  if (wantsSvg) metadata[SVG_METADATA_KEY] = '1';
  // Without a logo, the PNG is compressed in libuv's thread pool while the decoder checks the code
  // on this thread. When the check fails, the request ends before the PNG is awaited.
  const compressing = logo === undefined ? renderCodePngAsync(code, request.options) : undefined;
  compressing?.catch(() => undefined);
  if (logo !== undefined) {
    code.png = await logos!.png(code.symbol, request.options, code.moduleSize, logo);
    if (code.svg !== undefined) code.svg = await logos!.svg(code.svg, code.symbol, request.options, logo);
  }
  try {
    const raster =
      logo === undefined ? undefined : await logos!.raster(code.symbol, request.options, VERIFY_MODULE_PIXELS, logo);
    await verifyCode(deps.verifier, code.symbol, request.options, request.url, raster);
  } catch (error) {
    if (error instanceof RequestError)
      logger.error({ error: error.message, options: request.options }, 'code failed verification');
    throw error;
  }

  if (compressing !== undefined) code.png = await compressing;

  const createdAt = deps.clock.now();
  // The record comes first, so the mailer always finds it when the event arrives.
  await deps.records.create({ id, objectKey, createdAt });
  try {
    if (code.svg !== undefined) {
      await deps.store.put({
        key: svgObjectKey(objectKey),
        body: Buffer.from(code.svg),
        contentType: 'image/svg+xml',
        metadata,
      });
    }
    await deps.store.put({ key: objectKey, body: code.png!, contentType: 'image/png', metadata });
  } catch (error) {
    await deps.records.delete(id);
    throw error;
  }

  logger.info(
    { bytes: code.png!.length, version: code.symbol.version, format: request.options.format },
    'request accepted',
  );
  return { id, objectKey, status: 'queued', createdAt, format: request.options.format };
}

async function checkRecipientLimits(deps: AcceptDependencies, email: string): Promise<void> {
  if (deps.limiter === undefined || deps.recipientLimits === undefined) return;
  // Addresses differ in case only in the domain, which is case-insensitive; folding all is the safe side.
  const recipient = email.toLowerCase();
  const limits = [
    { name: 'recipient-hour', max: deps.recipientLimits.perHour, windowSeconds: 3600, period: 'an hour' },
    { name: 'recipient-day', max: deps.recipientLimits.perDay, windowSeconds: 86_400, period: 'a day' },
  ];
  for (const limit of limits) {
    const decision = await deps.limiter.consume(recipient, limit);
    if (!decision.allowed) {
      throw new RateLimitError(
        `This address was sent ${limit.max} codes in ${limit.period}, the most allowed; try again in ${decision.retryAfterSeconds} seconds.`,
        decision.retryAfterSeconds,
      );
    }
  }
}
