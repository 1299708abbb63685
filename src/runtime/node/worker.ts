import type { ClaimedEvent, LocalEventQueue } from '../../adapters/local-events/index.js';
import type { DeliveryOutcome } from '../../core/deliver.js';
import type { S3EventRecord } from '../../core/events.js';
import type { Logger } from '../../core/ports.js';

/** Dependencies and settings of the delivery worker. */
export interface DeliveryWorkerOptions {
  queue: LocalEventQueue;
  deliver: (record: S3EventRecord, attempt: number) => Promise<DeliveryOutcome>;
  logger: Logger;
  /** Deliveries in progress at most. */
  concurrency: number;
  /** How often the queue is read for events that another process changed, such as a replay. */
  pollSeconds: number;
  /** Attempts before an event that keeps throwing is dead-lettered. */
  maxAttempts: number;
  retryBaseSeconds: number;
  retryMaxSeconds: number;
  /** Names this worker's claims in the queue. */
  owner: string;
}

/**
 * The local mailer: takes ObjectCreated events from the durable queue as they are appended
 * (or come due after a backoff), runs the deliver flow on each, and records how each ended.
 */
export class DeliveryWorker {
  private readonly options: DeliveryWorkerOptions;
  private readonly inFlight = new Set<Promise<void>>();
  private timer: NodeJS.Timeout | undefined;
  private poller: NodeJS.Timeout | undefined;
  private running = false;
  private pumpScheduled = false;
  private readonly onAvailable = () => this.schedulePump();

  constructor(options: DeliveryWorkerOptions) {
    this.options = options;
  }

  /** Returns abandoned claims to the queue and starts delivering. */
  start(): void {
    const released = this.options.queue.releaseAbandoned(this.options.owner);
    const counts = this.options.queue.counts();
    this.options.logger.info({ released, ...counts }, 'delivery worker started');

    this.running = true;
    this.options.queue.on('available', this.onAvailable);
    this.poller = setInterval(this.onAvailable, this.options.pollSeconds * 1000);
    this.poller.unref();
    this.pump();
  }

  /** Stops taking events and waits for the deliveries in progress to end. */
  async stop(): Promise<void> {
    this.running = false;
    this.options.queue.off('available', this.onAvailable);
    clearTimeout(this.timer);
    clearInterval(this.poller);
    await Promise.all(this.inFlight);
  }

  private pump(): void {
    if (!this.running) return;
    const free = this.options.concurrency - this.inFlight.size;
    if (free <= 0) return;

    const events = this.options.queue.claim(this.options.owner, free);
    for (const event of events) {
      const task = this.handle(event).finally(() => {
        this.inFlight.delete(task);
        this.schedulePump();
      });
      this.inFlight.add(task);
    }
    if (events.length < free) this.scheduleNext();
  }

  /**
   * Claims again on the next turn of the event loop, so that the deliveries that end in one turn
   * share one claiming transaction instead of committing one each.
   */
  private schedulePump(): void {
    if (this.pumpScheduled) return;
    this.pumpScheduled = true;
    setImmediate(() => {
      this.pumpScheduled = false;
      this.pump();
    });
  }

  /** Wakes the worker when the earliest waiting event comes due. */
  private scheduleNext(): void {
    clearTimeout(this.timer);
    const next = this.options.queue.nextAvailableAt();
    if (next === undefined) return;
    const delay = Math.max(0, Math.min(next.getTime() - Date.now(), 2 ** 31 - 1));
    this.timer = setTimeout(() => this.pump(), delay);
    this.timer.unref();
  }

  private async handle(event: ClaimedEvent): Promise<void> {
    const { queue, logger } = this.options;
    const eventLogger = logger.child({ eventId: event.id, objectKey: event.record.s3?.object?.key });

    let outcome: DeliveryOutcome;
    try {
      outcome = await this.options.deliver(event.record, event.attempt);
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      if (event.attempt >= this.options.maxAttempts) {
        eventLogger.error({ err: error, attempt: event.attempt }, 'delivery failed; event moved to dead letters');
        await queue.deadLetter(event.id, message);
      } else {
        eventLogger.error({ err: error, attempt: event.attempt }, 'delivery failed; will retry');
        await queue.retryLater(event.id, this.retryAt(event.attempt), message);
      }
      return;
    }

    switch (outcome.result) {
      case 'sent':
      case 'duplicate':
      case 'ignored':
        await queue.complete(event.id);
        break;
      case 'retry':
        await queue.retryLater(event.id, this.retryAt(event.attempt), outcome.error.message);
        break;
      case 'busy':
        await queue.retryLater(event.id, this.retryAt(1), 'another worker holds the delivery claim', {
          countAttempt: false,
        });
        break;
      case 'failed':
      case 'parked':
      case 'poison':
        await queue.deadLetter(event.id, outcome.error.message);
        break;
    }
  }

  /** Exponential backoff with jitter: half the capped delay, plus a random share of the other half. */
  private retryAt(attempt: number): Date {
    const cap = Math.min(this.options.retryMaxSeconds, this.options.retryBaseSeconds * 2 ** (attempt - 1));
    const seconds = cap / 2 + Math.random() * (cap / 2);
    return new Date(Date.now() + seconds * 1000);
  }
}
