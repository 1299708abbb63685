import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';

const projectRoot = fileURLToPath(new URL('../../', import.meta.url));

/** The service running as a child process, as `npm start` runs it. */
export interface ServiceProcess {
  url: string;
  /** Every line the process wrote to stdout and stderr so far. */
  output: string[];
  child: ChildProcess;
  /** Sends SIGTERM and waits for the exit code. */
  stop(): Promise<number | null>;
  /** Sends SIGKILL and waits until the process is gone. */
  kill(): Promise<void>;
}

/**
 * Starts `qrmail serve` with `env` added to this process's environment and PORT=0,
 * and resolves with its URL once it logs "qrmail started".
 */
export async function startServiceProcess(env: Record<string, string>): Promise<ServiceProcess> {
  const child = spawn(process.execPath, ['bin/qrmail.js', 'serve'], {
    cwd: projectRoot,
    // Limits are off unless a test turns them on: most tests send many requests from one address.
    env: { ...process.env, PORT: '0', QRMAIL_LOG_LEVEL: 'debug', QRMAIL_RATE_LIMIT: 'off', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output: string[] = [];
  const exited = once(child, 'exit') as Promise<[number | null, string | null]>;

  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`service did not start:\n${output.join('\n')}`)), 20_000);
    const collect = (stream: NodeJS.ReadableStream) => {
      let rest = '';
      stream.setEncoding('utf8');
      stream.on('data', (chunk: string) => {
        const lines = (rest + chunk).split('\n');
        rest = lines.pop() ?? '';
        for (const line of lines) {
          output.push(line);
          if (line.includes('"qrmail started"')) {
            clearTimeout(timer);
            resolve((JSON.parse(line) as { url: string }).url);
          }
        }
      });
    };
    collect(child.stdout!);
    collect(child.stderr!);
    void exited.then(([code]) => {
      clearTimeout(timer);
      reject(new Error(`service exited with ${code} before it started:\n${output.join('\n')}`));
    });
  });

  return {
    url,
    output,
    child,
    async stop() {
      if (child.exitCode !== null) return child.exitCode;
      child.kill('SIGTERM');
      const [code] = await exited;
      return code;
    },
    async kill() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGKILL');
      await exited;
    },
  };
}

/** Parses the JSON log lines of a service's output, skipping anything else. */
export function logRecords(output: string[]): Record<string, unknown>[] {
  const records: Record<string, unknown>[] = [];
  for (const line of output) {
    try {
      records.push(JSON.parse(line) as Record<string, unknown>);
    } catch {
      // Not a log line (such as a Node warning).
    }
  }
  return records;
}

/** Polls `GET /images/qrcode/{id}` until the status is final; returns the last status body. */
export async function waitForFinalStatus(statusUrl: string, timeoutMs = 20_000): Promise<Record<string, unknown>> {
  const deadline = Date.now() + timeoutMs;
  let body: Record<string, unknown> = {};
  while (Date.now() < deadline) {
    const response = await fetch(statusUrl);
    body = (await response.json()) as Record<string, unknown>;
    if (body.status === 'sent' || body.status === 'failed') return body;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`status of ${statusUrl} still ${JSON.stringify(body.status)} after ${timeoutMs} ms`);
}
