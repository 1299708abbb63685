import type { ParseArgsConfig } from 'node:util';

import { RequestError } from '../core/errors.js';
import type { RenderOptions } from '../core/render-options.js';
import { parsePreviewQuery, qrRequestSchema } from '../core/schema.js';

/** Command-line flags of the render options, named as the API fields in kebab case. */
export const RENDER_FLAGS = {
  format: { type: 'string' },
  ecc: { type: 'string' },
  margin: { type: 'string' },
  scale: { type: 'string' },
  size: { type: 'string' },
  dark: { type: 'string' },
  light: { type: 'string' },
  transparent: { type: 'boolean' },
  'allow-inverted': { type: 'boolean' },
  eci: { type: 'string' },
} as const satisfies ParseArgsConfig['options'];

export const RENDER_FLAGS_HELP = `Render options:
  --format png|svg          Image format (default: png, or the extension of -o).
  --ecc L|M|Q|H             Error correction level (default: M).
  --size PIXELS             Width of the whole image, at most 4096.
  --scale PIXELS            Pixels per module, 2 to 64 (default: 10); not with --size.
  --margin MODULES          Quiet zone around the code, 0 to 16 (default: 4).
  --dark COLOUR             Module colour: #rgb, #rrggbb or #rrggbbaa (default: #000000).
  --light COLOUR            Background colour (default: #ffffff).
  --transparent             Leave the background transparent.
  --allow-inverted          Allow light modules on a dark background.
  --eci auto|off            Declare UTF-8 for non-ASCII text (default: auto).
`;

/** A command-line mistake: the message goes to stderr and the exit code is 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

type RenderFlagValues = {
  [K in keyof typeof RENDER_FLAGS]?: (typeof RENDER_FLAGS)[K]['type'] extends 'boolean' ? boolean : string;
};

/** Converts the render flags to API fields, leaving out those not given. */
export function renderFields(values: RenderFlagValues): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const [flag, value] of Object.entries(values)) {
    if (value === undefined || !(flag in RENDER_FLAGS)) continue;
    const field = flag === 'allow-inverted' ? 'allowInverted' : flag;
    fields[field] = String(value);
  }
  return fields;
}

/** Validates `url` with the request schema's `url` rule, so the CLI accepts what the API accepts. */
export function checkUrl(url: string): void {
  const result = qrRequestSchema.shape.url.safeParse(url);
  if (!result.success) throw new UsageError(result.error.issues[0]!.message);
}

/**
 * Validates render flags with the preview schema, the same rules as the API. A rejected value
 * raises a `UsageError` that names the flag.
 */
export function resolveRenderFlags(url: string, fields: Record<string, string>): RenderOptions {
  try {
    return parsePreviewQuery({ data: url, ...fields }).options;
  } catch (error) {
    if (!(error instanceof RequestError)) throw error;
    const flag = error.field === 'allowInverted' ? 'allow-inverted' : error.field;
    throw new UsageError(flag === undefined || flag === 'data' ? error.message : `--${flag}: ${error.message}`);
  }
}
