import { afterEach, describe, expect, it } from 'vitest';

import { renderOptionFields } from '../../src/core/render-options.js';
import { parsePreviewQuery, parseQrRequest } from '../../src/core/schema.js';
import { SharpImageChecker } from '../../src/adapters/sharp-images/index.js';
import { ERROR_CODES } from '../../src/http/openapi.js';
import { createAppFixture } from '../support/app-fixture.js';

type Json = Record<string, any>;

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0).reverse()) cleanup();
});

function createTestApp() {
  const fixture = createAppFixture({
    uploads: {
      images: new SharpImageChecker({ maxPixelsPerSide: 1000 }),
      maxUploadBytes: 1024 * 1024,
      linkTtlDays: undefined,
      presignSeconds: 60,
    },
  });
  cleanups.push(fixture.close);
  return fixture.app;
}

async function fetchDocument(app: ReturnType<typeof createTestApp>): Promise<Json> {
  const response = await app.request('/openapi.json');
  expect(response.status).toBe(200);
  return (await response.json()) as Json;
}

const HTTP_METHODS = ['get', 'post', 'put', 'patch', 'delete', 'head', 'options'];

/** Every documented operation as a method and a concrete path, with path parameters set to their examples. */
function documentedOperations(document: Json): { method: string; template: string; path: string }[] {
  const operations: { method: string; template: string; path: string }[] = [];
  for (const [template, item] of Object.entries(document.paths as Record<string, Json>)) {
    for (const method of HTTP_METHODS) {
      const operation = item[method] as Json | undefined;
      if (operation === undefined) continue;
      const parameters = (operation.parameters ?? []) as Json[];
      const path = template.replace(/\{([^}]+)\}/g, (_, name: string) => {
        const parameter = parameters.find((candidate) => candidate.name === name && candidate.in === 'path');
        return String(parameter?.example ?? 'x');
      });
      operations.push({ method: method.toUpperCase(), template, path });
    }
  }
  return operations;
}

/** Turns a hono route path such as `/images/qrcode/:name` into a regular expression for concrete paths. */
function honoPattern(path: string): RegExp {
  const source = path
    .split(/(:[A-Za-z0-9_]+|\*)/)
    .map((part) => {
      if (part === '*') return '.*';
      if (part.startsWith(':')) return '[^/]+';
      return part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    })
    .join('');
  return new RegExp(`^${source}$`);
}

/** Lists the app's registered routes, without the middleware that every path passes through. */
function registeredRoutes(app: ReturnType<typeof createTestApp>): { method: string; path: string }[] {
  const seen = new Map<string, { method: string; path: string }>();
  for (const route of app.routes) {
    if (route.path === '/*') continue;
    seen.set(`${route.method} ${route.path}`, { method: route.method, path: route.path });
  }
  return [...seen.values()];
}

/** Named preview queries, assembled from the examples of each query parameter. */
function previewExamples(document: Json): Map<string, Record<string, string>> {
  const queries = new Map<string, Record<string, string>>();
  for (const parameter of document.paths['/qrcode'].get.parameters as Json[]) {
    for (const [name, example] of Object.entries((parameter.examples ?? {}) as Record<string, Json>)) {
      const query = queries.get(name) ?? {};
      query[parameter.name] = example.value;
      queries.set(name, query);
    }
  }
  return queries;
}

describe('OpenAPI document', () => {
  it('declares OpenAPI 3.1', async () => {
    const document = await fetchDocument(createTestApp());

    expect(document.openapi).toBe('3.1.0');
  });

  it('documents every registered route', async () => {
    const app = createTestApp();
    const document = await fetchDocument(app);
    const operations = documentedOperations(document);
    const routes = registeredRoutes(app);
    expect(routes.length).toBeGreaterThan(5);

    for (const route of routes) {
      const pattern = honoPattern(route.path);
      const documented = operations.some(
        (operation) => (route.method === 'ALL' || operation.method === route.method) && pattern.test(operation.path),
      );
      expect(documented, `${route.method} ${route.path} has no documented operation`).toBe(true);
    }
  });

  it('registers every documented operation', async () => {
    const app = createTestApp();
    const document = await fetchDocument(app);
    const routes = registeredRoutes(app);

    for (const operation of documentedOperations(document)) {
      const registered = routes.some(
        (route) => route.method === operation.method && honoPattern(route.path).test(operation.path),
      );
      expect(registered, `${operation.method} ${operation.template} is not a route of the app`).toBe(true);
    }
  });

  it('request examples pass parseQrRequest', async () => {
    const document = await fetchDocument(createTestApp());
    const examples = document.paths['/images/qrcode'].post.requestBody.content['application/json'].examples as Record<
      string,
      Json
    >;
    expect(Object.keys(examples).length).toBeGreaterThan(1);

    for (const [name, example] of Object.entries(examples)) {
      expect(() => parseQrRequest(example.value), name).not.toThrow();
    }
  });

  it('preview examples pass parsePreviewQuery', async () => {
    const document = await fetchDocument(createTestApp());
    const queries = previewExamples(document);
    expect(queries.size).toBeGreaterThan(1);

    for (const [name, query] of queries) {
      expect(() => parsePreviewQuery(query), name).not.toThrow();
    }
  });

  it('app accepts the request examples', async () => {
    const app = createTestApp();
    const document = await fetchDocument(app);
    const examples = document.paths['/images/qrcode'].post.requestBody.content['application/json'].examples as Record<
      string,
      Json
    >;

    for (const [name, example] of Object.entries(examples)) {
      const response = await app.request('/images/qrcode', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(example.value),
      });
      expect(response.status, `${name}: ${await response.clone().text()}`).toBe(202);
    }
  });

  it('app renders the preview examples', async () => {
    const app = createTestApp();
    const document = await fetchDocument(app);

    for (const [name, query] of previewExamples(document)) {
      const response = await app.request(`/qrcode?${new URLSearchParams(query).toString()}`);
      expect(response.status, name).toBe(200);
    }
  });

  it('request schema rejects unknown fields', async () => {
    const document = await fetchDocument(createTestApp());
    const schema = document.components.schemas.QrRequest as Json;

    expect(schema.additionalProperties).toBe(false);
    expect(schema.required).toEqual(['url', 'email']);
  });

  it('lists every render option', async () => {
    const document = await fetchDocument(createTestApp());
    const requestProperties = Object.keys(document.components.schemas.QrRequest.properties as Json);
    const queryNames = (document.paths['/qrcode'].get.parameters as Json[]).map((parameter) => parameter.name);

    for (const field of Object.keys(renderOptionFields)) {
      expect(requestProperties, field).toContain(field);
      expect(queryNames, field).toContain(field);
    }
  });

  it('lists error codes of render options', () => {
    const codes = Object.keys(ERROR_CODES[400]!);

    for (const field of Object.keys(renderOptionFields)) {
      expect(codes, field).toContain(`invalid_${field}`);
    }
  });

  it('error responses use the error schema', async () => {
    const document = await fetchDocument(createTestApp());

    for (const [name, response] of Object.entries(document.components.responses as Record<string, Json>)) {
      expect(response.content['application/json'].schema.$ref, name).toBe('#/components/schemas/Error');
    }
  });

  it('documented error codes match responses', async () => {
    const app = createTestApp();
    const cases: [string, RequestInit | undefined, number][] = [
      ['/images/qrcode', { method: 'POST', headers: { 'content-type': 'text/plain' }, body: '{}' }, 415],
      ['/images/qrcode', { method: 'GET' }, 405],
      ['/images/qrcode/nope', undefined, 404],
      ['/qrcode?data=x&ecc=Z', undefined, 400],
    ];

    for (const [path, init, status] of cases) {
      const response = await app.request(path, init);
      const body = (await response.json()) as { error: { code: string } };
      expect(response.status, path).toBe(status);
      expect(Object.keys(ERROR_CODES[status]!), path).toContain(body.error.code);
    }
  });
});

describe('API reference page', () => {
  it('shows every operation', async () => {
    const app = createTestApp();
    const document = await fetchDocument(app);
    const response = await app.request('/docs');
    const html = await response.text();

    expect(response.headers.get('content-type')).toMatch(/^text\/html/);
    for (const operation of documentedOperations(document)) {
      expect(html, `${operation.method} ${operation.template}`).toContain(
        `<span class="method">${operation.method}</span> <code>${operation.template}</code>`,
      );
    }
  });

  it('runs no script', async () => {
    const response = await createTestApp().request('/docs');

    expect(await response.text()).not.toMatch(/<script/i);
    expect(response.headers.get('content-security-policy')).toContain("default-src 'none'");
  });

  it('escapes example markup', async () => {
    const html = await (await createTestApp().request('/docs')).text();

    expect(html).toContain('&#34;url&#34;');
  });
});
