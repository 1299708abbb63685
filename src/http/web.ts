import { createHash } from 'node:crypto';

import type { Hono } from 'hono';

import { renderDocsPage } from './docs-page.js';
import { errorResponse } from './errors.js';
import { buildOpenApiDocument } from './openapi.js';
import { DOCS_CSS, PAGE_CSS } from './page/css.js';
import { ICON_SVG, PAGE_HTML } from './page/html.js';
import { PAGE_SCRIPT } from './page/script.js';

/**
 * The policy of the HTML pages: scripts, styles, images and fetches from this origin only, plus
 * `blob:` images for the preview, which the script loads with fetch to read the API's errors.
 */
export const PAGE_CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' blob:",
  "connect-src 'self'",
  "form-action 'self'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
].join('; ');

const ASSETS: Record<string, { body: string; type: string }> = {
  'page.css': { body: PAGE_CSS, type: 'text/css; charset=utf-8' },
  'page.js': { body: PAGE_SCRIPT, type: 'text/javascript; charset=utf-8' },
  'docs.css': { body: DOCS_CSS, type: 'text/css; charset=utf-8' },
  'icon.svg': { body: ICON_SVG, type: 'image/svg+xml' },
};

function eTagOf(text: string): string {
  return `"${createHash('sha256').update(text).digest('base64url').slice(0, 27)}"`;
}

const HTML_HEADERS = {
  'Content-Type': 'text/html; charset=utf-8',
  'Content-Security-Policy': PAGE_CONTENT_SECURITY_POLICY,
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'Cache-Control': 'no-cache',
};

/** Adds the web page, its assets, the OpenAPI document and the API reference page to `app`. */
export function mountWebRoutes(app: Hono<any>): void {
  // Built on first use: converting the schemas took about 5 ms of a Lambda bundle's import in a
  // profile on a 2-core machine, which a cold start would otherwise pay before its first request.
  let pages: { documentJson: string; docsHtml: string } | undefined;
  const openApiPages = () => {
    if (pages === undefined) {
      const document = buildOpenApiDocument();
      pages = {
        documentJson: JSON.stringify(document, null, 2),
        docsHtml: renderDocsPage(document, '/assets/docs.css'),
      };
    }
    return pages;
  };

  app.get('/openapi.json', (c) =>
    c.body(openApiPages().documentJson, 200, {
      'Content-Type': 'application/json; charset=utf-8',
      'Access-Control-Allow-Origin': '*',
      'Cache-Control': 'no-cache',
    }),
  );
  app.get('/docs', (c) => c.body(openApiPages().docsHtml, 200, HTML_HEADERS));
  app.get('/', (c) => c.body(PAGE_HTML, 200, HTML_HEADERS));

  app.get('/assets/:file', (c) => {
    const asset = ASSETS[c.req.param('file')];
    if (asset === undefined) return errorResponse(c, 404, 'not_found', `No asset ${c.req.path}.`);
    const eTag = eTagOf(asset.body);
    if (c.req.header('if-none-match') === eTag) return c.body(null, 304, { ETag: eTag });
    return c.body(asset.body, 200, {
      'Content-Type': asset.type,
      'X-Content-Type-Options': 'nosniff',
      'Cache-Control': 'no-cache',
      ETag: eTag,
    });
  });
}
