import { describe, expect, it } from 'vitest';

import { runCrashScenario } from '../support/crash-scenario.js';

describe('service killed under load', () => {
  it('loses nothing and duplicates only across kills', async () => {
    const result = await runCrashScenario({
      requests: 80,
      kills: 3,
      clientConcurrency: 8,
      deliveryConcurrency: 4,
      runMs: [150, 500],
      drainTimeoutMs: 30_000,
    });

    console.info('crash scenario', result);
    expect(result.accepted).toBeGreaterThan(0);
    expect(result.lost).toBe(0);
    expect(result.notSent).toBe(0);
    expect(result.duplicatesAcrossKills).toBe(result.duplicates);
    // Each kill can interrupt at most the deliveries in flight, between acceptance and the completed claim.
    expect(result.duplicates).toBeLessThanOrEqual(result.kills * 4);
    expect(result.emailsReceived).toBeGreaterThanOrEqual(result.accepted);
  }, 120_000);
});
