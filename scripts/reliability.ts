/**
 * Measures delivery guarantees and writes docs/reliability.md: every SMTP fault class injected
 * into the first attempt of each email, then the service killed with SIGKILL under load.
 * Everything runs on 127.0.0.1 and ends by itself. `npm run reliability -- --quick` runs a
 * smaller load.
 */
import { writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';

import { LocalEventQueue } from '../src/adapters/local-events/index.js';
import { runCrashScenario, type CrashScenarioResult } from '../test/support/crash-scenario.js';
import { startLocalService } from '../test/support/local-service.js';
import { startTestSmtpServer, type FaultReply, type TestSmtpServer } from '../test/support/smtp-server.js';
import { writeSecretsFile } from '../test/support/temp.js';

interface FaultClass {
  name: string;
  expected: 'sent' | 'failed' | 'parked';
  step?: 'onRecipient' | 'onMessage';
  reply?: FaultReply;
  /** A rejected login instead of a reply: the secret contains a wrong password until replay. */
  login?: boolean;
}

const FAULT_CLASSES: FaultClass[] = [
  {
    name: '421 at RCPT',
    expected: 'sent',
    step: 'onRecipient',
    reply: { code: 421, message: '4.7.0 Try again later' },
  },
  { name: '450 at RCPT', expected: 'sent', step: 'onRecipient', reply: { code: 450, message: '4.2.1 Mailbox busy' } },
  { name: '451 at DATA', expected: 'sent', step: 'onMessage', reply: { code: 451, message: '4.3.0 Local error' } },
  { name: '452 at RCPT', expected: 'sent', step: 'onRecipient', reply: { code: 452, message: '4.5.3 Too many' } },
  { name: '454 at DATA', expected: 'sent', step: 'onMessage', reply: { code: 454, message: '4.7.0 Temporary' } },
  { name: 'connection reset at RCPT', expected: 'sent', step: 'onRecipient', reply: 'drop' },
  { name: 'connection dropped after the body', expected: 'sent', step: 'onMessage', reply: 'drop' },
  { name: '550 at RCPT', expected: 'failed', step: 'onRecipient', reply: { code: 550, message: '5.1.1 No such user' } },
  { name: '551 at RCPT', expected: 'failed', step: 'onRecipient', reply: { code: 551, message: '5.1.6 Not local' } },
  { name: '553 at RCPT', expected: 'failed', step: 'onRecipient', reply: { code: 553, message: '5.1.3 Bad name' } },
  { name: '554 at DATA', expected: 'failed', step: 'onMessage', reply: { code: 554, message: '5.6.0 Failed' } },
  { name: '535 login rejected, then fixed and replayed', expected: 'parked', login: true },
];

interface FaultResult {
  name: string;
  requests: number;
  faultsInjected: number;
  sent: number;
  failed: number;
  emailsReceived: number;
  duplicates: number;
  lost: number;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function runFaultClass(fault: FaultClass, requests: number): Promise<FaultResult> {
  const seen = new Map<string, number>();
  let faultsInjected = 0;
  // Each email's first attempt meets the fault; later attempts are accepted.
  const hook = (recipient: string) => {
    const count = (seen.get(recipient) ?? 0) + 1;
    seen.set(recipient, count);
    if (count > 1) return undefined;
    faultsInjected++;
    return fault.reply;
  };
  const smtp: TestSmtpServer = await startTestSmtpServer({
    implicitTls: true,
    ...(fault.step === 'onRecipient' ? { onRecipient: (_session, recipient) => hook(recipient) } : {}),
    ...(fault.step === 'onMessage' ? { onMessage: (_session, recipient) => hook(recipient) } : {}),
  });
  const service = await startLocalService({ QRMAIL_DELIVERY_MAX_ATTEMPTS: '4' }, { smtp });
  const secretsFile = join(service.dataDir, 'secrets.json');
  if (fault.login) writeSecretsFile(secretsFile, { 'qrmail/smtp': { username: smtp.username, password: 'wrong' } });

  try {
    const ids: string[] = [];
    for (let index = 0; index < requests; index++) {
      const { body } = await service.post({
        url: `https://example.com/fault/${index}`,
        email: `user${index}@example.com`,
      });
      ids.push(String(body.id));
    }

    if (fault.login) {
      const db = service.openDatabase();
      const queue = new LocalEventQueue(db);
      const deadline = Date.now() + 20_000;
      while (queue.deadLetters().length < requests && Date.now() < deadline) await sleep(50);
      faultsInjected = smtp.failedLogins;
      writeSecretsFile(secretsFile, { 'qrmail/smtp': { username: smtp.username, password: smtp.password } });
      queue.replay('all');
      db.close();
    }

    const statuses = await waitForFinal(service.url, ids, fault.expected === 'failed' ? 'failed' : 'sent');
    await sleep(200);
    const received = new Map<string, number>();
    for (const message of [...smtp.messages, ...smtp.dropped]) {
      const id = String(message.parsed.headers.get('x-qrmail-request-id'));
      received.set(id, (received.get(id) ?? 0) + 1);
    }
    return {
      name: fault.name,
      requests,
      faultsInjected,
      sent: statuses.filter((status) => status === 'sent').length,
      failed: statuses.filter((status) => status === 'failed').length,
      emailsReceived: smtp.messages.length + smtp.dropped.length,
      duplicates: [...received.values()].reduce((sum, count) => sum + Math.max(0, count - 1), 0),
      lost: ids.filter((id, index) => statuses[index] === 'sent' && !received.has(id)).length,
    };
  } finally {
    await service.dispose();
    await smtp.close();
  }
}

async function waitForFinal(baseUrl: string, ids: string[], expected: string): Promise<string[]> {
  const deadline = Date.now() + 30_000;
  let statuses: string[] = [];
  while (Date.now() < deadline) {
    statuses = await Promise.all(
      ids.map(
        async (id) => ((await (await fetch(`${baseUrl}/images/qrcode/${id}`)).json()) as { status: string }).status,
      ),
    );
    if (statuses.every((status) => status === expected)) break;
    await sleep(50);
  }
  return statuses;
}

function renderReport(faults: FaultResult[], crashes: CrashScenarioResult[], quick: boolean): string {
  const crashRows = crashes.map(
    (run, index) =>
      `| ${index + 1} | ${run.requests} | ${run.kills} | ${run.accepted} | ${run.cutOff} | ${run.emailsReceived} | ${run.lost} | ${run.duplicates} | ${run.duplicatesAcrossKills} | ${run.notSent} | ${(run.durationMs / 1000).toFixed(1)} |`,
  );
  const faultRows = faults.map(
    (fault) =>
      `| ${fault.name} | ${fault.requests} | ${fault.faultsInjected} | ${fault.sent} | ${fault.failed} | ${fault.emailsReceived} | ${fault.duplicates} | ${fault.lost} |`,
  );

  return `# Delivery reliability

Figures written by \`npm run reliability${quick ? ' -- --quick' : ''}\` on ${new Date().toISOString().slice(0, 10)}:
${cpus().length} cores, Node ${process.version}. The SMTP server is smtp-server on 127.0.0.1 with implicit
TLS and a login required; the service is the real one, started as \`qrmail serve\` for the crash runs
and in the script's process for the fault classes.

## Crash runs

The service is killed with SIGKILL at a random moment, 150 to 600 ms into each run, while clients
post requests, and started again; after the last start the backlog drains. A request cut off by a
kill got no response, so it was not accepted (it may still have been stored and emailed).

| Run | Requests | Kills | Accepted (202) | Cut off | Emails received | Lost | Duplicates | Duplicates across a kill | Not sent after draining | Seconds |
| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |
${crashRows.join('\n')}

"Lost" counts accepted requests that no email reached. A duplicate is a second email for one
request. The only way qrmail sends twice is a crash after the SMTP server accepted a message and
before the request was marked sent and its claim in the ledger completed: the next start drops the open claim and the
event is delivered again. "Duplicates across a kill" counts the duplicates whose two copies a kill
separates; any duplicate outside that window would be a fault.

## Fault classes

Each email's first attempt meets the fault; later attempts are accepted. Transient replies and lost
connections are retried with backoff; permanent replies end the request as \`failed\` with no retry;
a rejected login parks the email in the dead letters until the secret is fixed and the dead letters
are replayed (here by the same call that \`qrmail dead-letters replay --all\` makes).

| Fault | Requests | Faults injected | Sent | Failed | Emails received | Duplicates | Lost |
| --- | --- | --- | --- | --- | --- | --- | --- |
${faultRows.join('\n')}

A connection dropped after the body is sent again, because qrmail cannot know whether the server
kept the message: each such fault can give the one documented duplicate, and the table counts them.
`;
}

async function main(): Promise<void> {
  const quick = process.argv.includes('--quick');
  const faultRequests = quick ? 5 : 20;
  const faults: FaultResult[] = [];
  for (const fault of FAULT_CLASSES) {
    const result = await runFaultClass(fault, faultRequests);
    console.info(result);
    faults.push(result);
  }

  const crashes: CrashScenarioResult[] = [];
  for (let run = 0; run < (quick ? 1 : 3); run++) {
    const result = await runCrashScenario({
      requests: quick ? 100 : 400,
      kills: quick ? 3 : 6,
      clientConcurrency: 16,
      deliveryConcurrency: 8,
      runMs: [150, 600],
      drainTimeoutMs: 60_000,
    });
    console.info(result);
    crashes.push(result);
  }

  const path = new URL('../docs/reliability.md', import.meta.url);
  writeFileSync(path, renderReport(faults, crashes, quick));
  console.info(`wrote ${path.pathname}`);

  const lost =
    crashes.reduce((sum, run) => sum + run.lost + run.notSent, 0) + faults.reduce((sum, fault) => sum + fault.lost, 0);
  const unexplained = crashes.reduce((sum, run) => sum + run.duplicates - run.duplicatesAcrossKills, 0);
  if (lost > 0 || unexplained > 0) {
    console.error(`reliability check failed: ${lost} lost, ${unexplained} duplicates outside the documented window`);
    process.exitCode = 1;
  }
}

await main();
