import { describe, expect, it } from 'vitest';

import { RequestError } from '../../src/core/errors.js';
import { parseQrRequest } from '../../src/core/schema.js';

const VALID_URL = 'https://example.com/qr';
const EMAIL = 'someone@example.com';

/** Returns the error that `parseQrRequest` throws for `body`, or undefined when it accepts it. */
function parseError(body: unknown): unknown {
  try {
    parseQrRequest(body);
    return undefined;
  } catch (error) {
    return error;
  }
}

/** Builds an address of exactly `length` characters that is valid in every other way. */
function emailOfLength(length: number): string {
  const localPart = 'a'.repeat(64);
  const labels = ['b'.repeat(63), 'c'.repeat(63)];
  const lastLabel = 'd'.repeat(length - localPart.length - 1 - labels.join('.').length - '.com'.length - 1);
  return `${localPart}@${labels.join('.')}.${lastLabel}.com`;
}

describe('parseQrRequest rejects', () => {
  const cases: { name: string; body: unknown; code: string; field?: string }[] = [
    { name: 'missing url', body: { email: EMAIL }, code: 'missing_field', field: 'url' },
    { name: 'missing email', body: { url: VALID_URL }, code: 'missing_field', field: 'email' },
    { name: 'empty object', body: {}, code: 'missing_field', field: 'url' },
    { name: 'number url', body: { url: 42, email: EMAIL }, code: 'invalid_type', field: 'url' },
    { name: 'null email', body: { url: VALID_URL, email: null }, code: 'invalid_type', field: 'email' },
    { name: 'null body', body: null, code: 'invalid_body' },
    { name: 'array body', body: [VALID_URL, EMAIL], code: 'invalid_body' },
    { name: 'string body', body: 'https://example.com', code: 'invalid_body' },
    { name: 'unknown field', body: { url: VALID_URL, email: EMAIL, cc: EMAIL }, code: 'unknown_field', field: 'cc' },
    {
      name: 'email header injection',
      body: { url: VALID_URL, email: 'victim@example.com\r\nBcc: others@example.com' },
      code: 'invalid_email',
      field: 'email',
    },
    { name: 'email display name', body: { url: VALID_URL, email: 'Someone <a@example.com>' }, code: 'invalid_email' },
    { name: 'email bracketed', body: { url: VALID_URL, email: '<a@example.com>' }, code: 'invalid_email' },
    { name: 'email list', body: { url: VALID_URL, email: 'a@example.com,b@example.com' }, code: 'invalid_email' },
    {
      name: 'email semicolon list',
      body: { url: VALID_URL, email: 'a@example.com;b@example.com' },
      code: 'invalid_email',
    },
    { name: 'email without at', body: { url: VALID_URL, email: 'someone.example.com' }, code: 'invalid_email' },
    { name: 'email without domain dot', body: { url: VALID_URL, email: 'someone@localhost' }, code: 'invalid_email' },
    { name: 'email double dot', body: { url: VALID_URL, email: 'some..one@example.com' }, code: 'invalid_email' },
    { name: 'email 255 characters', body: { url: VALID_URL, email: emailOfLength(255) }, code: 'invalid_email' },
    {
      name: 'email local part 65',
      body: { url: VALID_URL, email: `${'a'.repeat(65)}@example.com` },
      code: 'invalid_email',
    },
    { name: 'javascript URL', body: { url: 'javascript:alert(1)', email: EMAIL }, code: 'unsupported_url_scheme' },
    { name: 'data URL', body: { url: 'data:text/html,x', email: EMAIL }, code: 'unsupported_url_scheme' },
    { name: 'file URL', body: { url: 'file:///etc/passwd', email: EMAIL }, code: 'unsupported_url_scheme' },
    { name: 'ftp URL', body: { url: 'ftp://x', email: EMAIL }, code: 'unsupported_url_scheme' },
    {
      name: 'URL credentials',
      body: { url: 'https://user:pass@example.com/', email: EMAIL },
      code: 'url_has_credentials',
      field: 'url',
    },
    { name: 'URL user only', body: { url: 'https://user@example.com/', email: EMAIL }, code: 'url_has_credentials' },
    { name: 'URL with space', body: { url: 'https://example.com/a b', email: EMAIL }, code: 'invalid_url' },
    { name: 'URL with newline', body: { url: 'https://example.com/\nx', email: EMAIL }, code: 'invalid_url' },
    // JSON can carry a lone surrogate ("\ud800"), which has no UTF-8 form to encode or store.
    { name: 'URL lone surrogate', body: { url: 'https://example.com/\ud800', email: EMAIL }, code: 'invalid_url' },
    { name: 'email lone surrogate', body: { url: VALID_URL, email: 'a@\ud800.example.com' }, code: 'invalid_email' },
    { name: 'relative URL', body: { url: '/images/qr.png', email: EMAIL }, code: 'invalid_url' },
    { name: 'host-only URL', body: { url: 'example.com', email: EMAIL }, code: 'invalid_url' },
    { name: 'empty URL', body: { url: '', email: EMAIL }, code: 'invalid_url' },
  ];

  for (const { name, body, code, field } of cases) {
    it(`parseQrRequest ${name}`, () => {
      const error = parseError(body);

      expect(error).toBeInstanceOf(RequestError);
      expect((error as RequestError).code).toBe(code);
      expect((error as RequestError).status).toBe(400);
      if (field !== undefined) expect((error as RequestError).field).toBe(field);
    });
  }

  it('parseQrRequest names unknown field', () => {
    const error = parseError({ url: VALID_URL, email: EMAIL, bcc: EMAIL }) as RequestError;

    expect(error.message).toContain('"bcc"');
  });
});

describe('parseQrRequest accepts', () => {
  const cases: { name: string; url: string; email: string }[] = [
    { name: 'plain https', url: VALID_URL, email: EMAIL },
    { name: 'plain http', url: 'http://example.com', email: EMAIL },
    { name: 'case kept', url: 'HTTPS://Example.com/A?b=1#c', email: EMAIL },
    { name: 'escapes kept', url: 'https://example.com/a%20b/c+d?x=1&y=%2B2#frag', email: EMAIL },
    { name: 'default port kept', url: 'https://example.com:443/./a/../b', email: EMAIL },
    { name: 'unicode path kept', url: 'https://café.example/ação?q=😀', email: EMAIL },
    { name: 'IPv6 host', url: 'http://[::1]:8080/', email: EMAIL },
    { name: 'plus address', url: VALID_URL, email: 'some.one+qr@mail.example.co.uk' },
    { name: 'unicode domain', url: VALID_URL, email: 'someone@bücher.example' },
    { name: 'email 254 characters', url: VALID_URL, email: emailOfLength(254) },
  ];

  for (const { name, url, email } of cases) {
    it(`parseQrRequest ${name}`, () => {
      const request = parseQrRequest({ url, email });

      expect(request.url).toBe(url);
      expect(request.email).toBe(email);
      expect(Object.keys(request).sort()).toEqual(['email', 'logo', 'options', 'url']);
      expect(request.logo).toBeUndefined();
      expect(request.options.format).toBe('png');
      expect(request.options.ecc).toBe('M');
    });
  }

  it('emailOfLength builds exact length', () => {
    expect(emailOfLength(254)).toHaveLength(254);
    expect(emailOfLength(255)).toHaveLength(255);
  });
});
