/**
 * Delivery: from events recorded in the queue to messages accepted by a local SMTP server, through
 * `qrmail serve` and its pooled SmtpTransport, against a Python baseline that opens one connection
 * per email (bench/baselines/python_mailer.py) to the same server.
 */
import { execFile } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

import { simpleParser } from 'mailparser';

import { renderPng, encodeQr } from '../src/qr/index.js';
import { startServiceProcess } from '../test/support/service-process.js';
import { startTestSmtpServer, type ReceivedMessage } from '../test/support/smtp-server.js';
import { checkPng, decodeFailures, summarise, type RateSample } from './lib.js';
import { benchUrl } from './render.js';

const PYTHON = '/usr/bin/python3';
const execFileAsync = promisify(execFile);
const PYTHON_MAILER_SCRIPT = fileURLToPath(new URL('./baselines/python_mailer.py', import.meta.url));

/** Emails per run of the service. */
export const EMAILS = 1000;
/** Runs of the service, each with a fresh service process and data folder. */
export const DELIVERY_RUNS = 3;
/** Emails per run of the Python baseline, which is far slower. */
export const PYTHON_EMAILS = 100;
/** Settings of the service under test; the README lists the defaults (5 connections, 100 messages/s). */
export const DELIVERY_SETTINGS = {
  QRMAIL_SMTP_MAX_CONNECTIONS: '5',
  QRMAIL_SMTP_MAX_MESSAGES_PER_SECOND: '100000',
  QRMAIL_DELIVERY_CONCURRENCY: '32',
};

export interface DeliveryResults {
  qrmail: RateSample;
  python: RateSample | undefined;
  pythonSkipped: string | undefined;
}

export async function benchDelivery(log: (line: string) => void): Promise<DeliveryResults> {
  const dataDir = mkdtempSync(join(tmpdir(), 'qrmail-bench-delivery-'));
  // The server keeps every connection waiting until a run's events are recorded, so that the timed
  // phase is delivery alone. Each run sets a new gate.
  let gate = Promise.resolve();
  // The server records raw messages, and the sampled ones are parsed after the timed phase. So
  // the parser takes no CPU from the service under test.
  const smtp = await startTestSmtpServer({ implicitTls: true, onConnect: () => gate, parse: false });
  const caFile = join(dataDir, 'smtp-ca.pem');
  writeFileSync(caFile, smtp.ca);
  const secretsFile = join(dataDir, 'secrets.json');
  writeFileSync(secretsFile, JSON.stringify({ 'qrmail/smtp': { username: smtp.username, password: smtp.password } }));
  chmodSync(secretsFile, 0o600);

  try {
    const rates: number[] = [];
    for (let run = 1; run <= DELIVERY_RUNS; run++) {
      let openGate!: () => void;
      gate = new Promise<void>((resolve) => (openGate = resolve));
      const runDir = join(dataDir, `run-${run}`);
      const service = await startServiceProcess({
        QRMAIL_DATA_DIR: runDir,
        QRMAIL_LOG_LEVEL: 'info',
        QRMAIL_RATE_LIMIT: 'off',
        QRMAIL_SMTP_HOST: smtp.host,
        QRMAIL_SMTP_PORT: String(smtp.port),
        QRMAIL_SMTP_TLS: 'implicit',
        QRMAIL_SMTP_CA_FILE: caFile,
        QRMAIL_SECRETS_FILE: secretsFile,
        ...DELIVERY_SETTINGS,
      });
      try {
        log(`delivery: run ${run} of ${DELIVERY_RUNS}, recording ${EMAILS} requests`);
        let next = 0;
        const post = async () => {
          while (next < EMAILS) {
            const n = next++;
            const response = await fetch(`${service.url}/images/qrcode`, {
              method: 'POST',
              headers: { 'content-type': 'application/json' },
              body: JSON.stringify({ url: benchUrl(n), email: `user${n}@example.com` }),
            });
            if (response.status !== 202) throw new Error(`POST /images/qrcode returned ${response.status}`);
            await response.arrayBuffer();
          }
        };
        await Promise.all(Array.from({ length: 16 }, post));

        log(`delivery: run ${run} of ${DELIVERY_RUNS}, sending ${EMAILS} emails`);
        const start = performance.now();
        openGate();
        const messages = await smtp.waitForMessages(run * EMAILS, 120_000);
        rates.push((EMAILS * 1000) / (performance.now() - start));
        await checkDelivered(messages.slice((run - 1) * EMAILS));
      } finally {
        await service.stop();
      }
    }

    const python = await benchPythonMailer(log, smtp, caFile, dataDir);
    return { qrmail: summarise(rates), ...python };
  } finally {
    await smtp.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

/** Decodes the PNG attachment of every 200th message of a run, after its clock has stopped. */
async function checkDelivered(messages: ReceivedMessage[]): Promise<void> {
  for (const message of messages.filter((_, i) => i % 200 === 0)) {
    const recipient = message.envelopeTo[0] ?? '';
    const n = Number(/^user(\d+)@/.exec(recipient)?.[1]);
    const parsed = await simpleParser(message.raw);
    const png = parsed.attachments.find((attachment) => attachment.contentType === 'image/png');
    if (!png || Number.isNaN(n)) {
      decodeFailures.push(`delivery: message to ${recipient} has no PNG attachment`);
      continue;
    }
    await checkPng(`delivery email to ${recipient}`, png.content, benchUrl(n));
  }
}

/** Runs the Python baseline three times. It runs asynchronously because the SMTP server lives in this process. */
async function benchPythonMailer(
  log: (line: string) => void,
  smtp: { host: string; port: number; username: string; password: string },
  caFile: string,
  dir: string,
): Promise<{ python: RateSample | undefined; pythonSkipped: string | undefined }> {
  if (!existsSync(PYTHON)) return { python: undefined, pythonSkipped: `${PYTHON} not found` };
  const pngFile = join(dir, 'attachment.png');
  writeFileSync(pngFile, renderPng(encodeQr(benchUrl(0), { level: 'M' })));
  const rates: number[] = [];
  for (let run = 0; run < 3; run++) {
    log(`delivery: Python baseline run ${run + 1} of 3, ${PYTHON_EMAILS} emails`);
    const { stdout: output } = await execFileAsync(
      PYTHON,
      [PYTHON_MAILER_SCRIPT, smtp.host, String(smtp.port), caFile, pngFile, String(PYTHON_EMAILS)],
      { encoding: 'utf8', env: { ...process.env, SMTP_USERNAME: smtp.username, SMTP_PASSWORD: smtp.password } },
    );
    const match = /emails_per_s=([\d.]+)/.exec(output);
    if (!match) throw new Error(`python_mailer.py printed no result: ${JSON.stringify(output)}`);
    rates.push(Number(match[1]));
  }
  return { python: summarise(rates), pythonSkipped: undefined };
}
