import { Hono, type Context } from 'hono';
import { requestId, type RequestIdVariables } from 'hono/request-id';

import { createHash } from 'node:crypto';

import { acceptQrRequest, type AcceptDependencies } from '../core/accept.js';
import { RequestError } from '../core/errors.js';
import { isRequestId, qrObjectKey, svgObjectKey } from '../core/ids.js';
import type { RequestRecord } from '../core/ports.js';
import { renderCode } from '../core/render.js';
import { parsePreviewQuery } from '../core/schema.js';
import { errorResponse, handleError, logRejections } from './errors.js';
import { mountWebRoutes } from './web.js';
import { limitBody, limitClients, requireApiKey } from './guards.js';
import { findDuplicateKey } from './json.js';
import { mountUploadRoutes, type UploadOptions } from './uploads.js';

/** Options of the HTTP app besides the accept flow's ports. */
export interface AppOptions extends AcceptDependencies {
  /**
   * Base of the URLs that responses link to, such as `https://qr.example.com`. Undefined means the
   * origin of each request, which is right behind API Gateway, where the Host header is the API's.
   */
  publicUrl: string | undefined;
  /** Largest request body accepted, in bytes. */
  maxBodyBytes: number;
  /** SHA-256 hashes (hex) of the API keys that may post requests; empty or undefined means no key is needed. */
  apiKeyHashes?: readonly string[];
  /** Requests per client address on the two routes that render codes; undefined means no limit. */
  clientLimit?: { max: number; windowSeconds: number };
  /** The client's address: the socket's, or a trusted proxy header's. */
  clientAddress?: (c: Context) => string | undefined;
  /** Image uploads and short links; undefined leaves the routes out. */
  uploads?: UploadOptions;
}

/**
 * Builds the HTTP API: the same hono app serves the local server and, through its Lambda
 * adapter, API Gateway.
 */
export function createApp(options: AppOptions): Hono<{ Variables: RequestIdVariables }> {
  const app = new Hono<{ Variables: RequestIdVariables }>();
  const configuredUrl = options.publicUrl?.replace(/\/+$/, '');
  const baseUrl = (request: Request) => configuredUrl ?? new URL(request.url).origin;

  app.use(requestId());
  app.use(logRejections(options.logger));
  app.onError((error, c) => handleError(error, c, options.logger));
  app.notFound((c) => errorResponse(c, 404, 'not_found', `No route for ${c.req.method} ${c.req.path}.`));

  app.get('/healthz', (c) => c.json({ status: 'ok' }));
  mountWebRoutes(app);

  if (options.apiKeyHashes !== undefined && options.apiKeyHashes.length > 0) {
    app.post('/images/qrcode', requireApiKey(options.apiKeyHashes));
  }
  if (options.apiKeyHashes !== undefined && options.apiKeyHashes.length > 0) {
    app.post('/images', requireApiKey(options.apiKeyHashes));
  }
  if (options.clientLimit !== undefined && options.limiter !== undefined) {
    const guard = limitClients(options.limiter, options.clientLimit, options.clientAddress ?? (() => undefined));
    app.post('/images/qrcode', guard);
    app.post('/images', guard);
    app.get('/qrcode', guard);
  }
  if (options.uploads !== undefined) mountUploadRoutes(app, options, options.uploads, baseUrl);

  app.post(
    '/images/qrcode',
    limitBody(options.maxBodyBytes, (c) =>
      errorResponse(
        c,
        413,
        'body_too_large',
        `The request body is larger than ${options.maxBodyBytes} bytes; send a smaller one, such as a smaller logo.`,
      ),
    ),
    async (c) => {
      const body = await readJsonBody(c.req.raw);
      const accepted = await acceptQrRequest(options, body);
      const location = `${baseUrl(c.req.raw)}/images/qrcode/${accepted.id}`;

      c.header('Location', location);
      return c.json(
        {
          id: accepted.id,
          status: accepted.status,
          statusUrl: location,
          imageUrl: `${location}.png`,
          ...(accepted.format === 'svg' ? { svgUrl: `${location}.svg` } : {}),
          createdAt: accepted.createdAt.toISOString(),
        },
        202,
      );
    },
  );
  app.all('/images/qrcode', (c) => {
    c.header('Allow', 'POST');
    return errorResponse(c, 405, 'method_not_allowed', `${c.req.method} is not allowed here; use POST.`);
  });

  app.get('/images/qrcode/:name', async (c) => {
    const name = c.req.param('name');
    const extension = /\.(png|svg)$/.exec(name)?.[1] as 'png' | 'svg' | undefined;
    const id = extension === undefined ? name : name.slice(0, -'.png'.length);
    if (!isRequestId(id)) {
      return errorResponse(c, 404, 'not_found', `No QR code request has the id ${JSON.stringify(id)}.`);
    }

    if (extension !== undefined) {
      const pngKey = qrObjectKey(id);
      const object = await options.store.get(extension === 'png' ? pngKey : svgObjectKey(pngKey));
      if (object === undefined)
        return errorResponse(c, 404, 'not_found', `No ${extension.toUpperCase()} image for request ${id}.`);
      return c.body(new Uint8Array(object.body), 200, {
        ...imageHeaders(extension, `qrcode-${id}.${extension}`),
        'Cache-Control': 'private, max-age=86400, immutable',
        ETag: object.eTag,
      });
    }

    const record = await options.records.get(id);
    if (record === undefined) return errorResponse(c, 404, 'not_found', `No QR code request has the id ${id}.`);
    c.header('Cache-Control', 'no-store');
    return c.json(statusBody(record, `${baseUrl(c.req.raw)}/images/qrcode/${id}`));
  });

  // Renders a code without storing or sending it, for the web page and for anyone who wants an image.
  app.get('/qrcode', (c) => {
    const { data, options: renderOptions } = parsePreviewQuery(c.req.query());
    const code = renderCode(
      data,
      renderOptions,
      { png: renderOptions.format === 'png', svg: renderOptions.format === 'svg' },
      'data',
    );
    const body = renderOptions.format === 'png' ? new Uint8Array(code.png!) : code.svg!;
    const eTag = `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"`;
    if (c.req.header('if-none-match') === eTag) return c.body(null, 304, { ETag: eTag });

    return c.body(body, 200, {
      ...imageHeaders(renderOptions.format, `qrcode.${renderOptions.format}`),
      // The same query always gives the same image.
      'Cache-Control': 'public, max-age=86400, immutable',
      ETag: eTag,
    });
  });

  return app;
}

/** Headers of every image response: the type, no sniffing, and for SVG a policy that runs nothing. */
function imageHeaders(format: 'png' | 'svg', filename: string): Record<string, string> {
  return {
    'Content-Type': format === 'png' ? 'image/png' : 'image/svg+xml',
    'Content-Disposition': `inline; filename="${filename}"`,
    'X-Content-Type-Options': 'nosniff',
    ...(format === 'svg'
      ? { 'Content-Security-Policy': "default-src 'none'; style-src 'unsafe-inline'; sandbox" }
      : {}),
  };
}

function statusBody(record: RequestRecord, location: string) {
  return {
    id: record.id,
    status: record.status,
    createdAt: record.createdAt.toISOString(),
    updatedAt: record.updatedAt.toISOString(),
    sentAt: record.sentAt?.toISOString() ?? null,
    attempts: record.attempts,
    lastError: record.lastError ?? null,
    imageUrl: `${location}.png`,
  };
}

/** Reads a JSON body. Throws a 4xx `RequestError` that names the fix when the body is not UTF-8 JSON. */
async function readJsonBody(request: Request): Promise<unknown> {
  const contentType = request.headers.get('content-type') ?? '';
  const [mediaType, ...parameters] = contentType.split(';').map((part) => part.trim().toLowerCase());
  if (mediaType !== 'application/json') {
    throw new RequestError(
      'unsupported_media_type',
      `Content-Type must be application/json, got ${contentType === '' ? 'none' : JSON.stringify(contentType)}.`,
      { status: 415 },
    );
  }
  const charset = parameters.find((parameter) => parameter.startsWith('charset='))?.slice('charset='.length);
  if (charset !== undefined && charset.replace(/"/g, '') !== 'utf-8') {
    throw new RequestError('unsupported_media_type', `The body must be UTF-8, got charset ${charset}.`, {
      status: 415,
    });
  }
  const encoding = request.headers.get('content-encoding');
  if (encoding !== null && encoding.toLowerCase() !== 'identity') {
    throw new RequestError(
      'unsupported_media_type',
      `Content-Encoding ${encoding} is not accepted; send the body uncompressed.`,
      {
        status: 415,
      },
    );
  }

  const bytes = new Uint8Array(await request.arrayBuffer());
  if (bytes.length === 0) {
    throw new RequestError('invalid_json', 'The request body is empty: send a JSON object with "url" and "email".');
  }

  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes);
  } catch {
    throw new RequestError('invalid_json', 'The request body is not valid UTF-8.');
  }
  if (text.startsWith('\uFEFF')) {
    throw new RequestError('invalid_json', 'The request body starts with a byte-order mark: send JSON without one.');
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text) as unknown;
  } catch (error) {
    throw new RequestError('invalid_json', `The request body is not valid JSON: ${(error as Error).message}.`);
  }
  const duplicate = findDuplicateKey(text);
  if (duplicate !== undefined) {
    throw new RequestError(
      'duplicate_key',
      `The field ${JSON.stringify(duplicate)} appears twice: send each field once.`,
      {
        field: duplicate,
      },
    );
  }
  return parsed;
}
