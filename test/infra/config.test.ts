import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { afterEach, describe, expect, it } from 'vitest';

import {
  CONFIG_DIR,
  InfraConfigError,
  loadPipelineConfig,
  loadStageConfig,
  parseStageName,
  senderAddress,
  STAGE_NAMES,
  type StageName,
} from '../../infra/config.js';
import { makeTempDir } from '../support/temp.js';

type Json = Record<string, any>;

const tempDirs: { remove: () => void }[] = [];

afterEach(() => {
  for (const dir of tempDirs.splice(0)) dir.remove();
});

function readConfigFile(name: string): Json {
  return JSON.parse(readFileSync(join(CONFIG_DIR, name), 'utf8')) as Json;
}

/** Writes `<stage>.json` with `change` applied to a copy of the repository's file, into a fresh folder. */
function writeStageConfig(stage: StageName, change: (config: Json) => void): string {
  const dir = makeTempDir('qrmail-infra-config-');
  tempDirs.push(dir);
  const config = readConfigFile(`${stage}.json`);
  change(config);
  writeFileSync(join(dir.path, `${stage}.json`), JSON.stringify(config));
  return dir.path;
}

/** Returns the message of the error that loading `<dir>/<stage>.json` throws. */
function loadError(stage: StageName, dir: string): string {
  try {
    loadStageConfig(stage, dir);
  } catch (error) {
    if (error instanceof InfraConfigError) return error.message;
    throw error;
  }
  throw new Error(`${stage}.json in ${dir} loaded without error`);
}

describe('config files', () => {
  it.each(STAGE_NAMES)('%s.json is valid', (stage) => {
    expect(loadStageConfig(stage).stage).toBe(stage);
  });

  it('pipeline.json is valid', () => {
    expect(loadPipelineConfig().branch).toBe(readConfigFile('pipeline.json').branch);
  });

  it('prod retains its data', () => {
    expect(loadStageConfig('prod').removalPolicy).toBe('retain');
  });
});

describe('invalid stage config', () => {
  it.each<[string, StageName, (config: Json) => void, RegExp]>([
    [
      'missing secret name',
      'dev',
      (config) => delete config.mail.smtp.secretName,
      /mail\.smtp\.secretName: is missing/,
    ],
    ['port above 65535', 'dev', (config) => (config.mail.smtp.port = 70000), /mail\.smtp\.port: /],
    ['port as a string', 'dev', (config) => (config.mail.smtp.port = '587'), /mail\.smtp\.port: /],
    ['port 25', 'staging', (config) => (config.mail.smtp.port = 25), /mail\.smtp\.port: must not be 25/],
    ['tls none', 'dev', (config) => (config.mail.smtp.tls = 'none'), /mail\.smtp\.tls: /],
    [
      'secret name like an ARN suffix',
      'dev',
      (config) => (config.mail.smtp.secretName = 'qrmail/smtp-AbC123'),
      /mail\.smtp\.secretName: /,
    ],
    ['sender without address', 'dev', (config) => (config.mail.from = 'QR codes'), /mail\.from: /],
    [
      'ses without identity',
      'dev',
      (config) => (config.mail = { transport: 'ses', from: config.mail.from, ses: {} }),
      /mail\.ses\.identity: is missing/,
    ],
    ['unknown transport', 'dev', (config) => (config.mail.transport = 'sendmail'), /mail\.transport: /],
    ['short account id', 'staging', (config) => (config.env.account = '1234'), /env\.account: must be a 12-digit/],
    ['http public URL', 'prod', (config) => (config.publicUrl = 'http://qr.example.com'), /publicUrl: /],
    ['batch size above 10', 'dev', (config) => (config.mailer.batchSize = 11), /mailer\.batchSize: /],
    ['max concurrency below 2', 'dev', (config) => (config.mailer.maxConcurrency = 1), /mailer\.maxConcurrency: /],
    ['api timeout above 30', 'dev', (config) => (config.api.timeoutSeconds = 31), /api\.timeoutSeconds: /],
    ['unsupported log retention', 'dev', (config) => (config.logging.retentionDays = 10), /logging\.retentionDays: /],
    [
      'prod that deletes data',
      'prod',
      (config) => (config.removalPolicy = 'destroy'),
      /removalPolicy: must be "retain" in prod/,
    ],
    ['unknown field', 'dev', (config) => (config.bucket.versioned = false), /bucket: unknown field\(s\) versioned/],
    ['stage of another file', 'dev', (config) => (config.stage = 'staging'), /stage: must be "dev"/],
  ])('rejects %s', (_case, stage, change, expected) => {
    const dir = writeStageConfig(stage, change);
    expect(loadError(stage, dir)).toMatch(expected);
  });

  it('names the file', () => {
    const dir = writeStageConfig('dev', (config) => delete config.mail.smtp.secretName);
    expect(loadError('dev', dir)).toContain(join(dir, 'dev.json'));
  });

  it('lists every invalid field', () => {
    const dir = writeStageConfig('dev', (config) => {
      delete config.mail.smtp.secretName;
      config.mail.smtp.port = 0;
    });
    expect(loadError('dev', dir).split('\n')).toHaveLength(3);
  });

  it('rejects a missing file', () => {
    const dir = makeTempDir('qrmail-infra-config-');
    tempDirs.push(dir);
    expect(loadError('dev', dir.path)).toMatch(/^cannot read .*dev\.json/);
  });

  it('rejects a file that is not JSON', () => {
    const dir = makeTempDir('qrmail-infra-config-');
    tempDirs.push(dir);
    writeFileSync(join(dir.path, 'dev.json'), '{ "stage": "dev", }');
    expect(loadError('dev', dir.path)).toMatch(/dev\.json is not valid JSON/);
  });
});

describe('invalid pipeline config', () => {
  it('rejects a bad connection ARN', () => {
    const dir = makeTempDir('qrmail-infra-config-');
    tempDirs.push(dir);
    writeFileSync(
      join(dir.path, 'pipeline.json'),
      JSON.stringify({ ...readConfigFile('pipeline.json'), connectionArn: 'arn:aws:s3:::bucket' }),
    );
    expect(() => loadPipelineConfig(dir.path)).toThrow(/connectionArn: must be the ARN of a CodeStar/);
  });

  it('rejects a repository without owner', () => {
    const dir = makeTempDir('qrmail-infra-config-');
    tempDirs.push(dir);
    writeFileSync(
      join(dir.path, 'pipeline.json'),
      JSON.stringify({ ...readConfigFile('pipeline.json'), repository: 'qrmail' }),
    );
    expect(() => loadPipelineConfig(dir.path)).toThrow(/repository: must be owner\/name/);
  });
});

describe('stage context', () => {
  it('accepts each stage name', () => {
    expect(STAGE_NAMES.map((name) => parseStageName(name))).toEqual(['dev', 'staging', 'prod']);
  });

  it('rejects an unknown stage', () => {
    expect(() => parseStageName('production')).toThrow(/must be one of dev, staging, prod, got "production"/);
  });
});

describe('senderAddress', () => {
  it('extracts the bracketed address', () => {
    expect(senderAddress('QR codes <qrmail@example.com>')).toBe('qrmail@example.com');
  });

  it('returns a bare address', () => {
    expect(senderAddress('qrmail@example.com')).toBe('qrmail@example.com');
  });
});
