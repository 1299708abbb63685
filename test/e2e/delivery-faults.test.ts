import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

import { afterEach, describe, expect, it } from 'vitest';

import { LocalEventQueue } from '../../src/adapters/local-events/index.js';
import { startLocalService, type LocalService } from '../support/local-service.js';
import { startTestSmtpServer, type FaultHook, type TestSmtpServer } from '../support/smtp-server.js';
import { writeSecretsFile } from '../support/temp.js';

const cleanups: (() => Promise<unknown> | unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function startPair(
  faults: { onRecipient?: FaultHook; onMessage?: FaultHook; onConnect?: () => Promise<void> | void } = {},
  env: Record<string, string> = {},
): Promise<{ smtp: TestSmtpServer; service: LocalService }> {
  const smtp = await startTestSmtpServer({ implicitTls: true, ...faults });
  cleanups.push(() => smtp.close());
  const service = await startLocalService(env, { smtp });
  cleanups.push(() => service.dispose());
  return { smtp, service };
}

async function statusOf(service: LocalService, id: string): Promise<Record<string, unknown>> {
  const response = await fetch(`${service.url}/images/qrcode/${id}`);
  return (await response.json()) as Record<string, unknown>;
}

/** Polls until `check` returns true, failing with `description` after `timeoutMs`. */
async function waitUntil(description: string, check: () => Promise<boolean> | boolean, timeoutMs = 10_000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error(`timed out waiting until ${description}`);
}

async function finalStatus(service: LocalService, id: string): Promise<Record<string, unknown>> {
  let status: Record<string, unknown> = {};
  await waitUntil(`request ${id} is sent or failed`, async () => {
    status = await statusOf(service, id);
    return status.status === 'sent' || status.status === 'failed';
  });
  return status;
}

function deadLetterCount(service: LocalService): number {
  const db = service.openDatabase();
  try {
    return new LocalEventQueue(db).deadLetters().length;
  } finally {
    db.close();
  }
}

/**
 * Returns the dead-letter count once a failed event is there. The worker moves the event after it
 * marks the request failed, so a status can read `failed` a moment before the move commits.
 */
async function deadLettersAfterFailure(service: LocalService): Promise<number> {
  await waitUntil('the failed event is in the dead letters', () => deadLetterCount(service) > 0);
  return deadLetterCount(service);
}

/** Fails the first `times` calls with `reply`, then accepts. */
function failFirst(times: number, reply: ReturnType<FaultHook>): FaultHook {
  let calls = 0;
  return () => (++calls <= times ? reply : undefined);
}

const TRANSIENT_REPLIES = [
  { step: 'onRecipient', code: 421, message: '4.7.0 Try again later, closing connection' },
  { step: 'onRecipient', code: 450, message: '4.2.1 Mailbox busy' },
  { step: 'onMessage', code: 451, message: '4.3.0 Local error in processing' },
  { step: 'onRecipient', code: 452, message: '4.5.3 Too many recipients' },
  { step: 'onMessage', code: 454, message: '4.7.0 Temporary authentication failure' },
] as const;

const PERMANENT_REPLIES = [
  { step: 'onRecipient', code: 550, message: '5.1.1 Mailbox does not exist' },
  { step: 'onRecipient', code: 551, message: '5.1.6 User not local' },
  { step: 'onRecipient', code: 553, message: '5.1.3 Mailbox name not allowed' },
  { step: 'onMessage', code: 554, message: '5.6.0 Transaction failed' },
] as const;

describe('delivery under SMTP faults', () => {
  for (const fault of TRANSIENT_REPLIES) {
    it(`retries ${fault.code} until sent`, async () => {
      const { smtp, service } = await startPair({
        [fault.step]: failFirst(2, { code: fault.code, message: fault.message }),
      });

      const { status, body } = await service.post({
        url: `https://example.com/${fault.code}`,
        email: 'user@example.com',
      });
      expect(status).toBe(202);
      const final = await finalStatus(service, body.id as string);

      expect(final.status).toBe('sent');
      expect(final.attempts).toBe(3);
      expect(final.lastError).toContain(String(fault.code));
      expect(smtp.messages).toHaveLength(1);
    });
  }

  for (const fault of PERMANENT_REPLIES) {
    it(`fails ${fault.code} without retry`, async () => {
      const { smtp, service } = await startPair({ [fault.step]: () => ({ code: fault.code, message: fault.message }) });

      const { body } = await service.post({ url: `https://example.com/${fault.code}`, email: 'user@example.com' });
      const final = await finalStatus(service, body.id as string);

      expect(final.status).toBe('failed');
      expect(final.attempts).toBe(1);
      expect(final.lastError).toContain(String(fault.code));
      expect(smtp.messages).toHaveLength(0);
      expect(await deadLettersAfterFailure(service)).toBe(1);
    });
  }

  it('fails after the last transient attempt', async () => {
    const { smtp, service } = await startPair(
      { onMessage: () => ({ code: 451, message: '4.3.0 Still failing' }) },
      { QRMAIL_DELIVERY_MAX_ATTEMPTS: '3' },
    );

    const { body } = await service.post({ url: 'https://example.com/always-451', email: 'user@example.com' });
    const final = await finalStatus(service, body.id as string);

    expect(final.status).toBe('failed');
    expect(final.attempts).toBe(3);
    expect(smtp.messages).toHaveLength(0);
    expect(await deadLettersAfterFailure(service)).toBe(1);
  });

  it('retries a reset connection', async () => {
    const { smtp, service } = await startPair({ onRecipient: failFirst(1, 'drop') });

    const { body } = await service.post({ url: 'https://example.com/reset', email: 'user@example.com' });
    const final = await finalStatus(service, body.id as string);

    expect(final.status).toBe('sent');
    expect(final.attempts).toBe(2);
    expect(smtp.messages).toHaveLength(1);
  });

  it('counts a drop after the body as the known duplicate', async () => {
    const { smtp, service } = await startPair({ onMessage: failFirst(1, 'drop') });

    const { body } = await service.post({ url: 'https://example.com/dropped', email: 'user@example.com' });
    const final = await finalStatus(service, body.id as string);

    // The server had the whole message when it dropped the connection; qrmail cannot know, so it sends again.
    expect(final.status).toBe('sent');
    expect(smtp.dropped).toHaveLength(1);
    expect(smtp.messages).toHaveLength(1);
  });

  it('fails when the server refuses connections', async () => {
    const closed = await startTestSmtpServer({ implicitTls: true });
    await closed.close();
    const service = await startLocalService({ QRMAIL_DELIVERY_MAX_ATTEMPTS: '2' }, { smtp: closed });
    cleanups.push(() => service.dispose());

    const { body } = await service.post({ url: 'https://example.com/refused', email: 'user@example.com' });
    const final = await finalStatus(service, body.id as string);

    expect(final.status).toBe('failed');
    expect(final.attempts).toBe(2);
    expect(final.lastError).toMatch(/ECONNREFUSED|connect/i);
  });

  it('parks a rejected login until replay', async () => {
    const { smtp, service } = await startPair();
    const secretsFile = join(service.dataDir, 'secrets.json');
    writeSecretsFile(secretsFile, { 'qrmail/smtp': { username: smtp.username, password: 'expired-password-31d' } });

    const { body } = await service.post({ url: 'https://example.com/login', email: 'user@example.com' });
    await waitUntil('the email is parked', () => deadLetterCount(service) === 1);
    const parked = await statusOf(service, body.id as string);
    expect(parked.status).toBe('queued');
    expect(parked.lastError).toContain('535');
    expect(smtp.messages).toHaveLength(0);
    expect(service.log.text()).toContain('mail configuration rejected');
    expect(service.log.text()).not.toContain('expired-password-31d');
    expect(JSON.stringify(parked)).not.toContain('expired-password-31d');
    expect(service.log.text()).not.toContain(smtp.password);

    writeSecretsFile(secretsFile, { 'qrmail/smtp': { username: smtp.username, password: smtp.password } });
    const replay = spawnSync(process.execPath, ['bin/qrmail.js', 'dead-letters', 'replay', '--all'], {
      env: { ...process.env, QRMAIL_DATA_DIR: service.dataDir },
      encoding: 'utf8',
    });
    expect(replay.stderr).toBe('');
    expect(replay.status).toBe(0);
    expect(replay.stdout).toContain('Queued 1 dead letter');

    const final = await finalStatus(service, body.id as string);
    expect(final.status).toBe('sent');
    expect(smtp.messages).toHaveLength(1);
    expect(deadLetterCount(service)).toBe(0);
  });

  it('sends once for three duplicate events', async () => {
    let release: () => void = () => {};
    const held = new Promise<void>((resolve) => (release = resolve));
    let firstConnection: () => void = () => {};
    const connected = new Promise<void>((resolve) => (firstConnection = resolve));
    const { smtp, service } = await startPair({
      onConnect: () => {
        firstConnection();
        return held;
      },
    });

    const { body } = await service.post({ url: 'https://example.com/duplicates', email: 'user@example.com' });
    await connected;
    // While the first delivery is in flight, the same S3 record arrives three more times at once.
    const db = service.openDatabase();
    const queue = new LocalEventQueue(db);
    const row = db.prepare(`SELECT record FROM events LIMIT 1`).get() as { record: string };
    for (let copy = 0; copy < 3; copy++) queue.append(JSON.parse(row.record));
    db.close();
    release();

    const final = await finalStatus(service, body.id as string);
    expect(final.status).toBe('sent');
    await waitUntil('every duplicate event is handled', () => {
      const check = service.openDatabase();
      try {
        return (check.prepare(`SELECT COUNT(*) AS count FROM events`).get() as { count: number }).count === 0;
      } finally {
        check.close();
      }
    });
    expect(smtp.messages).toHaveLength(1);
  });

  it('sends a burst over a small pool', async () => {
    const { smtp, service } = await startPair({}, { QRMAIL_SMTP_MAX_CONNECTIONS: '3' });

    const responses = await Promise.all(
      Array.from({ length: 60 }, (_, index) =>
        service.post({ url: `https://example.com/burst/${index}`, email: `user${index}@example.com` }),
      ),
    );
    expect(responses.every((response) => response.status === 202)).toBe(true);
    await smtp.waitForMessages(60);

    expect(smtp.connections).toBeLessThanOrEqual(3);
    expect(new Set(smtp.messages.map((message) => message.envelopeTo[0])).size).toBe(60);
  });
});
