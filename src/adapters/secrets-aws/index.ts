import { SecretsProvider } from '@aws-lambda-powertools/parameters/secrets';
import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';

import { ConfigurationError } from '../../core/errors.js';
import type { SecretOptions, SecretStore } from '../../core/ports.js';

/**
 * Secrets from AWS Secrets Manager through Powertools' SecretsProvider, which caches each value
 * across invocations of a warm Lambda function for `maxAgeSeconds`.
 */
export class AwsSecretStore implements SecretStore {
  private readonly provider: SecretsProvider;
  private readonly maxAgeSeconds: number;

  constructor(options: { client: SecretsManagerClient; maxAgeSeconds: number }) {
    this.provider = new SecretsProvider({ awsSdkV3Client: options.client });
    this.maxAgeSeconds = options.maxAgeSeconds;
  }

  get(name: string, options?: SecretOptions): Promise<unknown>;
  get(name: string, options: SecretOptions & { raw: true }): Promise<string>;
  async get(name: string, options: SecretOptions & { raw?: boolean } = {}): Promise<unknown> {
    let raw: unknown;
    try {
      raw = await this.provider.get(name, { maxAge: this.maxAgeSeconds, forceFetch: options.fresh === true });
    } catch (error) {
      // The SDK's message names the secret and the missing permission or resource, never the value.
      throw new ConfigurationError(`cannot read secret "${name}" from Secrets Manager: ${(error as Error).message}`, {
        cause: error,
      });
    }
    if (typeof raw !== 'string') {
      throw new ConfigurationError(`secret "${name}" has no SecretString; store it as text or JSON`);
    }
    if (options.raw) return raw;
    try {
      return JSON.parse(raw) as unknown;
    } catch {
      return raw;
    }
  }
}
