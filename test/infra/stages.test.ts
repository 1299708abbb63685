import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

import { Template } from 'aws-cdk-lib/assertions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { loadStageConfig, STAGE_NAMES, type StageConfig, type StageName } from '../../infra/config.js';
import { QR_KEY_SUFFIX } from '../../infra/queues.js';
import { addNagChecks } from '../../infra/nag.js';
import { QrmailStage } from '../../infra/stage.js';
import { newRequestId, QR_KEY_PREFIX, qrObjectKey } from '../../src/core/ids.js';
import { UPLOAD_KEY_PREFIX } from '../../src/core/upload.js';
import { readApiConfig, readMailerConfig } from '../../src/runtime/lambda/config.js';
import { httpApiEvent } from '../support/aws/events.js';
import {
  acknowledgements,
  environmentOf,
  logicalIdOf,
  resourceOf,
  resourcesOfType,
  statementsOfRole,
  synthesize,
  SYNTH_TIMEOUT_MS,
  synthesizeStage,
  unacknowledgedNagErrors,
  validationViolations,
  type SynthesizedApp,
  type TemplateJson,
} from './support.js';

interface StageUnderTest {
  synthesized: SynthesizedApp<QrmailStage>;
  stage: QrmailStage;
  config: StageConfig;
  template: TemplateJson;
}

const stages = new Map<StageName, StageUnderTest>();

const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** ELF machine number of 64-bit Arm (AArch64), the architecture of the Lambda functions. */
const EM_AARCH64 = 183;

/** The S3 actions of `bucket.grantRead`: reading objects and listing the bucket, no writes. */
const S3_READ_ACTIONS = ['s3:GetObject*', 's3:GetBucket*', 's3:List*'];

function stageUnderTest(name: StageName): StageUnderTest {
  const found = stages.get(name);
  if (found === undefined) throw new Error(`stage ${name} was not synthesized`);
  return found;
}

// Each stage is synthesized once, as `npx cdk synth -c stage=<name>` does, and shared by its
// tests. CDK's CloudFormation checks of these templates run in pipeline.test.ts.
beforeAll(() => {
  for (const name of STAGE_NAMES) {
    const synthesized = synthesizeStage(name, { cloudFormationValidation: false });
    const stage = synthesized.root;
    stages.set(name, {
      synthesized,
      stage,
      config: loadStageConfig(name),
      template: Template.fromStack(stage.stack).toJSON() as TemplateJson,
    });
  }
}, SYNTH_TIMEOUT_MS);

afterAll(() => {
  for (const { synthesized } of stages.values()) synthesized.remove();
});

describe.each(STAGE_NAMES)('stage %s', (name) => {
  const get = (): StageUnderTest => stageUnderTest(name);
  const bucket = () => resourceOf(get().template, get().stage.stack.storage.bucket);
  const queue = () => resourceOf(get().template, get().stage.stack.queues.queue);
  const deadLetterQueue = () => resourceOf(get().template, get().stage.stack.queues.deadLetterQueue);
  const table = () => resourceOf(get().template, get().stage.stack.storage.table);
  const apiFunction = () => resourceOf(get().template, get().stage.stack.functions.api);
  const mailerFunction = () => resourceOf(get().template, get().stage.stack.functions.mailer);
  const apiStatements = () => statementsOfRole(get().template, logicalIdOf(get().stage.stack.functions.api.role!));
  const mailerStatements = () =>
    statementsOfRole(get().template, logicalIdOf(get().stage.stack.functions.mailer.role!));

  describe('bucket', () => {
    it('blocks public access', () => {
      expect(bucket().Properties?.PublicAccessBlockConfiguration).toEqual({
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      });
    });

    it('keeps versions', () => {
      expect(bucket().Properties?.VersioningConfiguration).toEqual({ Status: 'Enabled' });
    });

    it('uses S3-managed encryption', () => {
      expect(bucket().Properties?.BucketEncryption.ServerSideEncryptionConfiguration).toEqual([
        { ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } },
      ]);
    });

    it('expires codes after configured days', () => {
      const rule = bucket().Properties?.LifecycleConfiguration.Rules[0];
      expect(rule).toMatchObject({
        Prefix: QR_KEY_PREFIX,
        Status: 'Enabled',
        ExpirationInDays: get().config.bucket.codeExpirationDays,
      });
    });

    it('expires noncurrent code versions', () => {
      const rule = bucket().Properties?.LifecycleConfiguration.Rules[0];
      expect(rule.NoncurrentVersionExpiration).toEqual({
        NoncurrentDays: get().config.bucket.noncurrentVersionExpirationDays,
      });
    });

    it('denies requests without TLS', () => {
      const policies = resourcesOfType(get().template, 'AWS::S3::BucketPolicy').filter(
        (policy) =>
          JSON.stringify(policy.Properties?.Bucket) ===
          JSON.stringify({ Ref: logicalIdOf(get().stage.stack.storage.bucket) }),
      );
      const statements = policies.flatMap((policy) => policy.Properties?.PolicyDocument.Statement as unknown[]);
      expect(statements).toContainEqual(
        expect.objectContaining({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
      );
    });

    it('writes server access logs', () => {
      expect(bucket().Properties?.LoggingConfiguration.DestinationBucketName).toEqual({
        Ref: logicalIdOf(get().stage.stack.storage.accessLogBucket),
      });
    });

    it('notifies the queue of new codes', () => {
      const [notifications] = resourcesOfType(get().template, 'Custom::S3BucketNotifications');
      expect(notifications?.Properties?.NotificationConfiguration.QueueConfigurations).toEqual([
        expect.objectContaining({
          Events: ['s3:ObjectCreated:*'],
          QueueArn: { 'Fn::GetAtt': [logicalIdOf(get().stage.stack.queues.queue), 'Arn'] },
        }),
      ]);
    });

    it('filters notifications by key prefix', () => {
      const [notifications] = resourcesOfType(get().template, 'Custom::S3BucketNotifications');
      const [configuration] = notifications?.Properties?.NotificationConfiguration.QueueConfigurations;
      expect(configuration.Filter.Key.FilterRules).toContainEqual({ Name: 'prefix', Value: 'qrcodes/' });
    });

    it('filters notifications by key suffix', () => {
      const [notifications] = resourcesOfType(get().template, 'Custom::S3BucketNotifications');
      const [configuration] = notifications?.Properties?.NotificationConfiguration.QueueConfigurations;
      expect(configuration.Filter.Key.FilterRules).toContainEqual({ Name: 'suffix', Value: '.png' });
    });
  });

  describe('queues', () => {
    it('queue uses SSE-SQS', () => {
      expect(queue().Properties?.SqsManagedSseEnabled).toBe(true);
    });

    it('dead-letter queue uses SSE-SQS', () => {
      expect(deadLetterQueue().Properties?.SqsManagedSseEnabled).toBe(true);
    });

    it('redrives after maxReceiveCount', () => {
      expect(queue().Properties?.RedrivePolicy).toEqual({
        deadLetterTargetArn: { 'Fn::GetAtt': [logicalIdOf(get().stage.stack.queues.deadLetterQueue), 'Arn'] },
        maxReceiveCount: get().config.mailer.maxReceiveCount,
      });
    });

    it('visibility covers six mailer timeouts', () => {
      const mailerTimeout = mailerFunction().Properties?.Timeout as number;
      expect(queue().Properties?.VisibilityTimeout).toBeGreaterThanOrEqual(6 * mailerTimeout);
    });

    it('queues deny requests without TLS', () => {
      const statements = resourcesOfType(get().template, 'AWS::SQS::QueuePolicy').flatMap(
        (policy) => policy.Properties?.PolicyDocument.Statement as Record<string, unknown>[],
      );
      const denials = statements.filter(
        (statement) =>
          statement.Effect === 'Deny' && JSON.stringify(statement.Condition).includes('aws:SecureTransport'),
      );
      expect(denials).toHaveLength(2);
    });
  });

  describe('event source', () => {
    const mapping = () => {
      const [found] = resourcesOfType(get().template, 'AWS::Lambda::EventSourceMapping');
      return found;
    };

    it('reports batch item failures', () => {
      expect(mapping()?.Properties?.FunctionResponseTypes).toEqual(['ReportBatchItemFailures']);
    });

    it('uses the configured batch size', () => {
      expect(mapping()?.Properties?.BatchSize).toBe(get().config.mailer.batchSize);
    });

    it('uses the configured max concurrency', () => {
      expect(mapping()?.Properties?.ScalingConfig).toEqual({ MaximumConcurrency: get().config.mailer.maxConcurrency });
    });

    it('feeds the mailer from the queue', () => {
      expect(mapping()?.Properties).toMatchObject({
        FunctionName: { Ref: logicalIdOf(get().stage.stack.functions.mailer) },
        EventSourceArn: { 'Fn::GetAtt': [logicalIdOf(get().stage.stack.queues.queue), 'Arn'] },
      });
    });
  });

  describe('functions', () => {
    it('api runs Node.js 22', () => {
      expect(apiFunction().Properties?.Runtime).toBe('nodejs22.x');
    });

    it('mailer runs Node.js 22', () => {
      expect(mailerFunction().Properties?.Runtime).toBe('nodejs22.x');
    });

    it('both run on arm64', () => {
      expect([apiFunction().Properties?.Architectures, mailerFunction().Properties?.Architectures]).toEqual([
        ['arm64'],
        ['arm64'],
      ]);
    });

    it('api has configured timeout', () => {
      expect(apiFunction().Properties?.Timeout).toBe(get().config.api.timeoutSeconds);
    });

    it('api has configured memory', () => {
      expect(apiFunction().Properties?.MemorySize).toBe(get().config.api.memoryMb);
    });

    it('mailer has configured timeout', () => {
      expect(mailerFunction().Properties?.Timeout).toBe(get().config.mailer.timeoutSeconds);
    });

    it('mailer has configured memory', () => {
      expect(mailerFunction().Properties?.MemorySize).toBe(get().config.mailer.memoryMb);
    });

    it('api environment passes readApiConfig', () => {
      const config = readApiConfig(environmentOf(apiFunction()));
      expect(config).toMatchObject({ maxBodyBytes: get().config.api.maxBodyBytes, publicUrl: get().config.publicUrl });
    });

    it('api environment names bucket and table', () => {
      const environment = apiFunction().Properties?.Environment.Variables;
      expect([environment.QRMAIL_BUCKET, environment.QRMAIL_TABLE]).toEqual([
        { Ref: logicalIdOf(get().stage.stack.storage.bucket) },
        { Ref: logicalIdOf(get().stage.stack.storage.table) },
      ]);
    });

    it('mailer environment passes readMailerConfig', () => {
      const mail = get().config.mail;
      if (mail.transport !== 'smtp') throw new Error('the stage configs use smtp');
      const config = readMailerConfig(environmentOf(mailerFunction()));
      expect(config.smtp).toMatchObject({
        host: mail.smtp.host,
        port: mail.smtp.port,
        tls: mail.smtp.tls,
        secretName: mail.smtp.secretName,
      });
    });

    it('mailer attempts equal maxReceiveCount', () => {
      const config = readMailerConfig(environmentOf(mailerFunction()));
      expect(config.maxAttempts).toBe(get().config.mailer.maxReceiveCount);
    });

    it('mailer environment names the dead-letter queue', () => {
      const environment = mailerFunction().Properties?.Environment.Variables;
      expect(environment.QRMAIL_DEAD_LETTER_QUEUE_URL).toEqual({
        Ref: logicalIdOf(get().stage.stack.queues.deadLetterQueue),
      });
    });

    it('both set the Powertools log level', () => {
      const levels = [apiFunction(), mailerFunction()].map((fn) => environmentOf(fn).POWERTOOLS_LOG_LEVEL);
      expect(levels).toEqual([get().config.logging.level, get().config.logging.level]);
    });
  });

  describe('table', () => {
    it('has partition key pk', () => {
      expect(table().Properties?.KeySchema).toEqual([{ AttributeName: 'pk', KeyType: 'HASH' }]);
    });

    it('types pk as string', () => {
      expect(table().Properties?.AttributeDefinitions).toEqual([{ AttributeName: 'pk', AttributeType: 'S' }]);
    });

    it('bills per request', () => {
      expect(table().Properties?.BillingMode).toBe('PAY_PER_REQUEST');
    });

    it('expires items by expiresAt', () => {
      expect(table().Properties?.TimeToLiveSpecification).toEqual({ AttributeName: 'expiresAt', Enabled: true });
    });

    it('enables point-in-time recovery', () => {
      expect(table().Properties?.PointInTimeRecoverySpecification).toEqual({ PointInTimeRecoveryEnabled: true });
    });

    it('uses AWS-managed encryption', () => {
      expect(table().Properties?.SSESpecification).toEqual({ SSEEnabled: true });
    });
  });

  describe('api', () => {
    const defaultStage = () => {
      const [found] = resourcesOfType(get().template, 'AWS::ApiGatewayV2::Stage');
      return found;
    };

    it('throttles the default stage', () => {
      expect(defaultStage()?.Properties?.DefaultRouteSettings).toEqual({
        ThrottlingRateLimit: get().config.api.throttlingRateLimit,
        ThrottlingBurstLimit: get().config.api.throttlingBurstLimit,
      });
    });

    it('logs access to a log group', () => {
      expect(defaultStage()?.Properties?.AccessLogSettings.DestinationArn).toEqual({
        'Fn::GetAtt': [expect.stringMatching(/^ApiAccessLogGroup/), 'Arn'],
      });
    });

    it('routes every request to the function', () => {
      const routes = resourcesOfType(get().template, 'AWS::ApiGatewayV2::Route').map(
        (route) => route.Properties?.RouteKey,
      );
      expect(routes).toEqual(['$default']);
    });

    it('outputs the service endpoints', () => {
      expect(Object.keys(get().template.Outputs ?? {}).sort()).toEqual([
        'ApiUrl',
        'BucketName',
        'DeadLetterQueueUrl',
        'QueueUrl',
        'TableName',
      ]);
    });
  });

  describe('permissions', () => {
    it('secret grant names only the secret', () => {
      const mail = get().config.mail;
      if (mail.transport !== 'smtp') throw new Error('the stage configs use smtp');
      const { account, region } = get().config.env;
      const resources = mailerStatements()
        .filter((statement) => statement.Action.some((action) => action.startsWith('secretsmanager:')))
        .flatMap((statement) => statement.Resource);
      expect(resources).toEqual([`arn:aws:secretsmanager:${region}:${account}:secret:${mail.smtp.secretName}-??????`]);
    });

    it('api cannot read the secret', () => {
      const actions = apiStatements().flatMap((statement) => statement.Action);
      expect(actions.filter((action) => action.startsWith('secretsmanager:'))).toEqual([]);
    });

    it('mailer cannot put objects', () => {
      const actions = mailerStatements().flatMap((statement) => statement.Action);
      expect(actions.filter((action) => action.startsWith('s3:Put') || action === 's3:*')).toEqual([]);
    });

    it('mailer reads object versions', () => {
      const actions = mailerStatements().flatMap((statement) => statement.Action);
      expect(actions).toContain('s3:GetObject*');
    });

    it('mailer sends only to dead letters', () => {
      const resources = mailerStatements()
        .filter((statement) => statement.Action.includes('sqs:SendMessage'))
        .flatMap((statement) => statement.Resource);
      expect(resources).toEqual([{ 'Fn::GetAtt': [logicalIdOf(get().stage.stack.queues.deadLetterQueue), 'Arn'] }]);
    });

    /** The ARN of the bucket's objects under `prefix`, as the template writes it. */
    const objectsArn = (prefix: string) => ({
      'Fn::Join': ['', [{ 'Fn::GetAtt': [logicalIdOf(get().stage.stack.storage.bucket), 'Arn'] }, `/${prefix}*`]],
    });
    /** Every S3 action of the API role that is not one of the read actions of `grantRead`. */
    const apiS3Writes = () =>
      apiStatements().flatMap((statement) =>
        statement.Action.filter((action) => action.startsWith('s3:') && !S3_READ_ACTIONS.includes(action)).flatMap(
          (action) => statement.Resource.map((resource) => ({ action, resource })),
        ),
      );

    it('api puts objects under qrcodes/ and uploads/', () => {
      const resources = apiStatements()
        .filter((statement) => statement.Action.includes('s3:PutObject'))
        .flatMap((statement) => statement.Resource);
      expect(resources).toEqual([objectsArn(QR_KEY_PREFIX), objectsArn(UPLOAD_KEY_PREFIX)]);
    });

    it('api writes uploads/ with PutObject only', () => {
      const actions = apiS3Writes()
        .filter((grant) => JSON.stringify(grant.resource) === JSON.stringify(objectsArn(UPLOAD_KEY_PREFIX)))
        .map((grant) => grant.action);
      expect(actions).toEqual(['s3:PutObject']);
    });

    it('api writes nothing beyond both prefixes', () => {
      const resources = new Set(apiS3Writes().map((grant) => JSON.stringify(grant.resource)));
      expect([...resources].sort()).toEqual(
        [objectsArn(QR_KEY_PREFIX), objectsArn(UPLOAD_KEY_PREFIX)].map((arn) => JSON.stringify(arn)).sort(),
      );
    });

    it('no statement allows every resource', () => {
      const statements = [...apiStatements(), ...mailerStatements()];
      expect(statements.filter((statement) => statement.Resource.includes('*'))).toEqual([]);
    });
  });

  describe('removal policy', () => {
    const expected = () => (get().config.removalPolicy === 'retain' ? 'Retain' : 'Delete');

    it('bucket follows the config', () => {
      expect(bucket().DeletionPolicy).toBe(expected());
    });

    it('table follows the config', () => {
      expect(table().DeletionPolicy).toBe(expected());
    });
  });

  describe('cdk-nag', () => {
    it('has no unacknowledged errors', () => {
      expect(unacknowledgedNagErrors(get().synthesized.assembly)).toEqual([]);
    });

    it('every acknowledgement has a reason', () => {
      const withoutReason = acknowledgements(get().synthesized.app).filter(
        (acknowledgement) => typeof acknowledgement.reason !== 'string' || acknowledgement.reason.trim().length < 20,
      );
      expect(withoutReason).toEqual([]);
    });
  });
});

describe('retention by stage', () => {
  it('prod retains its bucket', () => {
    const prod = stageUnderTest('prod');
    expect(resourceOf(prod.template, prod.stage.stack.storage.bucket).DeletionPolicy).toBe('Retain');
  });

  it('prod retains its table', () => {
    const prod = stageUnderTest('prod');
    expect(resourceOf(prod.template, prod.stage.stack.storage.table).DeletionPolicy).toBe('Retain');
  });

  it('dev deletes its bucket', () => {
    const dev = stageUnderTest('dev');
    expect(resourceOf(dev.template, dev.stage.stack.storage.bucket).DeletionPolicy).toBe('Delete');
  });

  it('dev deletes its table', () => {
    const dev = stageUnderTest('dev');
    expect(resourceOf(dev.template, dev.stage.stack.storage.table).DeletionPolicy).toBe('Delete');
  });
});

describe('function bundles', () => {
  /** Returns the asset folder that the function's Code points to, in the dev stage's cloud assembly. */
  function bundleDir(fn: 'api' | 'mailer'): string {
    const dev = stageUnderTest('dev');
    const code = resourceOf(dev.template, dev.stage.stack.functions[fn]).Properties?.Code as { S3Key: string };
    return join(dev.synthesized.assembly.directory, `asset.${code.S3Key.replace(/\.zip$/, '')}`);
  }

  /**
   * Runs `body` after importing the bundle as `m`, in a fresh Node.js process with the function's
   * environment, as Lambda would. `args` are `process.argv[1]` onwards.
   */
  function runWithBundle(
    fn: 'api' | 'mailer',
    body: string,
    args: string[] = [],
  ): { status: number | null; stdout: string; stderr: string } {
    const dev = stageUnderTest('dev');
    const dir = bundleDir(fn);
    const environment = environmentOf(resourceOf(dev.template, dev.stage.stack.functions[fn]));
    const script = `const m = await import(${JSON.stringify(pathToFileURL(join(dir, 'index.mjs')).href)}); ${body}`;
    const result = spawnSync(process.execPath, ['--input-type=module', '-e', script, ...args], {
      env: { PATH: process.env.PATH, ...environment, AWS_REGION: dev.config.env.region, LAMBDA_TASK_ROOT: dir },
      encoding: 'utf8',
      timeout: 30_000,
    });
    return { status: result.status, stdout: result.stdout, stderr: result.stderr };
  }

  function importBundle(fn: 'api' | 'mailer'): { status: number | null; stdout: string; stderr: string } {
    return runWithBundle(fn, 'console.log(typeof m.handler);');
  }

  /** Returns the paths below `dir`, relative to it, of the entries that are symbolic links. */
  function symbolicLinksBelow(dir: string): string[] {
    return readdirSync(dir, { withFileTypes: true, recursive: true })
      .filter((entry) => entry.isSymbolicLink())
      .map((entry) => relative(dir, join(entry.parentPath, entry.name)));
  }

  /** Reads the machine field (e_machine) of a little-endian ELF file's header. */
  function elfMachine(file: string): number {
    const header = readFileSync(file).subarray(0, 20);
    if (header.subarray(0, 4).toString('latin1') !== '\x7fELF') throw new Error(`${file} is not an ELF file`);
    return header.readUInt16LE(18);
  }

  it('api bundle holds the decoder wasm', () => {
    expect(existsSync(join(bundleDir('api'), 'zxing_reader.wasm'))).toBe(true);
  });

  it('api bundle loads in Node.js', () => {
    const result = importBundle('api');
    expect({ status: result.status, stdout: result.stdout }, result.stderr).toEqual({
      status: 0,
      stdout: 'function\n',
    });
  });

  it('mailer bundle loads in Node.js', () => {
    const result = importBundle('mailer');
    expect({ status: result.status, stdout: result.stdout }, result.stderr).toEqual({
      status: 0,
      stdout: 'function\n',
    });
  });

  for (const fn of ['api', 'mailer'] as const) {
    it(`${fn} bundle takes credentials from environment variables only`, () => {
      const code = readFileSync(join(bundleDir(fn), 'index.mjs'), 'utf8');

      expect(code).toContain('Unable to find environment variable credentials.');
      // The SDK's default chain logs this before it tries SSO; the alias leaves the chain out.
      expect(code).not.toContain('defaultProvider::fromSSO');
    });
  }

  it('mailer bundle leaves zod out', () => {
    expect(readFileSync(join(bundleDir('mailer'), 'index.mjs'), 'utf8')).not.toContain('$ZodType');
  });

  // This test reads the asset that synthesis bundled, npm install and copy included.
  it('api bundle contains linux-arm64 sharp', () => {
    const modules = join(bundleDir('api'), 'node_modules');
    const lock = JSON.parse(readFileSync(join(REPO_ROOT, 'package-lock.json'), 'utf8')) as {
      packages: Record<string, { version: string }>;
    };
    const versionOf = (name: string) =>
      (JSON.parse(readFileSync(join(modules, name, 'package.json'), 'utf8')) as { version: string }).version;
    const addonDir = join(modules, '@img', 'sharp-linux-arm64', 'lib');
    const libvipsDir = join(modules, '@img', 'sharp-libvips-linux-arm64', 'lib');
    const addon = readdirSync(addonDir).find((name) => name.endsWith('.node'));
    const libvips = readdirSync(libvipsDir).find((name) => name.startsWith('libvips-cpp.so'));

    expect(versionOf('sharp')).toBe(lock.packages['node_modules/sharp']!.version);
    expect(readdirSync(join(modules, '@img')).filter((name) => name.startsWith('sharp-'))).toEqual([
      'sharp-libvips-linux-arm64',
      'sharp-linux-arm64',
    ]);
    expect(versionOf('@img/sharp-linux-arm64')).toBe(lock.packages['node_modules/@img/sharp-linux-arm64']!.version);
    expect(versionOf('@img/sharp-libvips-linux-arm64')).toBe(
      lock.packages['node_modules/@img/sharp-libvips-linux-arm64']!.version,
    );
    expect(elfMachine(join(addonDir, addon!))).toBe(EM_AARCH64);
    expect(elfMachine(join(libvipsDir, libvips!))).toBe(EM_AARCH64);
  });

  it('api bundle imports sharp at run time', () => {
    const code = readFileSync(join(bundleDir('api'), 'index.mjs'), 'utf8');
    expect(code).toContain('import("sharp")');
    expect(code).not.toContain('@img/sharp-');
  });

  it('api bundle has no symbolic links', () => {
    expect(symbolicLinksBelow(bundleDir('api'))).toEqual([]);
  });

  it('mailer bundle has no node_modules', () => {
    expect(existsSync(join(bundleDir('mailer'), 'node_modules'))).toBe(false);
  });

  // The bundle's sharp binaries load on linux-arm64 only. Elsewhere the import fails as it would
  // in a function whose sharp is missing, and the handler must still respond.
  it.skipIf(process.platform === 'linux' && process.arch === 'arm64')(
    'api bundle rejects uploads without usable sharp',
    () => {
      const event = httpApiEvent({ method: 'POST', path: '/images', headers: { 'content-type': 'image/png' } });
      const result = runWithBundle(
        'api',
        "const r = await m.handler(JSON.parse(process.argv[1]), {}); console.log('RESULT ' + JSON.stringify(r));",
        [JSON.stringify({ ...event, body: Buffer.from('an image').toString('base64'), isBase64Encoded: true })],
      );
      const line = result.stdout.split('\n').find((candidate) => candidate.startsWith('RESULT '));
      const response = JSON.parse(line?.slice('RESULT '.length) ?? '{}') as { statusCode?: number; body?: string };

      expect(result.status, result.stderr).toBe(0);
      expect(response.statusCode).toBe(400);
      expect(response.body).toContain('"uploads_not_supported"');
      expect(result.stdout + result.stderr).toContain('sharp failed to load');
    },
  );
});

describe('notification filter', () => {
  it('matches generated object keys', () => {
    const key = qrObjectKey(newRequestId());
    expect([key.startsWith(QR_KEY_PREFIX), key.endsWith(QR_KEY_SUFFIX)]).toEqual([true, true]);
  });
});

describe('ses transport', () => {
  const IDENTITY = 'example.com';
  const CONFIGURATION_SET = 'qrmail-dev';
  let synthesized: SynthesizedApp<QrmailStage>;
  let template: TemplateJson;

  // GIVEN the dev configuration switched to SES
  beforeAll(() => {
    const dev = loadStageConfig('dev');
    const config: StageConfig = {
      ...dev,
      mail: { transport: 'ses', from: dev.mail.from, ses: { identity: IDENTITY, configurationSet: CONFIGURATION_SET } },
    };
    // WHEN the stage is synthesized
    synthesized = synthesize((app) => {
      const stage = new QrmailStage(app, 'Dev', { config });
      addNagChecks(app);
      return stage;
    });
    template = Template.fromStack(synthesized.root.stack).toJSON() as TemplateJson;
  }, SYNTH_TIMEOUT_MS);

  afterAll(() => synthesized?.remove());

  const mailerStatements = () => statementsOfRole(template, logicalIdOf(synthesized.root.stack.functions.mailer.role!));
  const mailerEnvironment = () => environmentOf(resourceOf(template, synthesized.root.stack.functions.mailer));

  // THEN
  it('mailer sends as the identity only', () => {
    const resources = mailerStatements()
      .filter((statement) => statement.Action.includes('ses:SendEmail'))
      .flatMap((statement) => statement.Resource);
    expect(resources.sort()).toEqual([
      `arn:aws:ses:eu-west-1:111111111111:configuration-set/${CONFIGURATION_SET}`,
      `arn:aws:ses:eu-west-1:111111111111:identity/${IDENTITY}`,
    ]);
  });

  it('mailer may send raw email', () => {
    const actions = mailerStatements().flatMap((statement) => statement.Action);
    expect(actions).toContain('ses:SendRawEmail');
  });

  it('mailer gets no secret grant', () => {
    const actions = mailerStatements().flatMap((statement) => statement.Action);
    expect(actions.filter((action) => action.startsWith('secretsmanager:'))).toEqual([]);
  });

  it('environment selects ses', () => {
    expect(readMailerConfig(mailerEnvironment())).toMatchObject({ transport: 'ses', smtp: undefined });
  });

  it('environment names the configuration set', () => {
    expect(readMailerConfig(mailerEnvironment()).sesConfigurationSet).toBe(CONFIGURATION_SET);
  });

  it('environment has no SMTP settings', () => {
    expect(Object.keys(mailerEnvironment()).filter((name) => name.startsWith('QRMAIL_SMTP_'))).toEqual([]);
  });

  it('has no unacknowledged nag errors', () => {
    expect(unacknowledgedNagErrors(synthesized.assembly)).toEqual([]);
  });

  it('passes CloudFormation validation', () => {
    const findings = validationViolations(synthesized.assembly).filter(
      (violation) => violation.pluginName !== 'AwsSolutions',
    );
    expect(findings).toEqual([]);
  });
});
