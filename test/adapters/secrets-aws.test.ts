import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { AwsSecretStore } from '../../src/adapters/secrets-aws/index.js';
import { ConfigurationError } from '../../src/core/errors.js';
import { startAwsApiStandIn, type AwsApiStandIn } from '../support/aws/api-stand-in.js';

const SECRET_NAME = 'qrmail/smtp';
const SECRET = { username: 'sender', password: 'current-password-4f2a9c' };
const OTHER_NAME = 'qrmail/other';
const OTHER_VALUE = 'other-password-81d3e6';

let standIn: AwsApiStandIn;
let clients: SecretsManagerClient[];

beforeEach(async () => {
  standIn = await startAwsApiStandIn();
  standIn.secrets.set(SECRET_NAME, JSON.stringify(SECRET));
  standIn.secrets.set(OTHER_NAME, JSON.stringify({ password: OTHER_VALUE }));
  clients = [];
});

afterEach(async () => {
  for (const client of clients) client.destroy();
  await standIn.close();
});

/** Creates a store over a new Secrets Manager client aimed at the stand-in, with its own cache. */
function createStore(maxAgeSeconds = 300): AwsSecretStore {
  const client = new SecretsManagerClient({
    endpoint: standIn.endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  clients.push(client);
  return new AwsSecretStore({ client, maxAgeSeconds });
}

/** Counts the GetSecretValue calls for `name` that reached the stand-in. */
function fetchCount(name: string): number {
  return standIn.calls.filter(
    (call) => call.operation === 'secretsmanager.GetSecretValue' && call.body.SecretId === name,
  ).length;
}

/** Awaits a rejection and returns the error, failing when the promise resolves. */
async function rejection(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected the promise to reject');
}

describe('AwsSecretStore values', () => {
  it('returns parsed JSON', async () => {
    expect(await createStore().get(SECRET_NAME)).toEqual(SECRET);
  });

  it('returns the raw string', async () => {
    expect(await createStore().get(SECRET_NAME, { raw: true })).toBe(JSON.stringify(SECRET));
  });

  it('returns plain text unparsed', async () => {
    standIn.secrets.set('qrmail/token', 'not JSON: a plain token');

    expect(await createStore().get('qrmail/token')).toBe('not JSON: a plain token');
  });
});

describe('AwsSecretStore cache', () => {
  it('caches within maxAgeSeconds', async () => {
    const store = createStore(300);

    await store.get(SECRET_NAME);
    await store.get(SECRET_NAME);
    await store.get(SECRET_NAME, { raw: true });

    expect(fetchCount(SECRET_NAME)).toBe(1);
  });

  it('fetches again when fresh', async () => {
    const store = createStore(300);
    await store.get(SECRET_NAME);

    await store.get(SECRET_NAME, { fresh: true });

    expect(fetchCount(SECRET_NAME)).toBe(2);
  });

  it('fetches again after maxAgeSeconds', async () => {
    const store = createStore(1);
    await store.get(SECRET_NAME);

    await new Promise((resolve) => setTimeout(resolve, 1_100));
    await store.get(SECRET_NAME);

    expect(fetchCount(SECRET_NAME)).toBe(2);
  });

  it('sees a rotation only when fresh', async () => {
    const store = createStore(300);
    const rotated = { username: 'sender', password: 'rotated-password-0b7d35' };
    await store.get(SECRET_NAME);
    standIn.secrets.set(SECRET_NAME, JSON.stringify(rotated));

    const cached = await store.get(SECRET_NAME);
    const fresh = await store.get(SECRET_NAME, { fresh: true });
    const afterFresh = await store.get(SECRET_NAME);

    expect(cached).toEqual(SECRET);
    expect(fresh).toEqual(rotated);
    expect(afterFresh).toEqual(rotated);
    expect(fetchCount(SECRET_NAME)).toBe(2);
  });
});

describe('AwsSecretStore errors', () => {
  it('rejects a missing secret', async () => {
    const error = await rejection(createStore().get('qrmail/missing'));

    expect(error).toBeInstanceOf(ConfigurationError);
    expect(error.message).toContain('"qrmail/missing"');
    expect(error.message).not.toContain(OTHER_VALUE);
    expect(error.message).not.toContain(SECRET.password);
  });

  it('rejects on AccessDeniedException', async () => {
    standIn.errors.set('secretsmanager.GetSecretValue', {
      name: 'AccessDeniedException',
      status: 400,
      message: 'User is not authorized to perform: secretsmanager:GetSecretValue',
    });

    const error = await rejection(createStore().get(SECRET_NAME));

    expect(error).toBeInstanceOf(ConfigurationError);
    expect(error.message).toContain(`"${SECRET_NAME}"`);
    expect(error.message).toContain('not authorized');
    expect(error.message).not.toContain(SECRET.password);
  });

  it('reads the secret once access returns', async () => {
    const store = createStore();
    standIn.errors.set('secretsmanager.GetSecretValue', {
      name: 'AccessDeniedException',
      status: 400,
      message: 'User is not authorized to perform: secretsmanager:GetSecretValue',
    });
    await rejection(store.get(SECRET_NAME));

    standIn.errors.delete('secretsmanager.GetSecretValue');

    expect(await store.get(SECRET_NAME)).toEqual(SECRET);
  });
});
