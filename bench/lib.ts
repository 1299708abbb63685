/** Shared helpers of the benchmark suite: timing statistics, machine facts and QR decoding checks. */
import { readFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';

import sharp from 'sharp';

import { decodeQrText } from '../test/support/qr-decoder.js';

/** Rates of repeated runs of one benchmark, in operations per second. */
export interface RateSample {
  runs: number[];
  median: number;
  min: number;
  max: number;
}

export function summarise(runs: number[]): RateSample {
  const sorted = [...runs].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  const median = sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
  return { runs, median, min: sorted[0]!, max: sorted[sorted.length - 1]! };
}

/** Options of `measureRate`: run lengths in milliseconds and counts. */
export interface MeasureOptions {
  warmupMs: number;
  runs: number;
  runMs: number;
}

/**
 * Calls `operation` repeatedly: first for `warmupMs` so that V8 compiles the hot paths, then
 * `runs` times for at least `runMs` each, and returns the operations per second of each run.
 */
export async function measureRate(
  operation: (iteration: number) => unknown,
  options: MeasureOptions,
): Promise<RateSample> {
  let iteration = 0;
  const warmupEnd = performance.now() + options.warmupMs;
  while (performance.now() < warmupEnd) await operation(iteration++);

  const rates: number[] = [];
  for (let run = 0; run < options.runs; run++) {
    const start = performance.now();
    let count = 0;
    let elapsed = 0;
    // Time is read every 16 calls, so the clock costs little next to fast operations.
    while (elapsed < options.runMs) {
      for (let i = 0; i < 16; i++, count++) await operation(iteration++);
      elapsed = performance.now() - start;
    }
    rates.push((count * 1000) / elapsed);
  }
  return summarise(rates);
}

/** Measures a synchronous operation as `measureRate` does, without an await per call. */
export function measureRateSync(operation: (iteration: number) => unknown, options: MeasureOptions): RateSample {
  let iteration = 0;
  const warmupEnd = performance.now() + options.warmupMs;
  while (performance.now() < warmupEnd) operation(iteration++);

  const rates: number[] = [];
  for (let run = 0; run < options.runs; run++) {
    const start = performance.now();
    let count = 0;
    let elapsed = 0;
    while (elapsed < options.runMs) {
      for (let i = 0; i < 64; i++, count++) operation(iteration++);
      elapsed = performance.now() - start;
    }
    rates.push((count * 1000) / elapsed);
  }
  return summarise(rates);
}

/** Facts about the machine that the figures depend on. */
export interface MachineFacts {
  cores: number;
  cpuModel: string;
  memoryGiB: number;
  node: string;
  load: string;
}

export function machineFacts(): MachineFacts {
  let cpuModel = cpus()[0]?.model ?? 'unknown';
  try {
    const line = readFileSync('/proc/cpuinfo', 'utf8')
      .split('\n')
      .find((text) => text.startsWith('model name'));
    if (line) cpuModel = line.slice(line.indexOf(':') + 1).trim();
  } catch {
    // Not Linux: keep the model that os.cpus() reports.
  }
  let load = 'unknown';
  try {
    load = readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
  } catch {
    // Not Linux.
  }
  return {
    cores: cpus().length,
    cpuModel,
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    node: process.version,
    load,
  };
}

/** Decoding checks that failed, collected so that the suite can exit non-zero at the end. */
export const decodeFailures: string[] = [];

/** Decodes a PNG with zxing-wasm and records a failure unless its text is exactly `expected`. */
export async function checkPng(label: string, png: Uint8Array, expected: string): Promise<void> {
  try {
    const text = await decodeQrText(png);
    if (text !== expected)
      decodeFailures.push(`${label}: decoded ${JSON.stringify(text)}, expected ${JSON.stringify(expected)}`);
  } catch (error) {
    decodeFailures.push(`${label}: ${(error as Error).message}`);
  }
}

/** Rasterises an SVG with sharp (librsvg) and checks it like `checkPng`. */
export async function checkSvg(label: string, svg: string, expected: string): Promise<void> {
  const png = await sharp(Buffer.from(svg), { density: 72 }).flatten({ background: '#ffffff' }).png().toBuffer();
  await checkPng(label, png, expected);
}

/** Formats a rate with thousands separators and no more precision than it has. */
export function formatRate(value: number): string {
  return value >= 100 ? Math.round(value).toLocaleString('en-US') : value.toFixed(1);
}

export function formatSpread(sample: RateSample): string {
  return `${formatRate(sample.min)}–${formatRate(sample.max)}`;
}
