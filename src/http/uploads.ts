import type { Hono } from 'hono';
import type { RequestIdVariables } from 'hono/request-id';

import { RequestError } from '../core/errors.js';
import type { ImageChecker } from '../core/ports.js';
import {
  acceptUpload,
  EXPIRES_METADATA_KEY,
  isLinkId,
  LinkExpiredError,
  linkUpload,
  uploadObjectKey,
  type UploadDependencies,
} from '../core/upload.js';
import { errorResponse } from './errors.js';
import { limitBody } from './guards.js';

/** Settings of the upload routes. */
export interface UploadOptions {
  /** Checks uploads; undefined in a runtime without an image library, where only short links work. */
  images: ImageChecker | undefined;
  /** Largest upload accepted, in bytes. */
  maxUploadBytes: number;
  linkTtlDays: number | undefined;
  /** Lifetime of the pre-signed URLs that short links redirect to, where the store can sign them. */
  presignSeconds: number;
}

/**
 * Mounts `POST /images` (an image as multipart/form-data with `file` and `email`, or as the raw
 * body with its image content type and `?email=`) and `GET /i/{id}`, the short link the code holds.
 * Without an email, `POST /images` only stores the image and returns 201 with its link.
 */
export function mountUploadRoutes(
  app: Hono<{ Variables: RequestIdVariables }>,
  deps: Omit<UploadDependencies, 'images' | 'linkTtlDays'>,
  options: UploadOptions,
  baseUrl: (request: Request) => string,
): void {
  const images = options.images;

  app.post(
    '/images',
    limitBody(options.maxUploadBytes, (c) =>
      errorResponse(
        c,
        413,
        'body_too_large',
        `The upload is larger than ${options.maxUploadBytes} bytes; send a smaller image.`,
      ),
    ),
    async (c) => {
      if (images === undefined) {
        throw new RequestError(
          'uploads_not_supported',
          'This deployment does not take image uploads; send a URL to POST /images/qrcode.',
        );
      }
      const uploadDeps: UploadDependencies = { ...deps, images, linkTtlDays: options.linkTtlDays };
      const contentType = (c.req.header('content-type') ?? '').split(';')[0]!.trim().toLowerCase();
      let bytes: Uint8Array;
      let declaredType: string | undefined;
      let fields: Record<string, unknown>;

      if (contentType === 'multipart/form-data') {
        const form = await c.req.parseBody();
        const file = form.file;
        if (!(file instanceof File)) {
          throw new RequestError('missing_field', 'The form needs a "file" field with the image.', { field: 'file' });
        }
        bytes = new Uint8Array(await file.arrayBuffer());
        declaredType = file.type === '' || file.type === 'application/octet-stream' ? undefined : file.type;
        fields = Object.fromEntries(
          Object.entries(form).filter(([name, value]) => name !== 'file' && typeof value === 'string'),
        );
      } else if (contentType.startsWith('image/')) {
        bytes = new Uint8Array(await c.req.arrayBuffer());
        declaredType = contentType;
        fields = c.req.query();
      } else {
        throw new RequestError(
          'unsupported_media_type',
          'Send the image as multipart/form-data with "file" and "email", or as the raw body with its image type and ?email=.',
          { status: 415 },
        );
      }

      // Without an email the image is only stored: the caller gets its link, to make a code of it.
      if (fields.email === undefined) {
        const { link } = await linkUpload(uploadDeps, { bytes, declaredType }, baseUrl(c.req.raw));
        return c.json({ link, qrcodeUrl: `${baseUrl(c.req.raw)}/qrcode?data=${encodeURIComponent(link)}` }, 201);
      }
      const accepted = await acceptUpload(uploadDeps, { bytes, declaredType, fields }, baseUrl(c.req.raw));
      const location = `${baseUrl(c.req.raw)}/images/qrcode/${accepted.id}`;
      c.header('Location', location);
      return c.json(
        {
          id: accepted.id,
          status: accepted.status,
          link: accepted.link,
          statusUrl: location,
          imageUrl: `${location}.png`,
          createdAt: accepted.createdAt.toISOString(),
        },
        202,
      );
    },
  );

  app.get('/i/:id', async (c) => {
    const id = c.req.param('id');
    if (!isLinkId(id)) return errorResponse(c, 404, 'not_found', 'No image has this link.');

    const key = uploadObjectKey(id);
    const object = await deps.store.get(key);
    if (object === undefined) return errorResponse(c, 404, 'not_found', 'No image has this link.');
    const expiresAt = object.metadata[EXPIRES_METADATA_KEY];
    if (expiresAt !== undefined && Date.parse(expiresAt) <= deps.clock.now().getTime()) throw new LinkExpiredError(id);

    // S3 serves the image itself through a short-lived signed URL; the local store streams it.
    if (deps.store.presignGet !== undefined) {
      c.header('Cache-Control', 'no-store');
      return c.redirect(await deps.store.presignGet(key, options.presignSeconds), 302);
    }
    return c.body(new Uint8Array(object.body), 200, {
      'Content-Type': object.contentType,
      'Content-Disposition': 'inline',
      'X-Content-Type-Options': 'nosniff',
      'Content-Security-Policy': "default-src 'none'; sandbox",
      'Cache-Control': 'private, max-age=3600',
    });
  });
}
