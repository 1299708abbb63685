import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { startServiceProcess, type ServiceProcess } from './service-process.js';
import { startTestSmtpServer } from './smtp-server.js';
import { makeTempDir, writeSecretsFile } from './temp.js';

/** How hard the crash scenario pushes. */
export interface CrashScenarioOptions {
  /** Requests sent in all. */
  requests: number;
  /** Times the service is killed with SIGKILL and started again. */
  kills: number;
  /** Requests in flight at once. */
  clientConcurrency: number;
  /** The service's deliveries in flight at once. */
  deliveryConcurrency: number;
  /** Range of the random time each run lasts before its kill, in milliseconds. */
  runMs: [number, number];
  /** Maximum wait for the backlog to drain after the last start. */
  drainTimeoutMs: number;
}

/** What one run of the crash scenario counted. */
export interface CrashScenarioResult {
  requests: number;
  kills: number;
  /** Requests that got a 202. */
  accepted: number;
  /** Requests cut off by a kill before any response; they may or may not have been stored. */
  cutOff: number;
  emailsReceived: number;
  /** Accepted requests that no email reached. */
  lost: number;
  /** Emails beyond the first for the same request. */
  duplicates: number;
  /**
   * Duplicates whose two copies a kill separates: the window between the SMTP server's acceptance
   * and the completed claim. Copies are placed by when their SMTP connection opened, because the
   * server may finish reading a killed process's last message after the kill.
   */
  duplicatesAcrossKills: number;
  /** Accepted requests whose status is not `sent` after draining. */
  notSent: number;
  durationMs: number;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Sends requests to the service while killing it at random moments and starting it again,
 * then drains, and counts the emails an SMTP server on loopback received for each request.
 */
export async function runCrashScenario(options: CrashScenarioOptions): Promise<CrashScenarioResult> {
  const started = Date.now();
  const smtp = await startTestSmtpServer({ implicitTls: true });
  const data = makeTempDir('qrmail-crash-');
  const connectedAt = new Map<string, number[]>();
  const killTimes: number[] = [];

  const secretsFile = join(data.path, 'secrets.json');
  writeSecretsFile(secretsFile, { 'qrmail/smtp': { username: smtp.username, password: smtp.password } });
  writeFileSync(join(data.path, 'ca.pem'), smtp.ca);
  const env = {
    QRMAIL_DATA_DIR: data.path,
    QRMAIL_SMTP_HOST: smtp.host,
    QRMAIL_SMTP_PORT: String(smtp.port),
    QRMAIL_SMTP_TLS: 'implicit',
    QRMAIL_SMTP_CA_FILE: join(data.path, 'ca.pem'),
    QRMAIL_SECRETS_FILE: secretsFile,
    QRMAIL_DELIVERY_CONCURRENCY: String(options.deliveryConcurrency),
    QRMAIL_RETRY_BASE_SECONDS: '0.05',
    QRMAIL_RETRY_MAX_SECONDS: '0.5',
  };

  const accepted = new Map<number, string>();
  let cutOff = 0;
  let next = 0;
  let service: ServiceProcess | undefined;

  try {
    for (let run = 0; run <= options.kills; run++) {
      service = await startServiceProcess(env);
      const url = service.url;
      const isLast = run === options.kills;
      const [shortest, longest] = options.runMs;
      const killAt = Date.now() + shortest + Math.random() * (longest - shortest);
      let stopSending = false;

      const client = async () => {
        while (!stopSending && next < options.requests && (isLast || Date.now() < killAt)) {
          const index = next++;
          try {
            const response = await fetch(`${url}/images/qrcode`, {
              method: 'POST',
              headers: { 'content-type': 'application/json' },
              body: JSON.stringify({ url: `https://example.com/crash/${index}`, email: `user${index}@example.com` }),
            });
            const body = (await response.json()) as { id?: string };
            if (response.status === 202 && body.id) accepted.set(index, body.id);
          } catch {
            cutOff++;
          }
        }
      };
      const clients = Promise.all(Array.from({ length: options.clientConcurrency }, client));

      if (isLast) {
        await clients;
      } else {
        await sleep(Math.max(0, killAt - Date.now()));
        await service.kill();
        // The process is gone once kill() resolves; a message it sent until then is before the kill.
        killTimes.push(Date.now());
        stopSending = true;
        await clients;
      }
    }

    // Drain: wait until every accepted request has an email and a final status, or the time runs out.
    // An email alone is not enough: a copy sent before a kill can arrive while the redelivery that
    // will mark the request sent is still in flight.
    const deadline = Date.now() + options.drainTimeoutMs;
    const emailedIds = () => new Set(smtp.messages.map(requestIdOf));
    const statusOf = async (id: string) =>
      ((await (await fetch(`${service!.url}/images/qrcode/${id}`)).json()) as { status: string }).status;
    let notSent = accepted.size;
    while (Date.now() < deadline) {
      const emailed = emailedIds();
      if ([...accepted.values()].every((id) => emailed.has(id))) {
        const statuses = await Promise.all([...accepted.values()].map(statusOf));
        notSent = statuses.filter((status) => status !== 'sent').length;
        if (notSent === 0) break;
      }
      await sleep(50);
    }
    await sleep(300);

    await service!.stop();

    for (const message of smtp.messages) {
      const id = requestIdOf(message);
      connectedAt.set(id, [...(connectedAt.get(id) ?? []), message.connectedAt]);
    }
    const emailed = emailedIds();
    let duplicates = 0;
    let duplicatesAcrossKills = 0;
    for (const unsorted of connectedAt.values()) {
      const times = [...unsorted].sort((a, b) => a - b);
      for (let copy = 1; copy < times.length; copy++) {
        duplicates++;
        if (killTimes.some((kill) => kill >= times[copy - 1]! && kill <= times[copy]!)) duplicatesAcrossKills++;
      }
    }

    return {
      requests: options.requests,
      kills: options.kills,
      accepted: accepted.size,
      cutOff,
      emailsReceived: smtp.messages.length,
      lost: [...accepted.values()].filter((id) => !emailed.has(id)).length,
      duplicates,
      duplicatesAcrossKills,
      notSent,
      durationMs: Date.now() - started,
    };
  } finally {
    await service?.kill();
    await smtp.close();
    data.remove();
  }
}

function requestIdOf(message: { parsed: { headers: Map<string, unknown> } }): string {
  return String(message.parsed.headers.get('x-qrmail-request-id'));
}
