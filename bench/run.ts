/**
 * Runs the benchmark suite on loopback, prints a table and writes docs/benchmarks.md.
 * Every ratio compares figures measured in this run on this machine. A decoding mismatch in any
 * benchmark's sample makes the suite exit with status 1.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';

import { version as esbuildVersion } from 'esbuild';

import {
  benchAccept,
  CONNECTIONS,
  CREATE_PROBES,
  HEALTHZ_SECONDS,
  POST_SECONDS,
  WARMUP_SECONDS,
  type AcceptResults,
} from './accept.js';
import { benchColdStart, COLD_STARTS, type ColdStartResults } from './cold-start.js';
import {
  benchDelivery,
  DELIVERY_RUNS,
  DELIVERY_SETTINGS,
  EMAILS,
  PYTHON_EMAILS,
  type DeliveryResults,
} from './delivery.js';
import { decodeFailures, formatRate, formatSpread, machineFacts, type RateSample } from './lib.js';
import { benchRender, ROUNDS, type RenderResults } from './render.js';

function packageVersion(name: string): string {
  return (JSON.parse(readFileSync(`node_modules/${name}/package.json`, 'utf8')) as { version: string }).version;
}

function pythonVersion(): string | undefined {
  try {
    return execFileSync('/usr/bin/python3', ['--version'], { encoding: 'utf8' })
      .trim()
      .replace(/^Python /, '');
  } catch {
    return undefined;
  }
}

const log = (line: string) => console.error(`[bench] ${line}`);
const started = performance.now();
const machine = machineFacts();

const render = await benchRender(log);
const accept = await benchAccept(log, packageVersion('autocannon'));
const delivery = await benchDelivery(log);
const coldStart = await benchColdStart(log, esbuildVersion);
const seconds = Math.round((performance.now() - started) / 1000);
const loadAfter = machineFacts().load;

/** One line of the summary table. */
interface Row {
  benchmark: string;
  result: string;
  comparison: string;
  target: string;
  met: boolean | undefined | null;
}

function ratio(a: number, b: number): number {
  return a / b;
}

function times(value: number): string {
  return `${value >= 10 ? Math.round(value) : value.toFixed(1)}x`;
}

function rows(r: RenderResults, a: AcceptResults, d: DeliveryResults, c: ColdStartResults): Row[] {
  const png = r.png;
  const pngVsNode = png.ratioVsNode.median;
  const pngVsPython = png.ratioVsPython?.median;
  const svgVsNode = r.svg.ratio.median;
  const healthzRatio = ratio(a.post.requestsPerSecond, a.healthz.requestsPerSecond);
  const deliveryVsPython = d.python ? ratio(d.qrmail.median, d.python.median) : undefined;
  const result: Row[] = [
    {
      benchmark: 'PNG, 100-byte URL at M: qrmail vs node-qrcode toBuffer',
      result: `${formatRate(png.qrmail.median)} codes/s`,
      comparison: `${formatRate(png.nodeQrcode.median)} codes/s, ${times(pngVsNode)}`,
      target: 'at least 20x',
      met: pngVsNode >= 20,
    },
    {
      benchmark: 'PNG, 100-byte URL at M: qrmail vs Python qrcode + Pillow',
      result: `${formatRate(png.qrmail.median)} codes/s`,
      comparison:
        png.python && pngVsPython !== undefined
          ? `${formatRate(png.python.median)} codes/s, ${times(pngVsPython)}`
          : `skipped: ${png.pythonSkipped}`,
      target: 'at least 40x',
      met: pngVsPython === undefined ? undefined : pngVsPython >= 40,
    },
    {
      benchmark: 'PNG size at 10 px per module: qrmail vs Python',
      result: `${png.qrmailBytes} bytes`,
      comparison: png.pythonBytes === undefined ? 'skipped' : `${png.pythonBytes} bytes`,
      target: 'no larger',
      met: png.pythonBytes === undefined ? undefined : png.qrmailBytes <= png.pythonBytes,
    },
    {
      benchmark: 'SVG, 100-byte URL at M: qrmail vs node-qrcode toString',
      result: `${formatRate(r.svg.qrmail.median)} codes/s`,
      comparison: `${formatRate(r.svg.nodeQrcode.median)} codes/s, ${times(svgVsNode)}`,
      target: 'at least 10x',
      met: svgVsNode >= 10,
    },
    {
      benchmark: 'Decoder check of a stored code (zxing-wasm, one pixel a module, encoding included)',
      result: `${formatRate(r.verify.median)} checks/s`,
      comparison: `${(1000 / r.verify.median).toFixed(2)} ms a code, against ${(1000 / png.qrmail.median).toFixed(2)} ms to render its PNG`,
      target: 'none, the cost is reported',
      met: null,
    },
    {
      benchmark: `POST /images/qrcode, local mode, ${CONNECTIONS} connections`,
      result: `${formatRate(a.post.requestsPerSecond)} requests/s`,
      comparison: `GET /healthz ${formatRate(a.healthz.requestsPerSecond)} requests/s, ratio ${healthzRatio.toFixed(2)}`,
      target: 'at least 2,000 requests/s and ratio 0.3',
      met: a.post.requestsPerSecond >= 2000 && healthzRatio >= 0.3,
    },
    {
      benchmark: 'POST /images/qrcode p99 latency',
      result: `${a.post.p99Ms} ms`,
      comparison: `GET /healthz p99 ${a.healthz.p99Ms} ms`,
      target: 'at most 50 ms',
      met: a.post.p99Ms <= 50,
    },
    {
      benchmark: 'Delivery, queued events to accepted SMTP messages',
      result: `${formatRate(d.qrmail.median)} emails/s`,
      comparison:
        d.python && deliveryVsPython !== undefined
          ? `Python, a connection per email: ${formatRate(d.python.median)} emails/s, ${times(deliveryVsPython)}`
          : `skipped: ${d.pythonSkipped}`,
      target: 'at least 500 emails/s and 50x',
      met: deliveryVsPython === undefined ? undefined : d.qrmail.median >= 500 && deliveryVsPython >= 50,
    },
  ];
  for (const name of ['api', 'mailer'] as const) {
    const bundle = c[name];
    result.push({
      benchmark: `Lambda ${name} bundle size`,
      result: `${(bundle.bytes / 2 ** 20).toFixed(2)} MiB`,
      comparison: bundle.wasmBytes === undefined ? '' : `plus ${(bundle.wasmBytes / 2 ** 20).toFixed(2)} MiB of .wasm`,
      target: 'at most 1 MB',
      met: bundle.bytes <= 1_000_000,
    });
    result.push({
      benchmark: `Lambda ${name} import and client setup`,
      result: `${bundle.importMs.median.toFixed(0)} ms`,
      comparison: `whole node process ${bundle.processMs.median.toFixed(0)} ms`,
      target: 'at most 100 ms',
      met: bundle.importMs.median <= 100,
    });
  }
  return result;
}

const table = rows(render, accept, delivery, coldStart);
function metText(met: boolean | undefined | null): string {
  // null marks a row that reports a cost and has no target.
  if (met === null) return 'no target';
  if (met === undefined) return 'not run';
  return met ? 'yes' : 'no';
}

console.log('');
for (const row of table) {
  console.log(`${row.benchmark}\n  ${row.result} | ${row.comparison} | target ${row.target}: ${metText(row.met)}`);
}
if (decodeFailures.length > 0) {
  console.log(`\nDecoding failures:\n${decodeFailures.map((failure) => `  ${failure}`).join('\n')}`);
}

function spreadLine(label: string, sample: RateSample, unit: string): string {
  return `| ${label} | ${formatRate(sample.median)} ${unit} | ${formatSpread(sample)} | ${sample.runs.length} |`;
}

const markdown = `# Benchmarks

\`npm run bench\` (bench/run.ts) wrote this page. It ran for ${seconds} s. Every ratio compares
figures measured in that one run on the machine below. The load generator, the service, the SMTP
server and the baselines share its cores, and other processes may too: a load average above the
core count means that every figure had less than a whole core.

## Machine

| | |
| --- | --- |
| CPU | ${machine.cpuModel} |
| Cores | ${machine.cores} |
| Memory | ${machine.memoryGiB} GiB |
| Node.js | ${machine.node} |
| Load average (1, 5, 15 min) | ${machine.load} at the start, ${loadAfter} at the end |

## Compared against

| Software | Version |
| --- | --- |
| node-qrcode (\`qrcode\` on npm) | ${render.versions.qrcode} |
| Python | ${pythonVersion() ?? 'not found'} |
| Python \`qrcode\` | ${render.versions.pythonQrcode ?? 'not installed'} |
| Pillow | ${render.versions.pillow ?? 'not installed'} |
| autocannon | ${accept.autocannonVersion} |
| esbuild | ${coldStart.esbuildVersion} |
| zxing-wasm (decoding checks) | ${packageVersion('zxing-wasm')} |

## Results

| Benchmark | qrmail | Compared with | Target | Met |
| --- | --- | --- | --- | --- |
${table.map((row) => `| ${row.benchmark} | ${row.result} | ${row.comparison} | ${row.target} | ${metText(row.met)} |`).join('\n')}

Decoding checks: ${decodeFailures.length === 0 ? 'every sampled output decoded to its exact URL with zxing-wasm.' : `${decodeFailures.length} failed.`}

## Method

**Rendering.** Each code is made from a 100-byte URL (\`https://example.com/images/\`, 67 \`a\`,
\`?i=\` and a number from 100 to 999) at error correction level M, with 10 pixels per module and a
4-module quiet zone, so version ${render.png.version} and ${render.png.width} x ${render.png.width} pixels.
qrmail's step is \`encodeQr\` then \`renderPng\` (a ${render.png.bitDepth}-bit image of colour type
${render.png.colourType}, greyscale) or \`renderSvg\`; node-qrcode's is \`QRCode.toBuffer\` with
\`{ errorCorrectionLevel: 'M', margin: 4, scale: 10 }\`, an 8-bit RGBA PNG of ${render.png.nodeQrcodeBytes} bytes, or
\`QRCode.toString\` with \`type: 'svg'\`. bench/baselines/python_qr.py renders with
\`qrcode.make\` (defaults: level M, box_size 10, border 4) and saves through Pillow. After a
warm-up (1.5 s per qrmail format, 1 s per node-qrcode format, 20 codes in each Python process), ${ROUNDS}
rounds run each renderer in turn: qrmail for at least 0.5 s, node-qrcode for at least 1 s, Python
for 100 codes. The machine's load changes within seconds, so a ratio in the table is the median
of the ${ROUNDS} per-round ratios, not the ratio of the medians below.

| Run | Median | Spread (min–max) | Runs |
| --- | --- | --- | --- |
${spreadLine('qrmail PNG', render.png.qrmail, 'codes/s')}
${spreadLine('node-qrcode PNG', render.png.nodeQrcode, 'codes/s')}
${render.png.python ? spreadLine('Python qrcode PNG', render.png.python, 'codes/s') : `| Python qrcode PNG | skipped: ${render.png.pythonSkipped} | | |`}
${spreadLine('qrmail SVG', render.svg.qrmail, 'codes/s')}
${spreadLine('node-qrcode SVG', render.svg.nodeQrcode, 'codes/s')}
| Ratio qrmail / node-qrcode, PNG | ${times(render.png.ratioVsNode.median)} | ${times(render.png.ratioVsNode.min)}–${times(render.png.ratioVsNode.max)} | ${ROUNDS} |
${render.png.ratioVsPython ? `| Ratio qrmail / Python, PNG | ${times(render.png.ratioVsPython.median)} | ${times(render.png.ratioVsPython.min)}–${times(render.png.ratioVsPython.max)} | ${ROUNDS} |` : '| Ratio qrmail / Python, PNG | skipped | | |'}
| Ratio qrmail / node-qrcode, SVG | ${times(render.svg.ratio.median)} | ${times(render.svg.ratio.min)}–${times(render.svg.ratio.max)} | ${ROUNDS} |

**Accept path.** The accept path decodes every code with zxing-wasm before it stores it
(src/core/render.ts, \`verifyCode\`, on an image of one pixel a module). It answers 202 only after
the PNG and its metadata file are flushed to disk with fsync and renamed, their folder is flushed,
and the request record and the event are committed to SQLite with the WAL flushed. Concurrent
requests share commits and flushes (src/adapters/sqlite-writes, src/adapters/shared-fsync).
\`bin/qrmail.js serve\` runs as a child process with PORT=0, a temporary
QRMAIL_DATA_DIR, QRMAIL_RATE_LIMIT=off, the default log level (info, a JSON line per request,
read by the benchmark process) and the outbox as mail transport, so its delivery worker writes
\`.eml\` files while the load runs. autocannon sends
\`POST /images/qrcode\` with a JSON body (a distinct 100-byte URL and address per request) over
${CONNECTIONS} connections: ${WARMUP_SECONDS} s of warm-up, then ${POST_SECONDS} s measured, then
\`GET /healthz\` for ${HEALTHZ_SECONDS} s on the same server. autocannon samples requests once a
second; the spread is the lowest and highest second. Before the load, creating an empty file in the
data folder took ${accept.fileCreateMicros.toFixed(0)} µs (median of ${CREATE_PROBES}). Each accepted request
creates two files and each delivered email one, and that time is spent in the kernel on the same
two cores. It depends on the file system's recent history: ext4 without a journal, for one, passes
over every inode freed in the last minutes while it looks for a free one.

| Run | Requests/s (mean) | Spread per second | p50 | p99 | Requests | Non-2xx | Errors |
| --- | --- | --- | --- | --- | --- | --- | --- |
| POST /images/qrcode | ${formatRate(accept.post.requestsPerSecond)} | ${formatRate(accept.post.minPerSecond)}–${formatRate(accept.post.maxPerSecond)} | ${accept.post.p50Ms} ms | ${accept.post.p99Ms} ms | ${accept.post.total} | ${accept.post.non2xx} | ${accept.post.errors + accept.post.timeouts} |
| GET /healthz | ${formatRate(accept.healthz.requestsPerSecond)} | ${formatRate(accept.healthz.minPerSecond)}–${formatRate(accept.healthz.maxPerSecond)} | ${accept.healthz.p50Ms} ms | ${accept.healthz.p99Ms} ms | ${accept.healthz.total} | ${accept.healthz.non2xx} | ${accept.healthz.errors + accept.healthz.timeouts} |

**Delivery.** An smtp-server from test/support/smtp-server.ts, in the benchmark process, listens
with implicit TLS and a required login. It records each message's raw bytes; the sampled messages
are parsed with mailparser after the clock stops. Each of ${DELIVERY_RUNS} runs starts a service with
a fresh data folder, and the server holds every connection until ${EMAILS} requests are recorded
through \`POST /images/qrcode\`. The clock starts when it lets the connections through and stops when
it has accepted all ${EMAILS} messages of the run (median ${formatRate(delivery.qrmail.median)}, spread
${formatSpread(delivery.qrmail)} emails/s). The service sends through its SmtpTransport, which hands
each built message to nodemailer's connection pool, with
${Object.entries(DELIVERY_SETTINGS)
  .map(([name, value]) => `${name}=${value}`)
  .join(', ')}; the default rate limit of 100 messages per second would cap the figure.
bench/baselines/python_mailer.py opens an \`smtplib.SMTP_SSL\` connection per email, logs in and
sends an HTML email with the PNG attached; it runs 3 times, ${PYTHON_EMAILS} emails each, against the
same server${delivery.python ? ` (median ${formatRate(delivery.python.median)}, spread ${formatSpread(delivery.python)} emails/s)` : ''}.
The ratio in the table is the ratio of the two medians.

**Cold start.** esbuild bundles src/runtime/lambda/api-handler.ts and mailer-handler.ts with the
settings of infra/functions.ts (minify, platform node, target node22, ESM with a \`createRequire\`
banner, the SDK's default credential chain replaced by src/runtime/lambda/env-credentials.ts as
infra/bundle-aliases.ts lists, every dependency bundled except sharp, which the API function loads
from its own folder on the first upload). For each bundle, ${COLD_STARTS} fresh \`node\` processes import it after
one untimed process; the import builds the SDK clients and makes no network call. The environment
holds dummy values for the variables src/runtime/lambda/config.ts requires.

| Bundle | Size | Import, median | Spread | Whole process, median |
| --- | --- | --- | --- | --- |
${(['api', 'mailer'] as const)
  .map((name) => {
    const bundle = coldStart[name];
    return `| ${name} | ${bundle.bytes.toLocaleString('en-US')} bytes | ${bundle.importMs.median.toFixed(0)} ms | ${bundle.importMs.min.toFixed(0)}–${bundle.importMs.max.toFixed(0)} ms | ${bundle.processMs.median.toFixed(0)} ms |`;
  })
  .join('\n')}

**Decoding.** Every benchmark decodes a sample of its outputs with zxing-wasm: four qrmail PNGs and
SVGs (rasterised with sharp), one of each node-qrcode format, the last Python PNG, up to eight images
fetched from the accept run, and every 200th delivered email's attachment. A mismatch fails the suite.
`;

writeFileSync('docs/benchmarks.md', markdown);
log('wrote docs/benchmarks.md');

if (decodeFailures.length > 0) {
  console.error(`${decodeFailures.length} decoding checks failed`);
  process.exit(1);
}
process.exit(0);
