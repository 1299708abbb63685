import * as z from 'zod';

import { RENDER_OPTION_HINTS } from '../core/render-options.js';
import { previewQuerySchema, qrRequestSchema } from '../core/schema.js';

/**
 * The OpenAPI 3.1 description of the HTTP API. Request schemas come from the same zod schemas that
 * `parseQrRequest` and `parsePreviewQuery` validate with, converted by `z.toJSONSchema`, so the
 * document cannot drift from the validation rules that the schemas express. Checks made in code
 * after the schema (ranges, contrast, capacity) are described in the field descriptions and errors.
 */

type JsonSchema = Record<string, unknown>;

/** Error codes by HTTP status, as the routes return them in `error.code`. */
export const ERROR_CODES: Record<number, Record<string, string>> = {
  400: {
    invalid_json: 'The body is empty, not UTF-8, starts with a byte-order mark or is not JSON.',
    duplicate_key: 'A field appears twice in the JSON object.',
    invalid_body: 'The body is JSON but not an object.',
    missing_field: 'A required field (`url`, `email`) is missing.',
    invalid_type: 'A field has the wrong JSON type.',
    unknown_field: 'The body or query has a field the route does not accept.',
    invalid_url: '`url` is empty, not absolute, has no host, or contains a space or control character.',
    unsupported_url_scheme: '`url` uses a scheme other than http or https.',
    url_has_credentials: '`url` contains a user name or password.',
    url_too_long: '`url` does not fit a QR code at the chosen error correction level, or the object metadata.',
    invalid_email: '`email` is not one plain address.',
    invalid_data: '`data` of the preview is empty.',
    data_too_long: '`data` of the preview does not fit a QR code at the chosen error correction level.',
    invalid_logo: '`logo` is not a data URL of a supported image, or is too large.',
    logo_not_supported: 'This deployment does not draw logos.',
    invalid_format: '`format` is not `png` or `svg`.',
    invalid_ecc: '`ecc` is not L, M, Q or H, or a logo was sent with a level other than H.',
    invalid_margin: '`margin` is not a whole number from 0 to the maximum.',
    invalid_scale: '`scale` is out of range, given with `size`, or makes the image too large.',
    invalid_size: '`size` is not a whole number, too large, or too small for the code.',
    invalid_dark: '`dark` is not a hex colour.',
    invalid_light: '`light` is not a hex colour.',
    invalid_colors:
      'The colours have too little contrast, are inverted, or `light` is not opaque without `transparent`.',
    invalid_transparent: '`transparent` is not true or false.',
    invalid_allowInverted: '`allowInverted` is not true or false.',
    invalid_eci: '`eci` is not `auto` or `off`.',
    invalid_request: 'Any other invalid field; the message names it.',
    invalid_image:
      'The upload is empty, not a PNG, JPEG, GIF or WebP image, mislabelled, has data after its end, or is too large in pixels.',
    uploads_not_supported: 'This deployment does not take image uploads.',
  },
  401: {
    missing_api_key: 'The deployment requires an API key and the `x-api-key` header is missing.',
    invalid_api_key: 'The `x-api-key` header holds a key the deployment does not accept.',
  },
  404: { not_found: 'No route, request or image has that path or id.' },
  410: { link_expired: 'The short link to an uploaded image has expired.' },
  405: { method_not_allowed: 'The method is not allowed on `/images/qrcode`; the `Allow` header lists POST.' },
  413: { body_too_large: 'The body is larger than the configured maximum (131072 bytes by default).' },
  415: { unsupported_media_type: 'The body is not `application/json`, not UTF-8, or compressed.' },
  422: { unscannable_code: 'An independent decoder did not read the rendered code back as its input.' },
  429: {
    rate_limited: 'Too many requests from this client or to this address; the `Retry-After` header gives seconds.',
  },
  500: { internal_error: 'The server failed; the cause is in its log.' },
};

/** Field descriptions added to the generated schemas. Validation stays with zod. */
const FIELD_DESCRIPTIONS: Record<string, string> = {
  url:
    'Absolute http or https URL, without user name, password, spaces or control characters. The code holds ' +
    'it exactly as sent; it must fit a QR code at the chosen error correction level (2,331 UTF-8 bytes at M).',
  email: 'One plain address such as someone@example.com: no display name, list or line break.',
  logo: 'Data URL of an image drawn in the centre of the code; forces error correction level H.',
  data: 'Text to encode.',
  ...Object.fromEntries(Object.entries(RENDER_OPTION_HINTS).map(([field, hint]) => [field, `Must be ${hint}.`])),
};

/**
 * Schemas of the JSON responses. They only describe responses in the document, so they are built
 * with it, not when the module loads.
 */
function responseSchemas() {
  const requestId = z.uuid().meta({ description: 'Id of the request, a UUID.' });
  const timestamp = z.iso.datetime().meta({ description: 'ISO 8601 time in UTC.' });
  const status = z.enum(['queued', 'sent', 'failed']).meta({
    description: '`queued` until the SMTP server accepts the email (`sent`) or the mailer gives up (`failed`).',
  });

  const acceptedSchema = z.object({
    id: requestId,
    status,
    statusUrl: z.url(),
    imageUrl: z.url(),
    svgUrl: z.url().optional().meta({ description: 'Present when `format` was `svg`.' }),
    createdAt: timestamp,
  });

  const statusSchema = z.object({
    id: requestId,
    status,
    createdAt: timestamp,
    updatedAt: timestamp,
    sentAt: timestamp.nullable(),
    attempts: z.int().nonnegative().meta({ description: 'Send attempts so far.' }),
    lastError: z.string().nullable().meta({ description: 'Why the last attempt failed, if it did.' }),
    imageUrl: z.url(),
  });

  const errorSchema = z.object({
    error: z.object({
      code: z.string().meta({ description: 'Stable error code. The response descriptions list the codes by status.' }),
      message: z.string().meta({ description: 'What is wrong and how to fix it, in English.' }),
      field: z.string().optional().meta({ description: 'The body field or query parameter the error concerns.' }),
    }),
  });

  return { acceptedSchema, statusSchema, errorSchema };
}

/** Example bodies of `POST /images/qrcode`. A test checks that each passes `parseQrRequest`. */
export const QR_REQUEST_EXAMPLES: Record<string, { summary: string; value: Record<string, unknown> }> = {
  minimal: {
    summary: 'A URL and an address',
    value: { url: 'https://example.com/menu', email: 'someone@example.com' },
  },
  styled: {
    summary: 'An SVG code in colour, at level Q',
    value: {
      url: 'https://example.com/events/2026?ref=poster',
      email: 'someone@example.com',
      format: 'svg',
      ecc: 'Q',
      size: 600,
      margin: 2,
      dark: '#1a237e',
      light: '#ffffff',
    },
  },
  transparent: {
    summary: 'A PNG with a transparent background',
    value: {
      url: 'https://example.com/',
      email: 'someone@example.com',
      scale: 8,
      transparent: true,
      light: '#ffffff00',
    },
  },
};

/**
 * Example queries of `GET /qrcode`, by name. A test checks that each passes `parsePreviewQuery`. In
 * the document each parameter lists its value under the same example name.
 */
export const PREVIEW_QUERY_EXAMPLES: Record<string, { summary: string; value: Record<string, string> }> = {
  plain: { summary: 'A URL as a PNG', value: { data: 'https://example.com/menu' } },
  styled: {
    summary: 'An SVG in colour',
    value: { data: 'https://example.com/', format: 'svg', size: '400', dark: '#1a237e', ecc: 'H', eci: 'off' },
  },
  scaled: {
    summary: 'A PNG at 6 pixels per module, no margin',
    value: { data: 'Hello, world', scale: '6', margin: '0', transparent: 'true', light: '#ffffff00' },
  },
  inverted: {
    summary: 'Light modules on a dark background',
    value: { data: 'https://example.com/', dark: '#ffffff', light: '#000000', allowInverted: 'true' },
  },
};

const ERROR_EXAMPLE = {
  error: {
    code: 'unsupported_url_scheme',
    message: '"url" must use http or https, got "javascript".',
    field: 'url',
  },
};

/** Converts a zod schema to JSON Schema 2020-12 without its `$schema` key, as OpenAPI 3.1 embeds it. */
function toSchema(schema: z.ZodType, io: 'input' | 'output'): JsonSchema {
  const { $schema: _ignored, ...rest } = z.toJSONSchema(schema, {
    io,
    target: 'draft-2020-12',
    unrepresentable: 'any',
  });
  return rest as JsonSchema;
}

/** Adds the descriptions of FIELD_DESCRIPTIONS to the properties of an object schema. */
function describeProperties(schema: JsonSchema): JsonSchema {
  const properties = schema.properties as Record<string, JsonSchema>;
  for (const [name, property] of Object.entries(properties)) {
    const description = FIELD_DESCRIPTIONS[name];
    if (description !== undefined) property.description = description;
  }
  return schema;
}

function errorResponse(status: number, summary: string): Record<string, unknown> {
  const codes = Object.entries(ERROR_CODES[status] ?? {})
    .map(([code, meaning]) => `- \`${code}\`: ${meaning}`)
    .join('\n');
  return {
    description: `${summary}\n\n${codes}`,
    content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
  };
}

const errorRef = (status: number) => ({ $ref: `#/components/responses/Error${status}` });

function previewParameters(): Record<string, unknown>[] {
  const schema = describeProperties(toSchema(previewQuerySchema, 'input'));
  const required = new Set((schema.required as string[] | undefined) ?? []);
  return Object.entries(schema.properties as Record<string, JsonSchema>).map(([name, property]) => {
    const { description, ...propertySchema } = property;
    const examples = Object.fromEntries(
      Object.entries(PREVIEW_QUERY_EXAMPLES)
        .filter(([, example]) => example.value[name] !== undefined)
        .map(([exampleName, example]) => [exampleName, { summary: example.summary, value: example.value[name] }]),
    );
    return {
      name,
      in: 'query',
      required: required.has(name),
      description,
      schema: propertySchema,
      ...(Object.keys(examples).length > 0 ? { examples } : {}),
    };
  });
}

function imageResponse(description: string): Record<string, unknown> {
  return {
    description,
    headers: { ETag: { schema: { type: 'string' } } },
    content: {
      'image/png': { schema: { type: 'string', contentMediaType: 'image/png' } },
      'image/svg+xml': { schema: { type: 'string', contentMediaType: 'image/svg+xml' } },
    },
  };
}

const idParameter = {
  name: 'id',
  in: 'path',
  required: true,
  description: 'The `id` that `POST /images/qrcode` returned.',
  schema: { type: 'string', format: 'uuid' },
  example: '4dba3f5e-f176-45ec-9af0-a86e538ff8cb',
};

const htmlResponse = (description: string) => ({
  description,
  content: { 'text/html': { schema: { type: 'string' } } },
});

/** Builds the OpenAPI 3.1 document of the whole HTTP app. */
export function buildOpenApiDocument(): Record<string, unknown> {
  const responses = responseSchemas();
  const requestSchema = describeProperties(toSchema(qrRequestSchema, 'input'));

  return {
    openapi: '3.1.0',
    info: {
      title: 'qrmail',
      version: '0.1.0',
      description:
        'Turns a URL into a QR code, stores it and emails it. Every error response has the body ' +
        '`{"error":{"code","message","field?"}}`; `code` is stable, `field` names the body field or query ' +
        'parameter at fault when there is one.',
    },
    tags: [
      { name: 'Codes', description: 'Request, follow and fetch QR codes.' },
      { name: 'Service', description: 'Health, this document and the web pages.' },
    ],
    paths: {
      '/images/qrcode': {
        description: 'Methods other than POST get 405 `method_not_allowed` with an `Allow: POST` header.',
        post: {
          tags: ['Codes'],
          operationId: 'createQrCode',
          summary: 'Render, store and email a QR code',
          description:
            'Validates the body, renders the code, stores it and queues the email, then returns at once. ' +
            'The mailer sends the email afterwards; follow `statusUrl` until `status` is `sent` or `failed`. ' +
            'Deployments may require an API key and limit requests per client and per recipient.',
          security: [{}, { apiKey: [] }],
          requestBody: {
            required: true,
            content: {
              'application/json': {
                schema: { $ref: '#/components/schemas/QrRequest' },
                examples: QR_REQUEST_EXAMPLES,
              },
            },
          },
          responses: {
            202: {
              description: 'Accepted: the code is stored and the email queued.',
              headers: { Location: { description: 'The status URL.', schema: { type: 'string', format: 'uri' } } },
              content: {
                'application/json': {
                  schema: { $ref: '#/components/schemas/Accepted' },
                  example: {
                    id: '4dba3f5e-f176-45ec-9af0-a86e538ff8cb',
                    status: 'queued',
                    statusUrl: 'http://127.0.0.1:3000/images/qrcode/4dba3f5e-f176-45ec-9af0-a86e538ff8cb',
                    imageUrl: 'http://127.0.0.1:3000/images/qrcode/4dba3f5e-f176-45ec-9af0-a86e538ff8cb.png',
                    createdAt: '2026-12-04T20:01:55.882Z',
                  },
                },
              },
            },
            400: errorRef(400),
            401: errorRef(401),
            405: errorRef(405),
            413: errorRef(413),
            415: errorRef(415),
            422: errorRef(422),
            429: errorRef(429),
            500: errorRef(500),
          },
        },
      },
      '/images/qrcode/{id}': {
        get: {
          tags: ['Codes'],
          operationId: 'getQrCodeStatus',
          summary: 'Status of a request',
          parameters: [idParameter],
          responses: {
            200: {
              description: 'The request and its delivery state. The response is never cached.',
              content: {
                'application/json': {
                  schema: { $ref: '#/components/schemas/Status' },
                  example: {
                    id: '4dba3f5e-f176-45ec-9af0-a86e538ff8cb',
                    status: 'sent',
                    createdAt: '2026-12-04T20:01:55.882Z',
                    updatedAt: '2026-12-04T20:01:56.310Z',
                    sentAt: '2026-12-04T20:01:56.310Z',
                    attempts: 1,
                    lastError: null,
                    imageUrl: 'http://127.0.0.1:3000/images/qrcode/4dba3f5e-f176-45ec-9af0-a86e538ff8cb.png',
                  },
                },
              },
            },
            404: errorRef(404),
          },
        },
      },
      '/images/qrcode/{id}.png': {
        get: {
          tags: ['Codes'],
          operationId: 'getQrCodePng',
          summary: 'The stored code as PNG',
          parameters: [idParameter],
          responses: { 200: imageResponse('The PNG image, cacheable for a day.'), 404: errorRef(404) },
        },
      },
      '/images/qrcode/{id}.svg': {
        get: {
          tags: ['Codes'],
          operationId: 'getQrCodeSvg',
          summary: 'The stored code as SVG',
          description: 'Exists only for requests made with `format` `svg`; others get 404.',
          parameters: [idParameter],
          responses: { 200: imageResponse('The SVG image, cacheable for a day.'), 404: errorRef(404) },
        },
      },
      '/images': {
        post: {
          tags: ['Codes'],
          operationId: 'uploadImage',
          summary: 'Upload an image and email a code that links to it',
          description:
            'The image goes as `multipart/form-data` (a `file` field, `email` and any render options) or as the raw ' +
            'body with its image content type and `?email=`. It is checked by its bytes, stored without EXIF or GPS ' +
            'data, and a code of its short link `/i/{id}` is emailed as for `POST /images/qrcode`. Without an ' +
            'email the image is only stored, and the answer is 201 with its link.',
          requestBody: {
            required: true,
            content: {
              'multipart/form-data': {
                schema: {
                  type: 'object',
                  required: ['file'],
                  properties: {
                    file: { type: 'string', format: 'binary', description: 'A PNG, JPEG, GIF or WebP image.' },
                    email: {
                      type: 'string',
                      format: 'email',
                      description: 'Recipient of the code; leave out to only store.',
                    },
                  },
                },
              },
              'image/png': { schema: { type: 'string', format: 'binary' } },
              'image/jpeg': { schema: { type: 'string', format: 'binary' } },
            },
          },
          responses: {
            201: {
              description: 'Stored without an email: the short link, and a preview URL of its code.',
              content: {
                'application/json': {
                  schema: {
                    type: 'object',
                    properties: {
                      link: { type: 'string', format: 'uri' },
                      qrcodeUrl: { type: 'string', format: 'uri' },
                    },
                    required: ['link', 'qrcodeUrl'],
                  },
                },
              },
            },
            202: {
              description:
                'Stored, and a code of its short link accepted for email, as for `POST /images/qrcode`, plus `link`.',
              content: { 'application/json': { schema: { type: 'object' } } },
            },
            400: errorRef(400),
            401: errorRef(401),
            413: errorRef(413),
            415: errorRef(415),
            429: errorRef(429),
          },
        },
      },
      '/i/{id}': {
        get: {
          tags: ['Codes'],
          operationId: 'openShortLink',
          summary: 'The image an uploaded code links to',
          description: 'Serves the image; on AWS, redirects to a short-lived pre-signed S3 URL.',
          parameters: [
            {
              name: 'id',
              in: 'path',
              required: true,
              description: 'The link id: 22 base64url characters.',
              schema: { type: 'string', pattern: '^[A-Za-z0-9_-]{22}$' },
              example: 'AAAAAAAAAAAAAAAAAAAAAA',
            },
          ],
          responses: {
            200: {
              description: 'The image, with its content type.',
              content: { 'image/*': { schema: { type: 'string', format: 'binary' } } },
            },
            302: { description: 'A redirect to a pre-signed S3 URL.' },
            404: errorRef(404),
            410: errorRef(410),
          },
        },
      },
      '/qrcode': {
        get: {
          tags: ['Codes'],
          operationId: 'previewQrCode',
          summary: 'Render a code without storing or sending it',
          description: 'The same query always returns the same image; `If-None-Match` with its ETag gets 304.',
          parameters: previewParameters(),
          responses: {
            200: imageResponse('The image, in the requested format.'),
            304: { description: 'The ETag in `If-None-Match` still matches.' },
            400: errorRef(400),
            422: errorRef(422),
            429: errorRef(429),
          },
        },
      },
      '/healthz': {
        get: {
          tags: ['Service'],
          operationId: 'health',
          summary: 'Liveness',
          responses: {
            200: {
              description: 'The server runs.',
              content: {
                'application/json': {
                  schema: { type: 'object', properties: { status: { const: 'ok' } }, required: ['status'] },
                  example: { status: 'ok' },
                },
              },
            },
          },
        },
      },
      '/openapi.json': {
        get: {
          tags: ['Service'],
          operationId: 'openApiDocument',
          summary: 'This document',
          responses: {
            200: { description: 'The OpenAPI 3.1 document.', content: { 'application/json': { schema: {} } } },
          },
        },
      },
      '/docs': {
        get: {
          tags: ['Service'],
          operationId: 'apiDocs',
          summary: 'This document as an HTML page',
          responses: { 200: htmlResponse('The API reference, generated from this document.') },
        },
      },
      '/': {
        get: {
          tags: ['Service'],
          operationId: 'webPage',
          summary: 'The web form',
          description: 'A page that previews a code, downloads it, and requests it by email.',
          responses: { 200: htmlResponse('The page.') },
        },
      },
      '/assets/{file}': {
        get: {
          tags: ['Service'],
          operationId: 'asset',
          summary: 'Stylesheets, script and icon of the web pages',
          parameters: [
            {
              name: 'file',
              in: 'path',
              required: true,
              schema: { type: 'string', enum: ['page.css', 'page.js', 'docs.css', 'icon.svg'] },
              example: 'page.css',
            },
          ],
          responses: {
            200: {
              description: 'The file.',
              content: {
                'text/css': { schema: { type: 'string' } },
                'text/javascript': { schema: { type: 'string' } },
              },
            },
            404: errorRef(404),
          },
        },
      },
    },
    components: {
      schemas: {
        QrRequest: requestSchema,
        Accepted: toSchema(responses.acceptedSchema, 'output'),
        Status: toSchema(responses.statusSchema, 'output'),
        Error: { ...toSchema(responses.errorSchema, 'output'), example: ERROR_EXAMPLE },
      },
      responses: Object.fromEntries(
        [400, 401, 404, 405, 410, 413, 415, 422, 429, 500].map((code) => [
          `Error${code}`,
          errorResponse(code, ERROR_SUMMARIES[code]!),
        ]),
      ),
      securitySchemes: {
        apiKey: {
          type: 'apiKey',
          in: 'header',
          name: 'x-api-key',
          description: 'Needed only when the deployment configures API keys.',
        },
      },
    },
  };
}

const ERROR_SUMMARIES: Record<number, string> = {
  400: 'The request is invalid; `field` names the field at fault.',
  401: 'An API key is required and missing or not accepted.',
  404: 'Not found.',
  405: 'Method not allowed.',
  410: 'The link has expired.',
  413: 'The body is too large.',
  415: 'The body has the wrong media type or encoding.',
  422: 'The rendered code did not scan back.',
  429: 'Rate limited.',
  500: 'Internal error.',
};
