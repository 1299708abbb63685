import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { describe, expect, it } from 'vitest';

import { CONFIG_DIR, InfraConfigError, parseStageConfig } from '../../infra/config.js';

function stageFile(stage: string): Record<string, any> {
  return JSON.parse(readFileSync(join(CONFIG_DIR, `${stage}.json`), 'utf8')) as Record<string, any>;
}

describe('API keys in stage configuration', () => {
  it('prod requires a key', () => {
    const prod = parseStageConfig(stageFile('prod'), 'prod.json');

    expect(prod.api.requireApiKey).toBe(true);
    expect(prod.api.apiKeyHashes.length).toBeGreaterThan(0);
  });

  it('rejects a required key without hashes', () => {
    const raw = stageFile('prod');
    raw.api.apiKeyHashes = [];

    expect(() => parseStageConfig(raw, 'prod.json')).toThrow(InfraConfigError);
    expect(() => parseStageConfig(raw, 'prod.json')).toThrow(/apiKeyHashes/);
  });

  it('rejects a key instead of a hash', () => {
    const raw = stageFile('dev');
    raw.api.apiKeyHashes = ['qk_this-is-a-key-not-a-hash'];

    expect(() => parseStageConfig(raw, 'dev.json')).toThrow(/SHA-256/);
  });
});
