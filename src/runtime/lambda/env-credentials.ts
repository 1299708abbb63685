/**
 * Takes the place of `@aws-sdk/credential-provider-node` in the Lambda bundles: the esbuild alias in
 * infra/bundle-aliases.ts points the SDK clients' import of `defaultProvider` here.
 *
 * Lambda hands every function its role's credentials in environment variables, which are the
 * first source that the SDK's default chain tries. The rest of that chain reads profiles, SSO,
 * web identity tokens and instance metadata, with the STS and SSO clients they need. It is about
 * 110 KB of each bundle, which V8 would parse at every cold start and never run.
 *
 * NOTE: a function that runs where credentials do not come from environment variables needs the
 * alias removed.
 */
import { fromEnv, type FromEnvInit } from '@aws-sdk/credential-provider-env';

type CredentialProvider = ReturnType<typeof fromEnv>;
type Credentials = Awaited<ReturnType<CredentialProvider>>;

/** Credentials that expire within this many milliseconds are fetched again, as the SDK's chain does. */
const REFRESH_WINDOW_MS = 5 * 60 * 1000;

/** Returns a provider that reads AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN. */
export function defaultProvider(init: FromEnvInit = {}): CredentialProvider {
  return fromEnv(init);
}

/** True for credentials that carry an expiry time. */
export function credentialsWillNeedRefresh(credentials: Credentials | undefined): boolean {
  return credentials?.expiration !== undefined;
}

/** True for credentials that expire within five minutes. */
export function credentialsTreatedAsExpired(credentials: Credentials | undefined): boolean {
  const expiration = credentials?.expiration;
  return expiration !== undefined && expiration.getTime() - Date.now() < REFRESH_WINDOW_MS;
}
