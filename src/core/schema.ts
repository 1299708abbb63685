import * as z from 'zod';

import { CONTROL_OR_SPACE, emailProblem } from './email.js';
import { RequestError } from './errors.js';
import { RENDER_OPTION_HINTS, renderOptionFields, resolveRenderOptions, type RenderOptions } from './render-options.js';

/** The body of `POST /images/qrcode`: the URL, the address, and how to draw the code. */
export interface QrRequest {
  url: string;
  email: string;
  options: RenderOptions;
  /** A data URL of an image to draw in the centre, which needs error correction level H. */
  logo: string | undefined;
}

/** Maximum length of a logo data URL: 64 KiB of image in base64, plus its prefix. */
const MAX_LOGO_DATA_URL = 90_000;

// A UTF-16 surrogate without its pair has no UTF-8 form, so it cannot be stored or encoded.
const LONE_SURROGATE = /\p{Surrogate}/u;

const url = z.string().superRefine((value, context) => {
  const problem = urlProblem(value);
  if (problem) context.addIssue({ code: 'custom', message: problem.message, params: { code: problem.code } });
});

const email = z.string().superRefine((value, context) => {
  const problem = emailProblem(value);
  if (problem) context.addIssue({ code: 'custom', message: problem, params: { code: 'invalid_email' } });
});

/** The request schema: `url` and `email`, the optional render options, and no other field. */
export const qrRequestSchema = z.strictObject({
  url,
  email,
  ...renderOptionFields,
  logo: z.string().max(MAX_LOGO_DATA_URL).optional(),
});

/** The preview route's query: the text to encode and the same render options. */
export const previewQuerySchema = z.strictObject({ data: z.string(), ...renderOptionFields });

/** Validates a parsed JSON body. Throws a `RequestError` whose message names the field and the fix. */
export function parseQrRequest(body: unknown): QrRequest {
  const result = qrRequestSchema.safeParse(body);
  if (!result.success) throw toRequestError(result.error.issues[0]!, body, Object.keys(qrRequestSchema.shape));
  const { url: validUrl, email: validEmail, logo, ...options } = result.data;
  if (logo !== undefined && options.ecc !== undefined && options.ecc !== 'H') {
    throw new RequestError(
      'invalid_ecc',
      `A logo hides modules, so it needs "ecc" H; got ${options.ecc}. Leave "ecc" out or set it to H.`,
      {
        field: 'ecc',
      },
    );
  }
  const resolved = resolveRenderOptions(logo === undefined ? options : { ...options, ecc: 'H' });
  return { url: validUrl, email: validEmail, options: resolved, logo };
}

/** Validates the preview route's query parameters. */
export function parsePreviewQuery(query: Record<string, string>): { data: string; options: RenderOptions } {
  const result = previewQuerySchema.safeParse(query);
  if (!result.success) throw toRequestError(result.error.issues[0]!, query, Object.keys(previewQuerySchema.shape));
  const { data, ...options } = result.data;
  if (data === '')
    throw new RequestError('invalid_data', '"data" is empty: give the text to encode.', { field: 'data' });
  return { data, options: resolveRenderOptions(options) };
}

function toRequestError(issue: z.core.$ZodIssue, body: unknown, fields: string[]): RequestError {
  const field = issue.path.length > 0 ? String(issue.path[0]) : undefined;

  if (field === undefined && issue.code === 'invalid_type') {
    return new RequestError(
      'invalid_body',
      `The request body must be a JSON object with "url" and "email", got ${describe(body)}.`,
    );
  }
  if (issue.code === 'unrecognized_keys') {
    const unknown = issue.keys.map((key) => JSON.stringify(key)).join(', ');
    return new RequestError(
      'unknown_field',
      `Unknown field ${unknown}: the request accepts only ${fields.map((name) => `"${name}"`).join(', ')}.`,
      { field: issue.keys[0] },
    );
  }
  const value = field === undefined ? undefined : (body as Record<string, unknown>)[field];
  if (field === 'logo') {
    return new RequestError('invalid_logo', `"logo" must be a data URL of at most ${MAX_LOGO_DATA_URL} characters.`, {
      field,
    });
  }
  if (field !== undefined && field in RENDER_OPTION_HINTS) {
    const hint = RENDER_OPTION_HINTS[field as keyof typeof RENDER_OPTION_HINTS];
    return new RequestError(`invalid_${field}`, `"${field}" must be ${hint}, got ${shorten(JSON.stringify(value))}.`, {
      field,
    });
  }
  if (issue.code === 'invalid_type' && field !== undefined) {
    if (value === undefined) {
      return new RequestError('missing_field', `"${field}" is required.`, { field });
    }
    return new RequestError('invalid_type', `"${field}" must be a string, got ${describe(value)}.`, { field });
  }
  if (issue.code === 'custom') {
    const code = typeof issue.params?.code === 'string' ? issue.params.code : 'invalid_request';
    return new RequestError(code, issue.message, { field });
  }
  return new RequestError('invalid_request', issue.message, { field });
}

/** Cuts a quoted value to 60 characters, so a long one cannot flood the message. */
function shorten(text: string | undefined): string {
  if (text === undefined) return 'nothing';
  return text.length <= 60 ? text : `${text.slice(0, 57)}...`;
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}

function urlProblem(value: string): { code: string; message: string } | undefined {
  if (value.length === 0) return { code: 'invalid_url', message: '"url" is empty: give an http or https URL.' };

  const bad = CONTROL_OR_SPACE.exec(value);
  if (bad) {
    return {
      code: 'invalid_url',
      message:
        `"url" contains a space or control character at position ${bad.index}: ` +
        'percent-encode it (a space is %20) and send the request again.',
    };
  }

  const surrogate = LONE_SURROGATE.exec(value);
  if (surrogate) {
    return {
      code: 'invalid_url',
      message: `"url" contains an unpaired UTF-16 surrogate at position ${surrogate.index}: send valid Unicode text.`,
    };
  }

  let parsed: URL;
  try {
    parsed = new URL(value);
  } catch {
    return {
      code: 'invalid_url',
      message: '"url" is not an absolute URL: expected http://host/path or https://host/path.',
    };
  }

  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    return {
      code: 'unsupported_url_scheme',
      message: `"url" must use http or https, got ${JSON.stringify(parsed.protocol.slice(0, -1))}.`,
    };
  }
  if (parsed.hostname === '') return { code: 'invalid_url', message: '"url" has no host name.' };
  if (parsed.username !== '' || parsed.password !== '') {
    return {
      code: 'url_has_credentials',
      message: '"url" contains a user name or password: remove them, because the QR code would show them to anyone.',
    };
  }
  return undefined;
}
