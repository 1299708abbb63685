import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

import { afterEach, describe, expect, it } from 'vitest';

import { runQrmail, runQrmailInTerminal } from '../support/cli.js';
import { decodeQrText } from '../support/qr-decoder.js';
import { makeTempDir } from '../support/temp.js';

const PNG_SIGNATURE = '89504e470d0a1a0a';

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0).reverse()) cleanup();
});

function tempDir(): string {
  const folder = makeTempDir();
  cleanups.push(folder.remove);
  return folder.path;
}

describe('qrmail make', () => {
  it('writes a scannable PNG file', async () => {
    const file = join(tempDir(), 'code.png');

    const result = await runQrmail(['make', 'https://example.com/a?b=1', '-o', file, '--ecc', 'H', '--size', '400']);

    expect(result.code, result.stderr).toBe(0);
    expect(await decodeQrText(readFileSync(file))).toBe('https://example.com/a?b=1');
  });

  it('takes SVG from the extension', async () => {
    const file = join(tempDir(), 'code.svg');

    const result = await runQrmail(['make', 'https://example.com/', '-o', file]);

    expect(result.code, result.stderr).toBe(0);
    expect(readFileSync(file, 'utf8')).toMatch(/^<svg /);
  });

  it('writes PNG to piped stdout', async () => {
    const result = await runQrmail(['make', 'https://example.com/piped']);

    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout.subarray(0, 8).toString('hex')).toBe(PNG_SIGNATURE);
    expect(await decodeQrText(result.stdout)).toBe('https://example.com/piped');
  });

  it('refuses PNG on a terminal', async () => {
    const result = await runQrmailInTerminal(['make', 'https://example.com/']);

    expect(result.code).toBe(2);
    expect(result.stderr).toContain('stdout is a terminal');
    expect(result.stdout.includes(Buffer.from(PNG_SIGNATURE, 'hex'))).toBe(false);
  });

  it('rejects a javascript URL', async () => {
    const file = join(tempDir(), 'code.png');

    const result = await runQrmail(['make', 'javascript:alert(1)', '-o', file]);

    expect(result.code).toBe(2);
    expect(result.stderr).toContain('must use http or https');
    expect(existsSync(file)).toBe(false);
  });

  it('names the invalid option', async () => {
    const result = await runQrmail(['make', 'https://example.com/', '--ecc', 'Z']);

    expect(result.code).toBe(2);
    expect(result.stderr).toContain('--ecc');
  });

  it('rejects a mismatched format', async () => {
    const result = await runQrmail(['make', 'https://example.com/', '-o', join(tempDir(), 'a.png'), '--format', 'svg']);

    expect(result.code).toBe(2);
    expect(result.stderr).toContain('does not match');
  });

  it('rejects an unknown extension', async () => {
    const result = await runQrmail(['make', 'https://example.com/', '-o', join(tempDir(), 'a.jpg')]);

    expect(result.code).toBe(2);
    expect(result.stderr).toContain('.png or .svg');
  });

  it('prints help', async () => {
    const result = await runQrmail(['make', '--help']);

    expect(result.code).toBe(0);
    expect(result.stdout.toString()).toContain('Usage: qrmail make');
  });
});

describe('qrmail', () => {
  it('prints the version', async () => {
    const manifest = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
      version: string;
    };

    const result = await runQrmail(['--version']);

    expect(result.stdout.toString().trim()).toBe(manifest.version);
  });

  it('lists the new commands', async () => {
    const result = await runQrmail(['--help']);
    const help = result.stdout.toString();

    expect(help).toContain('make <url>');
    expect(help).toContain('send <url>');
    expect(help).toContain('batch <file.csv>');
  });

  it('rejects an unknown flag', async () => {
    const result = await runQrmail(['send', 'https://example.com/', '--bogus']);

    expect(result.code).toBe(2);
    expect(result.stderr).toContain("Unknown option '--bogus'");
  });
});
