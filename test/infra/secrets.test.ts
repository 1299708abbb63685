import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { loadStageConfig, STAGE_NAMES } from '../../infra/config.js';
import type { PipelineStack } from '../../infra/pipeline.js';
import { makeTempDir, writeSecretsFile } from '../support/temp.js';
import {
  environmentOf,
  filesBelow,
  resourcesOfType,
  SYNTH_TIMEOUT_MS,
  synthesizePipeline,
  templateFiles,
  type SynthesizedApp,
  type TemplateJson,
} from './support.js';

/** A password that exists only where a secret value would. It must appear in no synthesized file. */
const FAKE_PASSWORD = 'fake-Pa55word-3c1e9d7b40a2';

/** Names of variables that would contain a credential, not the name of one. */
// QRMAIL_API_KEY_HASHES contains SHA-256 hashes, which reveal no key, so it is not a credential.
const CREDENTIAL_NAME = /PASS|PWD|TOKEN|CREDENTIAL|PRIVATE_?KEY|API_?KEY(?!_HASHES)/i;
/** Values that contain a credential. */
const CREDENTIAL_VALUE = /password|passwd|-----BEGIN [A-Z ]*PRIVATE KEY-----/i;

const SECRET_NAMES = STAGE_NAMES.map((stage) => {
  const mail = loadStageConfig(stage).mail;
  if (mail.transport !== 'smtp')
    throw new Error(`config/${stage}.json uses ${mail.transport}, these tests expect smtp`);
  return mail.smtp.secretName;
});

const ENVIRONMENT_OVERRIDES = ['QRMAIL_SECRETS_FILE', 'QRMAIL_SMTP_PASSWORD', 'SMTP_PASSWORD'] as const;
const savedEnvironment = new Map<string, string | undefined>();
const tempDir = makeTempDir('qrmail-infra-secrets-');
let synthesized: SynthesizedApp<PipelineStack>;

function templates(): { file: string; text: string }[] {
  return templateFiles(synthesized.assembly).map((file) => ({ file, text: readFileSync(file, 'utf8') }));
}

function functionEnvironments(): Record<string, string>[] {
  return templates().flatMap(({ text }) =>
    resourcesOfType(JSON.parse(text) as TemplateJson, 'AWS::Lambda::Function').map((fn) => environmentOf(fn)),
  );
}

beforeAll(() => {
  // GIVEN the SMTP login of every stage, with a known fake password, in the local runtime's
  // secrets file and in environment variables of the process that synthesizes
  const secretsFile = join(tempDir.path, 'secrets.json');
  writeSecretsFile(
    secretsFile,
    Object.fromEntries(SECRET_NAMES.map((name) => [name, { username: 'qrmail@example.com', password: FAKE_PASSWORD }])),
  );
  for (const name of ENVIRONMENT_OVERRIDES) savedEnvironment.set(name, process.env[name]);
  process.env.QRMAIL_SECRETS_FILE = secretsFile;
  process.env.QRMAIL_SMTP_PASSWORD = FAKE_PASSWORD;
  process.env.SMTP_PASSWORD = FAKE_PASSWORD;

  // WHEN the whole app, pipeline and stages, is synthesized
  synthesized = synthesizePipeline({ cloudFormationValidation: false });
}, SYNTH_TIMEOUT_MS);

afterAll(() => {
  for (const [name, value] of savedEnvironment) {
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
  synthesized?.remove();
  tempDir.remove();
});

// THEN
describe('secret values', () => {
  it('no template contains the password', () => {
    const leaking = templates().filter(({ text }) => text.includes(FAKE_PASSWORD));
    expect(leaking.map(({ file }) => file)).toEqual([]);
  });

  it('no assembly file contains the password', () => {
    const leaking = filesBelow(synthesized.assembly.directory).filter((file) =>
      readFileSync(file).includes(FAKE_PASSWORD),
    );
    expect(leaking).toEqual([]);
  });

  it('templates resolve no secret', () => {
    const resolving = templates().filter(({ text }) => text.includes('{{resolve:secretsmanager'));
    expect(resolving.map(({ file }) => file)).toEqual([]);
  });

  it('checks all four templates', () => {
    expect(templates()).toHaveLength(4);
  });
});

describe('function environments', () => {
  it('cover both functions of each stage', () => {
    expect(functionEnvironments().filter((environment) => 'QRMAIL_BUCKET' in environment)).toHaveLength(6);
  });

  it('no name suggests a credential', () => {
    const names = functionEnvironments().flatMap((environment) => Object.keys(environment));
    expect(names.filter((name) => CREDENTIAL_NAME.test(name))).toEqual([]);
  });

  it('no value looks like a credential', () => {
    const values = functionEnvironments().flatMap((environment) => Object.values(environment));
    expect(values.filter((value) => CREDENTIAL_VALUE.test(value) || value.includes(FAKE_PASSWORD))).toEqual([]);
  });

  it('secret variable is the name', () => {
    const secretVariables = functionEnvironments().flatMap((environment) =>
      environment.QRMAIL_SMTP_SECRET === undefined ? [] : [environment.QRMAIL_SMTP_SECRET],
    );
    expect(secretVariables.sort()).toEqual([...SECRET_NAMES].sort());
  });
});
