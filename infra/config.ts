/**
 * Per-stage and pipeline configuration of the AWS deployment, read from config/<stage>.json and
 * config/pipeline.json and validated here before any construct is built.
 *
 * The files contain settings and the NAME of the SMTP secret, never a secret value. Their account ids
 * ("111111111111", "222222222222") and the CodeStar connection ARN are placeholders to replace
 * with real values before the first deploy.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { z } from 'zod';

/** The deployment stages, in the order the pipeline promotes a change through them. */
export const STAGE_NAMES = ['dev', 'staging', 'prod'] as const;
export type StageName = (typeof STAGE_NAMES)[number];

/** Folder of the JSON configuration files, at the repository root. */
export const CONFIG_DIR = fileURLToPath(new URL('../config/', import.meta.url));

/** Retention periods that CloudWatch Logs accepts, in days. */
const LOG_RETENTION_DAYS = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
] as const;

// Secrets Manager allows these characters in a name. A name ending in a hyphen and six characters
// looks like the random suffix of a secret ARN, so partial-ARN lookups can pick the wrong secret.
const SECRET_NAME = /^[A-Za-z0-9/_+=.@-]{1,512}$/;
const SECRET_NAME_SUFFIX_LIKE = /-[A-Za-z0-9]{6}$/;
const HOST_NAME = /^(?=.{1,253}$)(?!-)[A-Za-z0-9-]{1,63}(?<!-)(?:\.(?!-)[A-Za-z0-9-]{1,63}(?<!-))*$/;
const EMAIL_ADDRESS = /^[^\s@<>]+@[^\s@<>]+\.[^\s@<>]+$/;

const positiveInt = z.int().positive();

const environment = z.strictObject({
  account: z.string().regex(/^\d{12}$/, 'must be a 12-digit AWS account id'),
  region: z.string().regex(/^[a-z]{2}(?:-[a-z]+)+-\d$/, 'must be an AWS region such as eu-west-1'),
});

/** The From header: a bare address or `Display Name <address>`. */
const sender = z.string().refine((value) => EMAIL_ADDRESS.test(senderAddress(value)), {
  message: 'must be an address such as qrmail@example.com or "QR codes <qrmail@example.com>"',
});

const smtpSettings = z.strictObject({
  host: z.string().regex(HOST_NAME, 'must be a host name such as smtp.example.com'),
  // AWS blocks outbound TCP port 25 for Lambda functions outside a VPC, as these are, so a
  // submission port is required.
  port: z
    .int()
    .min(1)
    .max(65535)
    .refine((port) => port !== 25, 'must not be 25, which Lambda blocks outbound; use 465 or 587'),
  tls: z.enum(['implicit', 'starttls']),
  secretName: z
    .string()
    .regex(SECRET_NAME, 'must be a Secrets Manager name: 1 to 512 of A-Z a-z 0-9 / _ + = . @ -')
    .refine((name) => !SECRET_NAME_SUFFIX_LIKE.test(name), 'must not end with a hyphen and six characters'),
});

const sesSettings = z.strictObject({
  /** The verified SES identity that sends: the sender's address or its domain. */
  identity: z.string().min(1),
  configurationSet: z.string().min(1).optional(),
});

const mail = z.discriminatedUnion('transport', [
  z.strictObject({ transport: z.literal('smtp'), from: sender, smtp: smtpSettings }),
  z.strictObject({ transport: z.literal('ses'), from: sender, ses: sesSettings }),
]);

const stageConfigSchema = z
  .strictObject({
    /** Free text for the reader of the JSON file, which the app ignores. */
    $comment: z.string().optional(),
    stage: z.enum(STAGE_NAMES),
    env: environment,
    /** Base of `statusUrl` and `imageUrl`, such as a custom domain in front of the API. */
    publicUrl: z.url({ protocol: /^https$/ }).optional(),
    bucket: z.strictObject({
      codeExpirationDays: positiveInt,
      noncurrentVersionExpirationDays: positiveInt,
      accessLogExpirationDays: positiveInt,
    }),
    mail,
    api: z
      .strictObject({
        throttlingRateLimit: z.number().positive(),
        throttlingBurstLimit: positiveInt,
        maxBodyBytes: positiveInt,
        // SHA-256 hashes (hex) of the API keys that may post requests; `npx qrmail api-key` makes a pair.
        apiKeyHashes: z
          .array(z.string().regex(/^[0-9a-f]{64}$/, 'must be a SHA-256 hash in lower-case hex'))
          .default([]),
        // A stage that requires keys refuses to synthesize without at least one hash.
        requireApiKey: z.boolean().default(false),
        // API Gateway ends an HTTP API integration after 30 seconds whatever the function's timeout.
        timeoutSeconds: z.int().min(1).max(30),
        memoryMb: z.int().min(128).max(10240),
      })
      .refine((api) => !api.requireApiKey || api.apiKeyHashes.length > 0, {
        message: 'requireApiKey is true, so apiKeyHashes must list at least one hash',
        path: ['apiKeyHashes'],
      }),
    mailer: z.strictObject({
      // The queue's visibility timeout is six times this, and SQS allows at most 12 hours.
      timeoutSeconds: z.int().min(1).max(900),
      memoryMb: z.int().min(128).max(10240),
      // A standard queue delivers at most 10 messages per batch without a batching window.
      batchSize: z.int().min(1).max(10),
      // Lambda accepts 2 to 1000 for the maximum concurrency of an SQS event source.
      maxConcurrency: z.int().min(2).max(1000),
      maxReceiveCount: z.int().min(1).max(1000),
      secretMaxAgeSeconds: positiveInt,
    }),
    logging: z.strictObject({
      level: z.enum(['DEBUG', 'INFO', 'WARN', 'ERROR']),
      retentionDays: z.literal(LOG_RETENTION_DAYS),
    }),
    removalPolicy: z.enum(['retain', 'destroy']),
  })
  .refine((config) => config.stage !== 'prod' || config.removalPolicy === 'retain', {
    message: 'must be "retain" in prod, so that deleting the stack keeps the codes and request records',
    path: ['removalPolicy'],
  });

const pipelineConfigSchema = z.strictObject({
  $comment: z.string().optional(),
  env: environment,
  /** The source repository as `owner/name`. */
  repository: z.string().regex(/^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/, 'must be owner/name'),
  branch: z.string().min(1),
  connectionArn: z
    .string()
    .regex(
      /^arn:aws[a-z-]*:(?:codestar-connections|codeconnections):[a-z0-9-]+:\d{12}:connection\/[0-9a-f-]+$/,
      'must be the ARN of a CodeStar (CodeConnections) connection',
    ),
});

export type StageConfig = z.infer<typeof stageConfigSchema>;
export type PipelineConfig = z.infer<typeof pipelineConfigSchema>;
export type MailConfig = StageConfig['mail'];

/** Thrown for a configuration file that is missing, not JSON, or invalid. The message names each invalid field. */
export class InfraConfigError extends Error {
  override readonly name = 'InfraConfigError';
}

/** Extracts the address from a From header such as `QR codes <qrmail@example.com>`. */
export function senderAddress(from: string): string {
  const match = /<([^<>]*)>\s*$/.exec(from);
  return (match?.[1] ?? from).trim();
}

/** Validates a parsed stage configuration. `source` names the file in error messages. */
export function parseStageConfig(raw: unknown, source: string): StageConfig {
  return parseWith(stageConfigSchema, raw, source);
}

/** Validates a parsed pipeline configuration. `source` names the file in error messages. */
export function parsePipelineConfig(raw: unknown, source: string): PipelineConfig {
  return parseWith(pipelineConfigSchema, raw, source);
}

/** Reads and validates `<dir>/<stage>.json`, whose `stage` field must match its file name. */
export function loadStageConfig(stage: StageName, dir: string = CONFIG_DIR): StageConfig {
  const file = join(dir, `${stage}.json`);
  const config = parseStageConfig(readJson(file), file);
  if (config.stage !== stage) {
    throw new InfraConfigError(
      `${file} is invalid:\n  stage: must be "${stage}" to match the file name, got "${config.stage}"`,
    );
  }
  return config;
}

/** Reads and validates `<dir>/pipeline.json`. */
export function loadPipelineConfig(dir: string = CONFIG_DIR): PipelineConfig {
  const file = join(dir, 'pipeline.json');
  return parsePipelineConfig(readJson(file), file);
}

/** Checks the `stage` context value (`-c stage=...`) and throws an error listing the accepted stages. */
export function parseStageName(value: unknown): StageName {
  if (typeof value === 'string' && (STAGE_NAMES as readonly string[]).includes(value)) return value as StageName;
  throw new InfraConfigError(`context "stage" must be one of ${STAGE_NAMES.join(', ')}, got ${JSON.stringify(value)}`);
}

function readJson(file: string): unknown {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new InfraConfigError(`cannot read ${file}: ${(error as Error).message}`, { cause: error });
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new InfraConfigError(`${file} is not valid JSON: ${(error as Error).message}`, { cause: error });
  }
}

function parseWith<T>(schema: z.ZodType<T>, raw: unknown, source: string): T {
  const result = schema.safeParse(raw, { reportInput: true });
  if (result.success) return result.data;
  const lines = result.error.issues.map((issue) => `  ${fieldName(issue.path)}: ${issueMessage(issue)}`);
  throw new InfraConfigError(`${source} is invalid:\n${lines.join('\n')}`);
}

function fieldName(path: readonly PropertyKey[]): string {
  return path.length === 0 ? '(root)' : path.map(String).join('.');
}

function issueMessage(issue: z.core.$ZodIssue): string {
  if (issue.code === 'invalid_type' && issue.input === undefined) return 'is missing';
  if (issue.code === 'unrecognized_keys') return `unknown field(s) ${issue.keys.join(', ')}`;
  return issue.message;
}
