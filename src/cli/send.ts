import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { parseArgs } from 'node:util';

import {
  DEFAULT_SERVER,
  imageTypeOf,
  normalizeServer,
  postQrRequest,
  ServiceError,
  uploadImage,
  waitForFinal,
} from './client.js';
import { RENDER_FLAGS, RENDER_FLAGS_HELP, renderFields, UsageError } from './render-flags.js';

export const SEND_HELP = `Usage: qrmail send <url> --email <address> [--server URL] [render options]
       qrmail send --image <file> --email <address> [--server URL] [render options]

Asks a running qrmail service for a code of <url> emailed to <address>, then waits until the
service reports it sent or failed. Exits 0 when sent, 1 when failed or rejected.

Options:
  --email ADDRESS           Recipient of the email (required).
  --image FILE              Upload a PNG, JPEG, GIF or WebP image and send a code of its short link.
  --server URL              The service (default: ${DEFAULT_SERVER}).
  --timeout SECONDS         How long to wait for sent or failed (default: 120).
  -h, --help                Show this help.

${RENDER_FLAGS_HELP}`;

/** Runs `qrmail send`; returns the exit code. */
export async function runSend(argv: string[], stdout: NodeJS.WritableStream = process.stdout): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      ...RENDER_FLAGS,
      email: { type: 'string' },
      image: { type: 'string' },
      server: { type: 'string', default: DEFAULT_SERVER },
      timeout: { type: 'string', default: '120' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    stdout.write(SEND_HELP);
    return 0;
  }
  const expected = values.image === undefined ? 1 : 0;
  if (positionals.length !== expected) {
    throw new UsageError(
      values.image === undefined
        ? `send takes exactly one URL, got ${positionals.length}. See qrmail send --help.`
        : "send --image takes no URL: the code holds the image's short link.",
    );
  }
  if (values.email === undefined) throw new UsageError('--email is required: the address to send the code to.');
  const timeoutSeconds = Number(values.timeout);
  if (!Number.isFinite(timeoutSeconds) || timeoutSeconds <= 0) {
    throw new UsageError(`--timeout must be a positive number of seconds, got ${JSON.stringify(values.timeout)}.`);
  }

  const server = normalizeServer(values.server);
  const fields = renderFields(values);
  try {
    const id =
      values.image === undefined
        ? await postQrRequest(server, { url: positionals[0], email: values.email, ...typedFields(fields) })
        : (await uploadImage(server, readImage(values.image), { ...fields, email: values.email })).id!;
    stdout.write(`queued ${id}\n`);
    const status = await waitForFinal(server, id, { timeoutMs: timeoutSeconds * 1000 });
    if (status.status === 'sent') {
      stdout.write(`sent ${id} to ${values.email}\n`);
      return 0;
    }
    process.stderr.write(`qrmail send: failed ${id}: ${status.lastError ?? 'no reason given'}\n`);
    return 1;
  } catch (error) {
    if (!(error instanceof ServiceError)) throw error;
    const flag = error.field === undefined ? '' : ` (${fieldFlag(error.field)})`;
    process.stderr.write(`qrmail send: ${error.message}${flag}\n`);
    return 1;
  }
}

/** Converts flag text to the JSON types the API expects: numbers and booleans. */
export function typedFields(fields: Record<string, string>): Record<string, string | number | boolean> {
  const typed: Record<string, string | number | boolean> = {};
  for (const [name, value] of Object.entries(fields)) {
    if (value === 'true' || value === 'false') typed[name] = value === 'true';
    else if (/^\d+$/.test(value) && ['margin', 'scale', 'size'].includes(name)) typed[name] = Number(value);
    else typed[name] = value;
  }
  return typed;
}

function fieldFlag(field: string): string {
  if (field === 'url') return '<url>';
  return field === 'allowInverted' ? '--allow-inverted' : `--${field}`;
}

/** Reads an image file for upload, or throws a `UsageError` naming the file. */
export function readImage(path: string): { name: string; bytes: Uint8Array; type: string | undefined } {
  try {
    return { name: basename(path), bytes: readFileSync(path), type: imageTypeOf(path) };
  } catch (error) {
    throw new UsageError(`cannot read --image ${path}: ${(error as Error).message}`);
  }
}
