/**
 * Cold start of the Lambda functions: each handler bundled with esbuild as infra/functions.ts
 * bundles it, then imported by fresh `node` processes, which build the SDK clients at import.
 */
import { execFile } from 'node:child_process';
import { copyFileSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';

import { build } from 'esbuild';

import { BUNDLE_ALIASES } from '../infra/bundle-aliases.js';
import { summarise, type RateSample } from './lib.js';

const execFileAsync = promisify(execFile);
const require = createRequire(import.meta.url);

const HANDLERS = {
  api: 'src/runtime/lambda/api-handler.ts',
  mailer: 'src/runtime/lambda/mailer-handler.ts',
} as const;

/** Processes started per bundle. */
export const COLD_STARTS = 7;

/**
 * Dummy values for the variables that src/runtime/lambda/config.ts requires. No AWS call happens
 * at import. LAMBDA_TASK_ROOT is set per run to the bundle's folder.
 */
const LAMBDA_ENV = {
  AWS_REGION: 'us-east-1',
  AWS_ACCESS_KEY_ID: 'bench',
  AWS_SECRET_ACCESS_KEY: 'bench',
  QRMAIL_BUCKET: 'bench-bucket',
  QRMAIL_TABLE: 'bench-table',
  QRMAIL_MAIL_FROM: 'qrmail <qrmail@example.com>',
  QRMAIL_SMTP_HOST: 'smtp.example.com',
  QRMAIL_SMTP_SECRET: 'qrmail/smtp',
  QRMAIL_DEAD_LETTER_QUEUE_URL: 'https://sqs.us-east-1.amazonaws.com/000000000000/bench-dlq',
};

/** Size and import time of one bundle. Import times are in milliseconds. */
export interface BundleFigures {
  bytes: number;
  /** Size of zxing_reader.wasm, which the API function reads from beside the bundle at import. */
  wasmBytes: number | undefined;
  /** Time inside the process from before `import()` to the handler being ready. */
  importMs: RateSample;
  /** Time from spawning `node` to its exit, the process start included. */
  processMs: RateSample;
}

export type ColdStartResults = Record<keyof typeof HANDLERS, BundleFigures> & { esbuildVersion: string };

export async function benchColdStart(log: (line: string) => void, esbuildVersion: string): Promise<ColdStartResults> {
  const dir = mkdtempSync(join(tmpdir(), 'qrmail-bench-bundle-'));
  // The CDK bundle copies the decoder's .wasm beside the handler, where the API function reads it.
  const wasm = require.resolve('zxing-wasm/reader/zxing_reader.wasm');
  copyFileSync(wasm, join(dir, 'zxing_reader.wasm'));
  try {
    const results: Partial<Record<keyof typeof HANDLERS, BundleFigures>> = {};
    for (const [name, entry] of Object.entries(HANDLERS) as [keyof typeof HANDLERS, string][]) {
      log(`cold start: bundling ${entry}`);
      const outfile = join(dir, `${name}.mjs`);
      await build({
        entryPoints: [entry],
        outfile,
        bundle: true,
        minify: true,
        platform: 'node',
        target: 'node22',
        format: 'esm',
        mainFields: ['module', 'main'],
        banner: {
          js: "import { createRequire as bannerCreateRequire } from 'node:module'; const require = bannerCreateRequire(import.meta.url);",
        },
        // As in infra/functions.ts: the API function loads sharp from its own folder on the first upload.
        external: name === 'api' ? ['sharp'] : [],
        alias: BUNDLE_ALIASES,
        logLevel: 'warning',
      });

      // The child prints the milliseconds its import took; the handler export proves the import ran.
      const script =
        `const start = performance.now(); const module = await import(${JSON.stringify(pathToFileURL(outfile).href)});` +
        `if (typeof module.handler !== 'function') throw new Error('no handler export');` +
        `console.log(performance.now() - start);`;
      const importRuns: number[] = [];
      const processRuns: number[] = [];
      // One process first to fill the file cache; it is not counted.
      for (let run = 0; run <= COLD_STARTS; run++) {
        const start = performance.now();
        const { stdout } = await execFileAsync(process.execPath, ['--input-type=module', '-e', script], {
          env: { PATH: process.env.PATH ?? '', ...LAMBDA_ENV, LAMBDA_TASK_ROOT: dir },
        });
        const elapsed = performance.now() - start;
        if (run === 0) continue;
        importRuns.push(Number(stdout.trim()));
        processRuns.push(elapsed);
      }
      results[name] = {
        bytes: statSync(outfile).size,
        wasmBytes: name === 'api' ? statSync(wasm).size : undefined,
        importMs: summarise(importRuns),
        processMs: summarise(processRuns),
      };
    }
    return { ...(results as Record<keyof typeof HANDLERS, BundleFigures>), esbuildVersion };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
