import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

import { randomBytes } from 'node:crypto';

import Database from 'better-sqlite3';

import { LocalEventQueue } from '../adapters/local-events/index.js';
import { readConfig } from '../config.js';
import { decodeEventKey } from '../core/events.js';
import { runClientCommand } from './commands.js';
import { API_KEY_HEADER, hashApiKey } from '../http/guards.js';

const HELP = `Usage: qrmail <command> [options]

Commands:
  serve                          Run the HTTP server and the mailer (what npm start runs).
  make <url> [-o FILE]           Render one QR code to a PNG or SVG file, or to stdout.
  send <url> --email ADDRESS     Ask a running service to email a code, and wait until it is sent.
  batch <file.csv> [--out DIR]   Make and send a code for each row of a CSV file; resumable.
  dead-letters list [--json]     List the deliveries that ended without a send.
  dead-letters replay <id...>    Queue the named dead letters for delivery again.
  dead-letters replay --all      Queue every dead letter for delivery again.
  api-key                        Make a new API key and print it with the hash to configure.

Options:
  -h, --help                     Show this help.
  -v, --version                  Show the version.

Run qrmail <command> --help for a command's options.
Configuration comes from the environment, as for the server: QRMAIL_DATA_DIR names the data folder.
`;

/** Runs the qrmail command line with `argv` (without the node and script paths); returns the exit code. */
export async function runCli(argv: string[], output: NodeJS.WritableStream = process.stdout): Promise<number> {
  const [command, ...rest] = argv;

  if (command === undefined || command === '-h' || command === '--help' || command === 'help') {
    output.write(HELP);
    return command === undefined ? 2 : 0;
  }
  if (command === '-v' || command === '--version') {
    output.write(`${await version()}\n`);
    return 0;
  }
  if (command === 'serve') {
    if (rest.includes('-h') || rest.includes('--help')) {
      output.write(
        'Usage: qrmail serve\n\nRuns the HTTP server and the mailer. README.md lists the environment variables.\n',
      );
      return 0;
    }
    await import('../runtime/node/main.js');
    return -1;
  }
  if (command === 'dead-letters') return deadLetters(rest, output);
  if (command === 'make' || command === 'send' || command === 'batch') return runClientCommand(command, rest);
  if (command === 'api-key') {
    const key = `qk_${randomBytes(24).toString('base64url')}`;
    output.write(
      `API key (give it to the client, which sends it in the ${API_KEY_HEADER} header):\n  ${key}\n` +
        `SHA-256 hash (add it to QRMAIL_API_KEY_HASHES, comma-separated; the key itself is not stored):\n  ${hashApiKey(key)}\n`,
    );
    return 0;
  }

  process.stderr.write(`qrmail: unknown command ${JSON.stringify(command)}\n\n${HELP}`);
  return 2;
}

function deadLetters(argv: string[], output: NodeJS.WritableStream): number {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { all: { type: 'boolean' }, json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } },
  });
  const [action, ...ids] = positionals;
  if (values.help || action === undefined) {
    output.write(HELP);
    return values.help ? 0 : 2;
  }

  const config = readConfig();
  const databasePath = join(config.dataDir, 'qrmail.db');
  if (!existsSync(databasePath)) {
    process.stderr.write(
      `qrmail: no qrmail database at ${databasePath}; set QRMAIL_DATA_DIR to the server's data folder\n`,
    );
    return 1;
  }
  const db = new Database(databasePath);
  db.pragma('busy_timeout = 5000');
  try {
    const queue = new LocalEventQueue(db);

    if (action === 'list') {
      const letters = queue.deadLetters();
      if (values.json) {
        output.write(
          `${JSON.stringify(
            letters.map((letter) => ({ ...letter, objectKey: objectKeyOf(letter.record) })),
            null,
            2,
          )}\n`,
        );
        return 0;
      }
      if (letters.length === 0) {
        output.write('No dead letters.\n');
        return 0;
      }
      output.write('ID\tATTEMPTS\tUPDATED\tOBJECT KEY\tERROR\n');
      for (const letter of letters) {
        output.write(
          `${letter.id}\t${letter.attempts}\t${letter.updatedAt.toISOString()}\t${objectKeyOf(letter.record)}\t${letter.error}\n`,
        );
      }
      return 0;
    }

    if (action === 'replay') {
      if (!values.all && ids.length === 0) {
        process.stderr.write('qrmail: name the dead letters to replay by id, or pass --all\n');
        return 2;
      }
      const numbers = ids.map(Number);
      const invalid = ids.filter((id, index) => !Number.isInteger(numbers[index]) || numbers[index]! <= 0);
      if (invalid.length > 0) {
        process.stderr.write(`qrmail: dead letter ids are positive whole numbers, got ${invalid.join(', ')}\n`);
        return 2;
      }
      const moved = queue.replay(values.all ? 'all' : numbers);
      output.write(
        `Queued ${moved} dead letter${moved === 1 ? '' : 's'} for delivery; a running server picks them up within seconds.\n`,
      );
      return !values.all && moved < numbers.length ? 1 : 0;
    }

    process.stderr.write(`qrmail: unknown dead-letters action ${JSON.stringify(action)}; use list or replay\n`);
    return 2;
  } finally {
    db.close();
  }
}

function objectKeyOf(record: { s3?: { object?: { key?: string } } }): string {
  const key = record.s3?.object?.key;
  return key === undefined ? '' : decodeEventKey(key);
}

async function version(): Promise<string> {
  const { readFile } = await import('node:fs/promises');
  const manifest = JSON.parse(await readFile(new URL('../../package.json', import.meta.url), 'utf8')) as {
    version: string;
  };
  return manifest.version;
}
