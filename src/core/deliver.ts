import { randomUUID } from 'node:crypto';

import { composeReadyMail } from '../mail/compose.js';
import { PoisonObjectError, SendError } from './errors.js';
import type { S3EventRecord } from './events.js';
import { decodeEventKey, isS3EventRecord } from './events.js';
import { isRequestId, QR_KEY_PREFIX, svgObjectKey } from './ids.js';
import { decodeQrMetadata, SVG_METADATA_KEY } from './metadata.js';
import type { Clock, DeliveryLedger, Logger, MailTransport, ObjectStore, RequestRecords } from './ports.js';
import { emailProblem } from './email.js';

/** Dependencies and settings of the deliver flow. */
export interface DeliverDependencies {
  store: ObjectStore;
  records: RequestRecords;
  ledger: DeliveryLedger;
  transport: MailTransport;
  clock: Clock;
  logger: Logger;
  /** The From address of every message, such as `qrmail <qrmail@example.com>`. */
  mailFrom: string;
  /** Attempts before a transient failure ends the delivery as failed. */
  maxAttempts: number;
  /** How long a claim on a delivery lasts; longer than the slowest send, timeouts included. */
  leaseSeconds: number;
}

/**
 * The outcome of one delivery attempt. After `retry` and `busy` the event is delivered again, and
 * `busy` uses up no attempt because another worker has the claim. A `parked` event waits for an
 * operator to fix the configuration and replay it. Every other outcome is final.
 */
export type DeliveryOutcome =
  | { result: 'sent'; requestId: string; messageId: string }
  | { result: 'duplicate'; requestId: string }
  | { result: 'ignored'; reason: string }
  | { result: 'retry'; requestId: string; error: SendError }
  | { result: 'busy'; requestId: string }
  | { result: 'parked'; requestId: string; error: SendError }
  | { result: 'failed'; requestId: string; error: SendError }
  | { result: 'poison'; error: PoisonObjectError };

/**
 * Delivers the QR code that an ObjectCreated event names: loads the object and its metadata,
 * checks the address again, composes the email and sends it. `attempt` counts from 1.
 */
export async function deliverObjectCreated(
  deps: DeliverDependencies,
  record: S3EventRecord,
  attempt: number,
): Promise<DeliveryOutcome> {
  if (!isS3EventRecord(record)) return poison(deps.logger, 'event record lacks eventName, bucket name or object key');
  if (!record.eventName.startsWith('ObjectCreated:')) {
    return { result: 'ignored', reason: `event ${record.eventName} is not ObjectCreated` };
  }

  // Keys arrive form-encoded; decoding happens here and nowhere else.
  let key: string;
  try {
    key = decodeEventKey(record.s3.object.key);
  } catch {
    return poison(
      deps.logger,
      `event object key ${JSON.stringify(record.s3.object.key.slice(0, 200))} is not valid URL encoding`,
    );
  }
  const logger = deps.logger.child({ objectKey: key, attempt });
  if (!key.startsWith(QR_KEY_PREFIX) || !key.endsWith('.png')) {
    return { result: 'ignored', reason: `object ${key} is not a QR code` };
  }

  const object = await deps.store.get(key, { versionId: record.s3.object.versionId });
  if (object === undefined) {
    logger.warn({}, 'object named by the event no longer exists; nothing to send');
    return { result: 'ignored', reason: `object ${key} not found` };
  }

  const fields = decodeQrMetadata(object.metadata);
  if (fields === undefined || !isRequestId(fields.requestId)) {
    return poison(logger, `object ${key} lacks valid url, email and request-id metadata`);
  }
  const addressProblem = emailProblem(fields.email);
  if (addressProblem !== undefined) {
    return poison(logger, `object ${key} has an invalid email in its metadata: ${addressProblem}`);
  }

  const requestId = fields.requestId;
  const requestLogger = logger.child({ requestId });
  const request = await deps.records.get(requestId);
  if (request === undefined) return poison(requestLogger, `no request record for ${requestId}`);
  // A failed request is tried again: a replayed dead letter is how an operator asks for that.
  if (request.status === 'sent') {
    requestLogger.info({}, 'request already sent; event skipped');
    return { result: 'duplicate', requestId };
  }

  // One object version is one delivery, whichever event or replay names it.
  const deliveryKey = `${record.s3.bucket.name}/${key}#${record.s3.object.versionId ?? record.s3.object.eTag}`;
  const owner = randomUUID();
  const now = deps.clock.now();
  const claim = await deps.ledger.claim(deliveryKey, owner, now, new Date(now.getTime() + deps.leaseSeconds * 1000));
  if (claim === 'completed') {
    requestLogger.info({ deliveryKey }, 'delivery already completed; event skipped');
    return { result: 'duplicate', requestId };
  }
  if (claim === 'in_progress') {
    requestLogger.debug({ deliveryKey }, 'another worker is delivering this object');
    return { result: 'busy', requestId };
  }

  const svg = object.metadata[SVG_METADATA_KEY] === '1' ? await deps.store.get(svgObjectKey(key)) : undefined;
  const message = composeReadyMail({
    requestId,
    url: fields.url,
    to: fields.email,
    from: deps.mailFrom,
    png: object.body,
    ...(svg === undefined ? {} : { svg: svg.body }),
  });

  let receipt;
  try {
    receipt = await deps.transport.send(message);
  } catch (error) {
    await deps.ledger.release(deliveryKey, owner);
    if (!(error instanceof SendError)) throw error;
    return recordFailure(deps, requestLogger, requestId, attempt, error);
  }

  // NOTE: a crash from here until the request is marked sent is the one way to send twice.
  // The SMTP server has the message, but the claim's lease runs out (on one machine, the next
  // start drops the claim), so the event is delivered again.
  // The record is marked before the ledger entry is completed: the other order could leave a
  // request queued for ever when a crash fell between the two, because the completed entry
  // makes every later delivery of its event a duplicate.
  const sentAt = deps.clock.now();
  await deps.records.markSent(requestId, { at: sentAt, messageId: receipt.messageId });
  await deps.ledger.complete(deliveryKey, owner, sentAt);
  requestLogger.info({ messageId: receipt.messageId, destination: receipt.destination }, 'email sent');
  return { result: 'sent', requestId, messageId: receipt.messageId };
}

async function recordFailure(
  deps: DeliverDependencies,
  logger: Logger,
  requestId: string,
  attempt: number,
  error: SendError,
): Promise<DeliveryOutcome> {
  const at = deps.clock.now();
  const fields = { error: error.message, kind: error.kind, responseCode: error.responseCode };

  if (error.kind === 'configuration') {
    await deps.records.recordRetry(requestId, { at, error: error.message });
    logger.error(fields, 'mail configuration rejected; the email waits in the dead letters for a fix and a replay');
    return { result: 'parked', requestId, error };
  }
  if (error.kind === 'transient' && attempt < deps.maxAttempts) {
    await deps.records.recordRetry(requestId, { at, error: error.message });
    logger.warn({ ...fields, maxAttempts: deps.maxAttempts }, 'send failed; will retry');
    return { result: 'retry', requestId, error };
  }

  await deps.records.markFailed(requestId, { at, error: error.message });
  logger.error({ ...fields, maxAttempts: deps.maxAttempts }, 'send failed; delivery ended as failed');
  return { result: 'failed', requestId, error };
}

function poison(logger: Logger, message: string): DeliveryOutcome {
  const error = new PoisonObjectError(message);
  logger.error({ error: message }, 'object cannot be delivered');
  return { result: 'poison', error };
}
