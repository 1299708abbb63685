import { fileURLToPath } from 'node:url';

/**
 * Packages that esbuild replaces in both Lambda bundles, in the form of its `alias` option. The SDK
 * clients' default credential chain becomes src/runtime/lambda/env-credentials.ts, which reads
 * the environment variables that Lambda sets. The benchmark bundles with the same aliases.
 */
export const BUNDLE_ALIASES: Record<string, string> = {
  '@aws-sdk/credential-provider-node': fileURLToPath(
    new URL('../src/runtime/lambda/env-credentials.ts', import.meta.url),
  ),
};
