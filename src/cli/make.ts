import { writeFileSync } from 'node:fs';
import { extname } from 'node:path';
import { parseArgs } from 'node:util';

import { RequestError } from '../core/errors.js';
import { DEFAULT_SERVER, normalizeServer, uploadImage } from './client.js';
import { readImage } from './send.js';
import { renderCode } from '../core/render.js';
import {
  checkUrl,
  RENDER_FLAGS,
  RENDER_FLAGS_HELP,
  renderFields,
  resolveRenderFlags,
  UsageError,
} from './render-flags.js';

export const MAKE_HELP = `Usage: qrmail make <url> [-o file.png|file.svg] [render options]
       qrmail make --image <file> [--server URL] [-o file.png|file.svg] [render options]

Renders one QR code for <url> on this machine; it stores and emails nothing. Without -o the image
goes to stdout, which must not be a terminal for a PNG (redirect it or pipe it).

Options:
  -o, --output FILE         Write the image to FILE; .png or .svg sets the format.
  --image FILE              Upload the image to a running service and make a code of its short link.
  --server URL              The service that stores --image (default: ${DEFAULT_SERVER}).
  -h, --help                Show this help.

${RENDER_FLAGS_HELP}`;

/** Renders a code for `url` with the render flags; returns the image and its format. */
export function makeCode(
  url: string,
  fields: Record<string, string>,
): { format: 'png' | 'svg'; body: Uint8Array | string } {
  checkUrl(url);
  const options = resolveRenderFlags(url, fields);
  try {
    const code = renderCode(url, options, { png: options.format === 'png', svg: options.format === 'svg' }, 'url');
    return { format: options.format, body: options.format === 'png' ? new Uint8Array(code.png!) : code.svg! };
  } catch (error) {
    if (error instanceof RequestError) throw new UsageError(error.message);
    throw error;
  }
}

/** Returns the format that a file name's extension implies, or throws for any other extension. */
export function formatOfFile(file: string): 'png' | 'svg' {
  const extension = extname(file).toLowerCase();
  if (extension === '.png' || extension === '.svg') return extension.slice(1) as 'png' | 'svg';
  throw new UsageError(`-o ${file}: the file name must end in .png or .svg.`);
}

/** Runs `qrmail make`; returns the exit code. */
export async function runMake(argv: string[], stdout: NodeJS.WriteStream = process.stdout): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      ...RENDER_FLAGS,
      output: { type: 'string', short: 'o' },
      image: { type: 'string' },
      server: { type: 'string', default: DEFAULT_SERVER },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    stdout.write(MAKE_HELP);
    return 0;
  }
  if (positionals.length !== (values.image === undefined ? 1 : 0)) {
    throw new UsageError(
      values.image === undefined
        ? `make takes exactly one URL, got ${positionals.length}. See qrmail make --help.`
        : "make --image takes no URL: the code holds the image's short link.",
    );
  }
  let url = positionals[0]!;
  if (values.image !== undefined) {
    url = (await uploadImage(normalizeServer(values.server), readImage(values.image), {})).link;
    process.stderr.write(`Uploaded ${values.image}: ${url}\n`);
  }
  const fields = renderFields(values);

  if (values.output !== undefined) {
    const fileFormat = formatOfFile(values.output);
    if (fields.format !== undefined && fields.format !== fileFormat) {
      throw new UsageError(`--format ${fields.format} does not match the extension of -o ${values.output}.`);
    }
    fields.format = fileFormat;
  }

  const { format, body } = makeCode(url, fields);
  if (values.output !== undefined) {
    writeFileSync(values.output, body);
    process.stderr.write(`Wrote ${values.output}\n`);
    return 0;
  }
  if (stdout.isTTY && format === 'png') {
    throw new UsageError('stdout is a terminal, and a PNG would garble it: give -o file.png or redirect stdout.');
  }
  stdout.write(body);
  return 0;
}
