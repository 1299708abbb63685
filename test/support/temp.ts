import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Makes a fresh folder under the system's temporary folder; `remove` deletes it. */
export function makeTempDir(prefix = 'qrmail-test-'): { path: string; remove: () => void } {
  const path = mkdtempSync(join(tmpdir(), prefix));
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}

/** Writes a secrets file readable by its owner only, as the README instructs. */
export function writeSecretsFile(path: string, secrets: Record<string, unknown>): void {
  writeFileSync(path, JSON.stringify(secrets), { mode: 0o600 });
}
