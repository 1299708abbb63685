import { createRequire } from 'node:module';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

import { Duration, Stack, type RemovalPolicy } from 'aws-cdk-lib';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { PolicyStatement, Role, ServicePrincipal, type IRole } from 'aws-cdk-lib/aws-iam';
import { Architecture, Runtime } from 'aws-cdk-lib/aws-lambda';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import { NodejsFunction, OutputFormat, type BundlingOptions, type ICommandHooks } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup } from 'aws-cdk-lib/aws-logs';
import type { IBucket } from 'aws-cdk-lib/aws-s3';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';

import { QR_KEY_PREFIX } from '../src/core/ids.js';
import { UPLOAD_KEY_PREFIX } from '../src/core/upload.js';
import { BUNDLE_ALIASES } from './bundle-aliases.js';
import type { StageConfig } from './config.js';
import { lambdaSharpModules } from './lambda-sharp.js';
import { acknowledge, acknowledgeObjectGrants, wildcardResource } from './nag.js';

/** Repository root: the entries, package-lock.json and tsconfig.json that esbuild reads live here. */
const REPO_ROOT = fileURLToPath(new URL('../', import.meta.url));

/**
 * The QR decoder's WebAssembly module, relative to the repository root. esbuild bundles only the
 * JavaScript, and api-handler.ts reads this file from beside the handler (LAMBDA_TASK_ROOT).
 */
const ZXING_WASM = relative(REPO_ROOT, createRequire(import.meta.url).resolve('zxing-wasm/reader/zxing_reader.wasm'));

/**
 * Copies the decoder's .wasm file and sharp's packages for linux-arm64 into the API function's
 * bundle. The sharp install is prepared here, when CDK bundles, so a synthesis that skips bundling
 * never runs npm. The commands use host paths. That works because esbuild, a devDependency, lets
 * CDK bundle on the host instead of in Docker.
 */
const API_BUNDLE_HOOKS: ICommandHooks = {
  beforeBundling: () => [],
  beforeInstall: () => [],
  afterBundling: (inputDir, outputDir) => [
    copyCommand(join(inputDir, ZXING_WASM), join(outputDir, 'zxing_reader.wasm')),
    copyCommand(lambdaSharpModules(), join(outputDir, 'node_modules')),
  ],
};

/** Objects the functions may read, and the API function may write: the QR codes. */
const QR_OBJECTS = `${QR_KEY_PREFIX}*`;

/** Uploaded images, which the API function writes and its short links redirect to. */
const UPLOAD_OBJECTS = `${UPLOAD_KEY_PREFIX}*`;

/**
 * esbuild settings of both functions. The output is an ES module, and the banner defines
 * `require` for the CommonJS dependencies (nodemailer) that esbuild bundles into it. The AWS SDK is
 * bundled too, so the functions run the SDK versions pinned in package-lock.json, which the adapter
 * tests use, and not the version that the Lambda runtime includes.
 */
const BUNDLING: BundlingOptions = {
  format: OutputFormat.ESM,
  target: 'node22',
  minify: true,
  sourceMap: true,
  sourcesContent: false,
  mainFields: ['module', 'main'],
  banner:
    "import { createRequire as bannerCreateRequire } from 'node:module'; const require = bannerCreateRequire(import.meta.url);",
  externalModules: [],
  esbuildArgs: Object.fromEntries(Object.entries(BUNDLE_ALIASES).map(([from, to]) => [`--alias:${from}`, to])),
};

export interface FunctionsProps {
  config: StageConfig;
  bucket: IBucket;
  table: ITable;
  queue: IQueue;
  deadLetterQueue: IQueue;
  removalPolicy: RemovalPolicy;
}

/** The API function behind the HTTP API and the mailer function that consumes the queue. */
export class Functions extends Construct {
  readonly api: NodejsFunction;
  readonly mailer: NodejsFunction;

  constructor(scope: Construct, id: string, props: FunctionsProps) {
    super(scope, id);
    const { config, bucket, table } = props;

    this.api = this.createFunction('Api', {
      entry: 'src/runtime/lambda/api-handler.ts',
      // esbuild cannot bundle sharp's native binaries, so sharp stays an import, and
      // API_BUNDLE_HOOKS copies the package with its linux-arm64 binaries into node_modules/.
      externalModules: ['sharp'],
      commandHooks: API_BUNDLE_HOOKS,
      timeoutSeconds: config.api.timeoutSeconds,
      memoryMb: config.api.memoryMb,
      environment: apiEnvironment(config, bucket, table),
      config,
      removalPolicy: props.removalPolicy,
    });
    bucket.grantPut(this.api, QR_OBJECTS);
    bucket.grantRead(this.api, QR_OBJECTS);
    // Uploads are stored with one PutObject each (S3ObjectStore sends no multipart upload, tags
    // or retention), and short links redirect to GET URLs that the function's role signs.
    this.api.addToRolePolicy(
      new PolicyStatement({ actions: ['s3:PutObject'], resources: [bucket.arnForObjects(UPLOAD_OBJECTS)] }),
    );
    bucket.grantRead(this.api, UPLOAD_OBJECTS);
    acknowledgeObjectGrants(roleOf(this.api), bucket, QR_OBJECTS, true);
    acknowledge(
      roleOf(this.api),
      wildcardResource(roleOf(this.api), bucket.arnForObjects(UPLOAD_OBJECTS)),
      `Uploaded images are stored and read by a random id under ${UPLOAD_KEY_PREFIX}, so the grants name that prefix of this stage's bucket. The function may put objects there with s3:PutObject alone.`,
    );
    table.grantReadWriteData(this.api);

    this.mailer = this.createFunction('Mailer', {
      entry: 'src/runtime/lambda/mailer-handler.ts',
      timeoutSeconds: config.mailer.timeoutSeconds,
      memoryMb: config.mailer.memoryMb,
      environment: mailerEnvironment(config, bucket, table, props.deadLetterQueue),
      config,
      removalPolicy: props.removalPolicy,
    });
    // s3:GetObject* includes GetObjectVersion, which the mailer uses to read the version the event names.
    bucket.grantRead(this.mailer, QR_OBJECTS);
    acknowledgeObjectGrants(roleOf(this.mailer), bucket, QR_OBJECTS, false);
    table.grantReadWriteData(this.mailer);
    props.deadLetterQueue.grantSendMessages(this.mailer);
    this.grantMailTransport(config);

    this.mailer.addEventSource(
      new SqsEventSource(props.queue, {
        batchSize: config.mailer.batchSize,
        maxConcurrency: config.mailer.maxConcurrency,
        reportBatchItemFailures: true,
      }),
    );
  }

  private createFunction(
    id: string,
    options: {
      entry: string;
      /** Packages that esbuild leaves as imports, for `commandHooks` to put into the bundle. */
      externalModules?: string[];
      commandHooks?: ICommandHooks;
      timeoutSeconds: number;
      memoryMb: number;
      environment: Record<string, string>;
      config: StageConfig;
      removalPolicy: RemovalPolicy;
    },
  ): NodejsFunction {
    const logGroup = new LogGroup(this, `${id}LogGroup`, {
      retention: options.config.logging.retentionDays,
      removalPolicy: options.removalPolicy,
    });
    // Each function gets its own role instead of AWSLambdaBasicExecutionRole, whose log
    // permissions cover every log group in the account. This role may write to one log group.
    const role = new Role(this, `${id}Role`, { assumedBy: new ServicePrincipal('lambda.amazonaws.com') });
    logGroup.grantWrite(role);

    const fn = new NodejsFunction(this, id, {
      entry: `${REPO_ROOT}${options.entry}`,
      handler: 'handler',
      projectRoot: REPO_ROOT,
      depsLockFilePath: `${REPO_ROOT}package-lock.json`,
      runtime: Runtime.NODEJS_22_X,
      architecture: Architecture.ARM_64,
      timeout: Duration.seconds(options.timeoutSeconds),
      memorySize: options.memoryMb,
      role,
      logGroup,
      environment: { ...options.environment, NODE_OPTIONS: '--enable-source-maps' },
      bundling: {
        ...BUNDLING,
        externalModules: [...(BUNDLING.externalModules ?? []), ...(options.externalModules ?? [])],
        commandHooks: options.commandHooks,
      },
    });
    acknowledge(
      fn,
      'AwsSolutions-L1',
      'The handlers are built for and tested on Node.js 22 (esbuild target node22). Moving to a newer runtime is a deliberate upgrade.',
    );
    return fn;
  }

  private grantMailTransport(config: StageConfig): void {
    const mail = config.mail;
    if (mail.transport === 'smtp') {
      // Only the secret's name is known here. The mailer reads its value at run time.
      Secret.fromSecretNameV2(this, 'SmtpSecret', mail.smtp.secretName).grantRead(this.mailer);
      return;
    }

    const stack = Stack.of(this);
    const resources = [stack.formatArn({ service: 'ses', resource: 'identity', resourceName: mail.ses.identity })];
    if (mail.ses.configurationSet !== undefined) {
      resources.push(
        stack.formatArn({ service: 'ses', resource: 'configuration-set', resourceName: mail.ses.configurationSet }),
      );
    }
    this.mailer.addToRolePolicy(new PolicyStatement({ actions: ['ses:SendEmail', 'ses:SendRawEmail'], resources }));
  }
}

/**
 * Returns a command that copies a file or folder with Node.js, so that bundling runs the same way
 * in bash and in cmd.exe. Throws for a path with a character that either shell expands in quotes.
 */
function copyCommand(source: string, target: string): string {
  const script = "require('node:fs').cpSync(process.argv[1], process.argv[2], { recursive: true })";
  const parts = [process.execPath, '-e', script, source, target];
  const unsafe = parts.find((part) => /["$`%]/.test(part));
  if (unsafe !== undefined)
    throw new Error(
      `cannot quote ${JSON.stringify(unsafe)} for the shell: move the repository to a path without " $ \` or %`,
    );
  return parts.map((part) => `"${part}"`).join(' ');
}

function roleOf(fn: NodejsFunction): IRole {
  if (fn.role === undefined) throw new Error(`function ${fn.node.path} has no role`);
  return fn.role;
}

/** Environment of the API function, as src/runtime/lambda/config.ts `readApiConfig` reads it. */
function apiEnvironment(config: StageConfig, bucket: IBucket, table: ITable): Record<string, string> {
  return {
    QRMAIL_BUCKET: bucket.bucketName,
    QRMAIL_TABLE: table.tableName,
    QRMAIL_MAX_BODY_BYTES: String(config.api.maxBodyBytes),
    // Hashes only: a key cannot be recovered from its SHA-256.
    ...(config.api.apiKeyHashes.length === 0 ? {} : { QRMAIL_API_KEY_HASHES: config.api.apiKeyHashes.join(',') }),
    ...(config.publicUrl === undefined ? {} : { QRMAIL_PUBLIC_URL: config.publicUrl }),
    POWERTOOLS_SERVICE_NAME: 'qrmail-api',
    POWERTOOLS_LOG_LEVEL: config.logging.level,
  };
}

/**
 * Environment of the mailer function, as src/runtime/lambda/config.ts `readMailerConfig` reads it.
 * QRMAIL_SMTP_SECRET is the secret's name. No secret value is part of the environment.
 */
function mailerEnvironment(
  config: StageConfig,
  bucket: IBucket,
  table: ITable,
  deadLetterQueue: IQueue,
): Record<string, string> {
  const mail = config.mail;
  const transport: Record<string, string> =
    mail.transport === 'smtp'
      ? {
          QRMAIL_SMTP_HOST: mail.smtp.host,
          QRMAIL_SMTP_PORT: String(mail.smtp.port),
          QRMAIL_SMTP_TLS: mail.smtp.tls,
          QRMAIL_SMTP_SECRET: mail.smtp.secretName,
        }
      : mail.ses.configurationSet === undefined
        ? {}
        : { QRMAIL_SES_CONFIGURATION_SET: mail.ses.configurationSet };

  return {
    QRMAIL_BUCKET: bucket.bucketName,
    QRMAIL_TABLE: table.tableName,
    QRMAIL_MAIL_FROM: mail.from,
    QRMAIL_MAIL_TRANSPORT: mail.transport,
    ...transport,
    QRMAIL_DEAD_LETTER_QUEUE_URL: deadLetterQueue.queueUrl,
    // The last receive that SQS allows is the last attempt, so it ends as failed instead of
    // being moved to the dead-letter queue by SQS without a record of why.
    QRMAIL_DELIVERY_MAX_ATTEMPTS: String(config.mailer.maxReceiveCount),
    // An invocation cannot outlive the function timeout, so a delivery claim held this long
    // belongs to a finished or timed-out invocation when it expires.
    QRMAIL_DELIVERY_LEASE_SECONDS: String(config.mailer.timeoutSeconds),
    QRMAIL_SECRET_MAX_AGE_SECONDS: String(config.mailer.secretMaxAgeSeconds),
    POWERTOOLS_SERVICE_NAME: 'qrmail-mailer',
    POWERTOOLS_LOG_LEVEL: config.logging.level,
  };
}
