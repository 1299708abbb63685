import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const projectRoot = fileURLToPath(new URL('../../', import.meta.url));

/** The outcome of one run of bin/qrmail.js. */
export interface CliResult {
  code: number | null;
  stdout: Buffer;
  stderr: string;
}

/** Runs `node bin/qrmail.js ...args` with pipes for stdout and stderr (so neither is a terminal). */
export function runQrmail(
  args: string[],
  options: { cwd?: string; env?: Record<string, string> } = {},
): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [`${projectRoot}bin/qrmail.js`, ...args], {
      cwd: options.cwd ?? projectRoot,
      env: { ...process.env, ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
    child.on('error', reject);
    child.on('close', (code) =>
      resolve({ code, stdout: Buffer.concat(stdout), stderr: Buffer.concat(stderr).toString('utf8') }),
    );
  });
}

/** Runs `node bin/qrmail.js ...args` under `script`, so stdout and stderr are a pseudo-terminal. */
export function runQrmailInTerminal(args: string[]): Promise<CliResult> {
  const command = [process.execPath, `${projectRoot}bin/qrmail.js`, ...args]
    .map((part) => `'${part.replace(/'/g, `'\\''`)}'`)
    .join(' ');
  return new Promise((resolve, reject) => {
    const child = spawn('script', ['-eqc', command, '/dev/null'], { stdio: ['ignore', 'pipe', 'pipe'] });
    const output: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => output.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => output.push(chunk));
    child.on('error', reject);
    child.on('close', (code) =>
      resolve({ code, stdout: Buffer.concat(output), stderr: Buffer.concat(output).toString('utf8') }),
    );
  });
}
