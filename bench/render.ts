/**
 * Rendering benchmarks: a PNG and an SVG for a 100-byte URL at error correction level M, by
 * qrmail, by node-qrcode and, for the PNG, by the Python service's step (bench/baselines/python_qr.py).
 */
import { execFile, execFileSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

import QRCode from 'qrcode';

import { ZxingVerifier } from '../src/adapters/zxing/index.js';
import { verifyCode } from '../src/core/render.js';
import { resolveRenderOptions } from '../src/core/render-options.js';
import { encodeQr, renderPng, renderSvg } from '../src/qr/index.js';
import { checkPng, checkSvg, measureRate, measureRateSync, summarise, type RateSample } from './lib.js';

const PYTHON = '/usr/bin/python3';
const execFileAsync = promisify(execFile);
const PYTHON_QR_SCRIPT = fileURLToPath(new URL('./baselines/python_qr.py', import.meta.url));

/** 94 bytes; with `?i=` and a three-digit number, every URL is 100 bytes. */
export const BASE_URL = 'https://example.com/images/' + 'a'.repeat(67);

/** Returns the URL of iteration `n`, ending in a number from 100 to 999, so that it is always 100 bytes. */
export function benchUrl(n: number): string {
  return `${BASE_URL}?i=${100 + (n % 900)}`;
}

const MODULE_SIZE = 10;
const MARGIN = 4;
const NODE_QRCODE_PNG = { errorCorrectionLevel: 'M', margin: MARGIN, scale: MODULE_SIZE, type: 'png' } as const;
const NODE_QRCODE_SVG = { errorCorrectionLevel: 'M', margin: MARGIN, type: 'svg' } as const;

export interface RenderResults {
  png: {
    qrmail: RateSample;
    nodeQrcode: RateSample;
    python: RateSample | undefined;
    pythonSkipped: string | undefined;
    /** Medians of the per-round ratios of qrmail's rate to the baseline's. */
    ratioVsNode: RateSample;
    ratioVsPython: RateSample | undefined;
    qrmailBytes: number;
    nodeQrcodeBytes: number;
    pythonBytes: number | undefined;
    version: number;
    width: number;
    bitDepth: number;
    colourType: number;
  };
  svg: { qrmail: RateSample; nodeQrcode: RateSample; ratio: RateSample };
  /** The decoder check that every stored code passes: zxing-wasm on a 2-pixel-a-module raster. */
  verify: RateSample;
  versions: { qrcode: string; pythonQrcode: string | undefined; pillow: string | undefined };
}

function renderQrmailPng(n: number): Buffer {
  return renderPng(encodeQr(benchUrl(n), { level: 'M' }), { moduleSize: MODULE_SIZE, margin: MARGIN });
}

function renderQrmailSvg(n: number): string {
  return renderSvg(encodeQr(benchUrl(n), { level: 'M' }), { margin: MARGIN });
}

/** Rounds of the rendering benchmarks; each round runs every renderer once, one after another. */
export const ROUNDS = 5;

export async function benchRender(log: (line: string) => void): Promise<RenderResults> {
  // Warm-up, so that V8 has compiled the hot paths of both libraries before the first round.
  log('render: warm-up');
  measureRateSync(renderQrmailPng, { warmupMs: 1500, runs: 0, runMs: 0 });
  measureRateSync(renderQrmailSvg, { warmupMs: 1500, runs: 0, runMs: 0 });
  await measureRate((n) => QRCode.toBuffer(benchUrl(n), NODE_QRCODE_PNG), { warmupMs: 1000, runs: 0, runMs: 0 });
  await measureRate((n) => QRCode.toString(benchUrl(n), NODE_QRCODE_SVG), { warmupMs: 1000, runs: 0, runMs: 0 });

  // The machine's load can change within seconds, so the renderers take turns in each round and
  // every ratio is the median of per-round ratios.
  const pythonCheck = pythonVersions();
  const runs = { qrmailPng: [] as number[], nodePng: [] as number[], python: [] as number[] };
  const svgRuns = { qrmail: [] as number[], node: [] as number[] };
  const ratios = { pngVsNode: [] as number[], pngVsPython: [] as number[], svgVsNode: [] as number[] };
  let pythonBytes: number | undefined;
  const pngPath = join(tmpdir(), `qrmail-bench-python-qr-${process.pid}.png`);
  const once = { warmupMs: 0, runs: 1, runMs: 500 };
  for (let round = 0; round < ROUNDS; round++) {
    log(`render: round ${round + 1} of ${ROUNDS}`);
    const qrmailPng = measureRateSync(renderQrmailPng, once).median;
    const nodePng = (await measureRate((n) => QRCode.toBuffer(benchUrl(n), NODE_QRCODE_PNG), { ...once, runMs: 1000 }))
      .median;
    runs.qrmailPng.push(qrmailPng);
    runs.nodePng.push(nodePng);
    ratios.pngVsNode.push(qrmailPng / nodePng);
    if (pythonCheck.versions) {
      const python = await runPythonQr(pngPath);
      runs.python.push(python.codesPerSecond);
      pythonBytes = python.pngBytes;
      ratios.pngVsPython.push(qrmailPng / python.codesPerSecond);
    }

    const qrmailSvg = measureRateSync(renderQrmailSvg, once).median;
    const nodeSvg = (await measureRate((n) => QRCode.toString(benchUrl(n), NODE_QRCODE_SVG), { ...once, runMs: 1000 }))
      .median;
    svgRuns.qrmail.push(qrmailSvg);
    svgRuns.node.push(nodeSvg);
    ratios.svgVsNode.push(qrmailSvg / nodeSvg);
  }

  // A fast wrong code is worthless: decode a sample of every renderer's output.
  for (const n of [0, 1, 257, 899]) {
    await checkPng(`qrmail PNG ${n}`, renderQrmailPng(n), benchUrl(n));
    await checkSvg(`qrmail SVG ${n}`, renderQrmailSvg(n), benchUrl(n));
  }
  const nodePngSample = await QRCode.toBuffer(benchUrl(5), NODE_QRCODE_PNG);
  await checkPng('node-qrcode PNG', nodePngSample, benchUrl(5));
  await checkSvg('node-qrcode SVG', await QRCode.toString(benchUrl(6), NODE_QRCODE_SVG), benchUrl(6));

  if (pythonCheck.versions) {
    // The script saves its last code, number 100 + 99.
    await checkPng('Python qrcode PNG', readFileSync(pngPath), `${BASE_URL}?i=199`);
    rmSync(pngPath, { force: true });
  }

  // The check the accept flow runs before storing a code, measured on its own.
  log('render: decoder check');
  const verifier = new ZxingVerifier();
  const defaults = resolveRenderOptions({});
  const verifyOnce = (n: number) => verifyCode(verifier, encodeQr(benchUrl(n), { level: 'M' }), defaults, benchUrl(n));
  const verify = await measureRate(verifyOnce, { warmupMs: 1000, runs: ROUNDS, runMs: 500 });

  const samplePng = renderQrmailPng(0);
  return {
    png: {
      qrmail: summarise(runs.qrmailPng),
      nodeQrcode: summarise(runs.nodePng),
      python: pythonCheck.versions ? summarise(runs.python) : undefined,
      pythonSkipped: pythonCheck.skipped,
      ratioVsNode: summarise(ratios.pngVsNode),
      ratioVsPython: pythonCheck.versions ? summarise(ratios.pngVsPython) : undefined,
      qrmailBytes: samplePng.length,
      nodeQrcodeBytes: nodePngSample.length,
      pythonBytes,
      version: encodeQr(benchUrl(0), { level: 'M' }).version,
      width: samplePng.readUInt32BE(16),
      bitDepth: samplePng[24]!,
      colourType: samplePng[25]!,
    },
    svg: { qrmail: summarise(svgRuns.qrmail), nodeQrcode: summarise(svgRuns.node), ratio: summarise(ratios.svgVsNode) },
    verify,
    versions: {
      qrcode: (JSON.parse(readFileSync('node_modules/qrcode/package.json', 'utf8')) as { version: string }).version,
      pythonQrcode: pythonCheck.versions?.qrcode,
      pillow: pythonCheck.versions?.pillow,
    },
  };
}

/** Returns the versions of Python's qrcode and Pillow, or why the Python baseline cannot run. */
function pythonVersions(): { versions?: { qrcode: string; pillow: string }; skipped?: string } {
  if (!existsSync(PYTHON)) return { skipped: `${PYTHON} not found` };
  try {
    const [qrcode, pillow] = execFileSync(
      PYTHON,
      ['-c', 'import importlib.metadata as m; print(m.version("qrcode")); print(m.version("pillow"))'],
      { encoding: 'utf8' },
    )
      .trim()
      .split('\n');
    return { versions: { qrcode: qrcode!, pillow: pillow! } };
  } catch {
    return { skipped: `${PYTHON} has no qrcode or Pillow package` };
  }
}

/** Runs bench/baselines/python_qr.py once: 20 codes of warm-up, then 100 timed codes. */
async function runPythonQr(pngPath: string): Promise<{ codesPerSecond: number; pngBytes: number }> {
  const { stdout } = await execFileAsync(PYTHON, [PYTHON_QR_SCRIPT, BASE_URL, '100', pngPath], { encoding: 'utf8' });
  const match = /codes_per_s=([\d.]+) png_bytes=(\d+)/.exec(stdout);
  if (!match) throw new Error(`python_qr.py printed no result: ${JSON.stringify(stdout)}`);
  return { codesPerSecond: Number(match[1]), pngBytes: Number(match[2]) };
}
