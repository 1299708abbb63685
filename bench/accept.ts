/**
 * The accept path in local mode: `qrmail serve` as a child process, loaded by autocannon with
 * POST /images/qrcode, then with GET /healthz on the same server.
 */
import { closeSync, mkdirSync, mkdtempSync, openSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import autocannon from 'autocannon';

import { startServiceProcess } from '../test/support/service-process.js';
import { benchUrl } from './render.js';
import { checkPng, decodeFailures, summarise } from './lib.js';

export const CONNECTIONS = 64;
export const WARMUP_SECONDS = 3;
export const POST_SECONDS = 10;
export const HEALTHZ_SECONDS = 5;

/** Figures of one autocannon run; requests per second are sampled once a second. */
export interface LoadFigures {
  requestsPerSecond: number;
  minPerSecond: number;
  maxPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  total: number;
  non2xx: number;
  errors: number;
  timeouts: number;
}

export interface AcceptResults {
  post: LoadFigures;
  healthz: LoadFigures;
  /** Median microseconds to create an empty file in the service's data folder, before the load. */
  fileCreateMicros: number;
  autocannonVersion: string;
}

/** Files created to time file creation in the data folder. */
export const CREATE_PROBES = 200;

/**
 * Times the creation of empty files in a folder of `dataDir`, where the service creates two files
 * a request. The cost depends on the file system and its recent history, not on qrmail: ext4
 * without a journal, for one, passes over inodes freed in the last minutes while it looks for a
 * free one. The files stay until the data folder is removed.
 */
function medianFileCreateMicros(dataDir: string): number {
  const folder = join(dataDir, 'create-probe');
  mkdirSync(folder);
  const times: number[] = [];
  for (let index = 0; index < CREATE_PROBES; index++) {
    const start = process.hrtime.bigint();
    closeSync(openSync(join(folder, String(index)), 'wx'));
    times.push(Number(process.hrtime.bigint() - start) / 1000);
  }
  return summarise(times).median;
}

function figures(result: autocannon.Result): LoadFigures {
  return {
    requestsPerSecond: result.requests.average,
    minPerSecond: result.requests.min,
    maxPerSecond: result.requests.max,
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    total: result.requests.total,
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
  };
}

export async function benchAccept(log: (line: string) => void, autocannonVersion: string): Promise<AcceptResults> {
  const dataDir = mkdtempSync(join(tmpdir(), 'qrmail-bench-accept-'));
  const fileCreateMicros = medianFileCreateMicros(dataDir);
  const service = await startServiceProcess({
    QRMAIL_DATA_DIR: dataDir,
    QRMAIL_LOG_LEVEL: 'info',
    QRMAIL_RATE_LIMIT: 'off',
  });
  try {
    let counter = 0;
    // Some accepted requests, to fetch and decode their images afterwards.
    const sample: { id: string; url: string }[] = [];
    // Each connection has one request in flight, so its context stores the URL of that request.
    const postOptions = (duration: number): autocannon.Options => ({
      url: `${service.url}/images/qrcode`,
      connections: CONNECTIONS,
      duration,
      requests: [
        {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          setupRequest: (request, context) => {
            const n = counter++;
            (context as Record<string, unknown>).url = benchUrl(n);
            return { ...request, body: JSON.stringify({ url: benchUrl(n), email: `user${n}@example.com` }) };
          },
          onResponse: (status, body, context) => {
            if (status === 202 && sample.length < 8 && counter % 97 === 0) {
              sample.push({ id: (JSON.parse(body) as { id: string }).id, url: (context as { url: string }).url });
            }
          },
        },
      ],
    });

    log(`accept: warm-up, ${WARMUP_SECONDS} s`);
    await autocannon(postOptions(WARMUP_SECONDS));
    log(`accept: POST /images/qrcode, ${POST_SECONDS} s at ${CONNECTIONS} connections`);
    const post = figures(await autocannon(postOptions(POST_SECONDS)));
    log(`accept: GET /healthz, ${HEALTHZ_SECONDS} s at ${CONNECTIONS} connections`);
    const healthz = figures(
      await autocannon({ url: `${service.url}/healthz`, connections: CONNECTIONS, duration: HEALTHZ_SECONDS }),
    );

    if (sample.length === 0) decodeFailures.push('accept: no accepted request was sampled for decoding');
    for (const { id, url } of sample) {
      const response = await fetch(`${service.url}/images/qrcode/${id}.png`);
      if (!response.ok) {
        decodeFailures.push(`accept: GET ${id}.png returned ${response.status}`);
        continue;
      }
      await checkPng(`accept image ${id}`, new Uint8Array(await response.arrayBuffer()), url);
    }
    return { post, healthz, fileCreateMicros, autocannonVersion };
  } finally {
    await service.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}
