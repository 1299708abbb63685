import { afterEach, describe, expect, it, vi } from 'vitest';

import {
  credentialsTreatedAsExpired,
  credentialsWillNeedRefresh,
  defaultProvider,
} from '../../../src/runtime/lambda/env-credentials.js';

describe('env-credentials', () => {
  afterEach(() => {
    vi.unstubAllEnvs();
  });

  it('defaultProvider reads the variables Lambda sets', async () => {
    vi.stubEnv('AWS_ACCESS_KEY_ID', 'AKIDEXAMPLE');
    vi.stubEnv('AWS_SECRET_ACCESS_KEY', 'secret');
    vi.stubEnv('AWS_SESSION_TOKEN', 'token');

    await expect(defaultProvider()()).resolves.toMatchObject({
      accessKeyId: 'AKIDEXAMPLE',
      secretAccessKey: 'secret',
      sessionToken: 'token',
    });
  });

  it('defaultProvider rejects without the variables', async () => {
    vi.stubEnv('AWS_ACCESS_KEY_ID', '');
    vi.stubEnv('AWS_SECRET_ACCESS_KEY', '');

    await expect(defaultProvider()()).rejects.toThrow('Unable to find environment variable credentials.');
  });

  it('credentials without an expiry never need a refresh', () => {
    const credentials = { accessKeyId: 'a', secretAccessKey: 's' };

    expect(credentialsWillNeedRefresh(credentials)).toBe(false);
    expect(credentialsTreatedAsExpired(credentials)).toBe(false);
  });

  it('credentials within five minutes of expiry count as expired', () => {
    const soon = { accessKeyId: 'a', secretAccessKey: 's', expiration: new Date(Date.now() + 4 * 60 * 1000) };
    const later = { ...soon, expiration: new Date(Date.now() + 6 * 60 * 1000) };

    expect(credentialsWillNeedRefresh(soon)).toBe(true);
    expect(credentialsTreatedAsExpired(soon)).toBe(true);
    expect(credentialsTreatedAsExpired(later)).toBe(false);
  });
});
