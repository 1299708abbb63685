import type { RateLimit, RateLimitDecision, RateLimiter } from '../../core/ports.js';

interface Window {
  startedAt: number;
  count: number;
}

/**
 * Fixed-window counters in this process's memory. They suffice for one machine. On Lambda each
 * container counts on its own, so API Gateway's throttling is the overall limit.
 */
export class MemoryRateLimiter implements RateLimiter {
  private readonly windows = new Map<string, Window>();
  private readonly now: () => number;
  private lastSweep = 0;

  constructor(options: { now?: () => number } = {}) {
    this.now = options.now ?? Date.now;
  }

  async consume(key: string, limit: RateLimit): Promise<RateLimitDecision> {
    const now = this.now();
    this.sweep(now);
    const windowMs = limit.windowSeconds * 1000;
    const mapKey = `${limit.name}:${key}`;
    let window = this.windows.get(mapKey);
    if (window === undefined || now - window.startedAt >= windowMs) {
      window = { startedAt: now, count: 0 };
      this.windows.set(mapKey, window);
    }
    if (window.count >= limit.max) {
      return { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil((window.startedAt + windowMs - now) / 1000)) };
    }
    window.count++;
    return { allowed: true, retryAfterSeconds: 0 };
  }

  /** Drops expired windows once a minute, so memory follows the active keys, not every key ever seen. */
  private sweep(now: number): void {
    if (now - this.lastSweep < 60_000) return;
    this.lastSweep = now;
    // A day is the longest window qrmail uses.
    for (const [key, window] of this.windows) if (now - window.startedAt > 86_400_000) this.windows.delete(key);
  }
}
