import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';

import { parse } from 'csv-parse/sync';

import { DEFAULT_SERVER, normalizeServer, postQrRequest, ServiceError, waitForFinal } from './client.js';
import { makeCode } from './make.js';
import { RENDER_FLAGS, RENDER_FLAGS_HELP, renderFields, UsageError } from './render-flags.js';
import { typedFields } from './send.js';

export const BATCH_HELP = `Usage: qrmail batch <file.csv> [--out DIR] [--url-column NAME] [--email-column NAME] [--server URL]

Reads a CSV file with a header row. Each row has a URL and optionally an email address. With --out,
each code is written to DIR as line-<N>.png (or .svg), N being the row's line in the file. A row
with an address is also sent through a running qrmail service, and the batch waits until each email
is sent or failed.

Progress is saved after each row in DIR/.qrmail-batch.json, or <file.csv>.qrmail-batch.json without
--out. Running the same command again skips the rows already done and emails nobody twice. The exit
code is 1 when any row failed.

Options:
  --out DIR                 Folder for the images; created if missing.
  --url-column NAME         Column holding the URL (default: url).
  --email-column NAME       Column holding the address (default: email).
  --server URL              The service that sends the emails (default: ${DEFAULT_SERVER}).
  --timeout SECONDS         How long to wait for all emails to be sent or failed (default: 300).
  -h, --help                Show this help.

${RENDER_FLAGS_HELP}`;

/** The state file entry of one CSV row, keyed by its line number. */
interface RowState {
  url: string;
  email: string;
  /** Image written, relative to the output folder. */
  file?: string;
  /** Id of the request posted for the email. */
  requestId?: string;
  /** Final state: `made` for a row without an address. A request id without a status is still being delivered. */
  status?: 'made' | 'sent' | 'failed';
  error?: string;
}

interface BatchState {
  version: 1;
  csv: string;
  rows: Record<string, RowState>;
}

interface Row {
  line: number;
  url: string;
  email: string;
}

/** Shows progress as a bar on a terminal, or as one plain line per row otherwise. */
class Progress {
  private done = 0;

  constructor(
    private readonly total: number,
    private readonly stream: NodeJS.WriteStream,
  ) {}

  row(line: number, message: string): void {
    this.done += 1;
    if (this.stream.isTTY) {
      const width = 30;
      const filled = Math.round((this.done / this.total) * width);
      this.stream.write(`\r[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${this.done}/${this.total} rows`);
      if (this.done === this.total) this.stream.write('\n');
    } else {
      this.stream.write(`line ${line}: ${message}\n`);
    }
  }

  note(message: string): void {
    this.stream.write(this.stream.isTTY ? `\r\u001b[K${message}\n` : `${message}\n`);
  }
}

function readRows(file: string, urlColumn: string, emailColumn: string): Row[] {
  let records: { record: Record<string, string>; info: { lines: number } }[];
  try {
    records = parse(readFileSync(file), { columns: true, info: true, skip_empty_lines: true, trim: true, bom: true });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new UsageError(`${file} does not exist.`);
    throw new UsageError(`${file} is not valid CSV: ${(error as Error).message}`);
  }
  const columns = records.length === 0 ? [] : Object.keys(records[0]!.record);
  if (records.length > 0 && !columns.includes(urlColumn)) {
    throw new UsageError(
      `${file} has no column ${JSON.stringify(urlColumn)}; its columns are ${columns.join(', ')}. Name the URL column with --url-column.`,
    );
  }
  // NOTE: `info.lines` is the line a record ends on, which differs from its first line only for a
  // record with a quoted line break.
  return records.map(({ record, info }) => ({
    line: info.lines,
    url: record[urlColumn] ?? '',
    email: record[emailColumn] ?? '',
  }));
}

function loadState(path: string, csv: string): BatchState {
  if (!existsSync(path)) return { version: 1, csv, rows: {} };
  const state = JSON.parse(readFileSync(path, 'utf8')) as BatchState;
  if (state.csv !== csv) {
    throw new UsageError(
      `${path} records a batch of ${state.csv}, not ${csv}: use another --out folder, or delete the state file to start over.`,
    );
  }
  return state;
}

/** Writes the state through a temporary file and a rename, so an interruption leaves the old or the new file. */
function saveState(path: string, state: BatchState): void {
  const temporary = `${path}.tmp`;
  writeFileSync(temporary, `${JSON.stringify(state, null, 2)}\n`);
  renameSync(temporary, path);
}

/** Runs `qrmail batch`; returns the exit code. */
export async function runBatch(argv: string[], stdout: NodeJS.WritableStream = process.stdout): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      ...RENDER_FLAGS,
      out: { type: 'string' },
      'url-column': { type: 'string', default: 'url' },
      'email-column': { type: 'string', default: 'email' },
      server: { type: 'string', default: DEFAULT_SERVER },
      timeout: { type: 'string', default: '300' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    stdout.write(BATCH_HELP);
    return 0;
  }
  if (positionals.length !== 1) {
    throw new UsageError(`batch takes exactly one CSV file, got ${positionals.length}. See qrmail batch --help.`);
  }
  const timeoutSeconds = Number(values.timeout);
  if (!Number.isFinite(timeoutSeconds) || timeoutSeconds <= 0) {
    throw new UsageError(`--timeout must be a positive number of seconds, got ${JSON.stringify(values.timeout)}.`);
  }
  const csv = resolve(positionals[0]!);
  const server = normalizeServer(values.server);
  const fields = renderFields(values);
  const extension = fields.format === 'svg' ? 'svg' : 'png';
  const rows = readRows(csv, values['url-column'], values['email-column']);

  const out = values.out === undefined ? undefined : resolve(values.out);
  if (out !== undefined) mkdirSync(out, { recursive: true });
  const statePath =
    out === undefined ? join(dirname(csv), `${basename(csv)}.qrmail-batch.json`) : join(out, '.qrmail-batch.json');
  const state = loadState(statePath, csv);
  const progress = new Progress(rows.length, process.stderr);

  for (const row of rows) {
    const key = String(row.line);
    const previous = state.rows[key];
    // A row whose URL or address changed since the last run is a new row.
    const entry: RowState =
      previous !== undefined && previous.url === row.url && previous.email === row.email
        ? previous
        : { url: row.url, email: row.email };
    state.rows[key] = entry;
    if (
      entry.status !== undefined ||
      (entry.requestId !== undefined && (out === undefined || entry.file !== undefined))
    ) {
      progress.row(row.line, `already done (${entry.status ?? 'queued'})`);
      continue;
    }

    delete entry.error;
    const message = await processRow(row, entry, { out, extension, fields, server });
    saveState(statePath, state);
    progress.row(row.line, message);
  }

  const pending = rows
    .map((row) => state.rows[String(row.line)]!)
    .filter((entry) => entry.requestId !== undefined && entry.status === undefined);
  if (pending.length > 0)
    progress.note(`Waiting for ${pending.length} email${pending.length === 1 ? '' : 's'} to be sent...`);
  const deadline = Date.now() + timeoutSeconds * 1000;
  for (const entry of pending) {
    delete entry.error;
    try {
      const status = await waitForFinal(server, entry.requestId!, { timeoutMs: Math.max(0, deadline - Date.now()) });
      entry.status = status.status === 'sent' ? 'sent' : 'failed';
      if (entry.status === 'failed') entry.error = `email failed: ${status.lastError ?? 'no reason given'}`;
    } catch (error) {
      if (!(error instanceof ServiceError)) throw error;
      // Left without a status, the row is polled again, not posted again, on the next run.
      entry.error = error.message;
    }
    saveState(statePath, state);
  }

  return summarize(rows, state, out !== undefined, stdout);
}

async function processRow(
  row: Row,
  entry: RowState,
  context: { out: string | undefined; extension: string; fields: Record<string, string>; server: string },
): Promise<string> {
  if (row.url === '') return fail(entry, 'the URL is empty');
  if (context.out === undefined && row.email === '')
    return fail(entry, 'no email address, and no --out folder to write the image to');

  const done: string[] = [];
  if (context.out !== undefined && entry.file === undefined) {
    try {
      const { body } = makeCode(row.url, context.fields);
      const file = `line-${row.line}.${context.extension}`;
      writeFileSync(join(context.out, file), body);
      entry.file = file;
      done.push(`made ${file}`);
    } catch (error) {
      if (!(error instanceof UsageError)) throw error;
      return fail(entry, error.message);
    }
  }
  if (row.email !== '' && entry.requestId === undefined) {
    try {
      entry.requestId = await postQrRequest(context.server, {
        url: row.url,
        email: row.email,
        ...typedFields(context.fields),
      });
      done.push(`queued ${entry.requestId}`);
    } catch (error) {
      if (!(error instanceof ServiceError)) throw error;
      // An unreachable service leaves the row to retry on the next run; a rejected request is final.
      if (error.code === 'unreachable') {
        entry.error = error.message;
        return `not sent: ${error.message}`;
      }
      return fail(entry, error.message);
    }
  }
  if (row.email === '') entry.status = 'made';
  return done.join(', ');
}

function fail(entry: RowState, reason: string): string {
  entry.status = 'failed';
  entry.error = reason;
  return `failed: ${reason}`;
}

function summarize(rows: Row[], state: BatchState, madeFiles: boolean, stdout: NodeJS.WritableStream): number {
  const entries = rows.map((row) => ({ line: row.line, entry: state.rows[String(row.line)]! }));
  const made = entries.filter(({ entry }) => entry.file !== undefined).length;
  const emailed = entries.filter(({ entry }) => entry.requestId !== undefined && entry.status === 'sent').length;
  const failed = entries.filter(
    ({ entry }) => entry.status === 'failed' || (entry.status === undefined && entry.error !== undefined),
  );
  const waiting = entries.filter(({ entry }) => entry.status === undefined && entry.error === undefined);

  stdout.write(
    `${rows.length} rows: ${madeFiles ? `${made} made, ` : ''}${emailed} emailed, ${failed.length} failed\n`,
  );
  for (const { line, entry } of failed) stdout.write(`  line ${line}: ${entry.error}\n`);
  for (const { line } of waiting) stdout.write(`  line ${line}: not finished; run the command again to resume\n`);
  return failed.length > 0 || waiting.length > 0 ? 1 : 0;
}
