import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

import { describe, expect, it } from 'vitest';

import { LAMBDA_SHARP_NATIVE_PACKAGES, planSharpInstall } from '../../infra/lambda-sharp.js';

type Lock = Parameters<typeof planSharpInstall>[0];

const projectLock = JSON.parse(
  readFileSync(fileURLToPath(new URL('../../package-lock.json', import.meta.url)), 'utf8'),
) as Lock;

/** Builds a lock file in which sharp needs a nested semver that differs from the hoisted one. */
function nestedLock(): Lock {
  return {
    lockfileVersion: 3,
    packages: {
      '': { dependencies: { sharp: '1.0.0' } },
      'node_modules/sharp': { version: '1.0.0', dependencies: { semver: '^7.0.0', 'detect-libc': '^2.0.0' } },
      'node_modules/sharp/node_modules/semver': { version: '7.1.0', integrity: 'sha512-nested' },
      'node_modules/semver': { version: '6.3.1', integrity: 'sha512-hoisted', dev: true },
      'node_modules/detect-libc': { version: '2.1.2', integrity: 'sha512-libc', dev: true },
      'node_modules/unrelated': { version: '1.0.0' },
    },
  };
}

describe('planSharpInstall', () => {
  it('pins the lock file versions', () => {
    const plan = planSharpInstall(projectLock);
    const packages = plan.lockFile.packages;

    expect(plan.packageJson.dependencies).toEqual({ sharp: projectLock.packages['node_modules/sharp']!.version });
    for (const name of ['sharp', ...LAMBDA_SHARP_NATIVE_PACKAGES]) {
      expect(packages[`node_modules/${name}`], name).toEqual(
        expect.objectContaining({
          version: projectLock.packages[`node_modules/${name}`]!.version,
          integrity: projectLock.packages[`node_modules/${name}`]!.integrity,
        }),
      );
    }
  });

  it('keeps the platform fields', () => {
    const entry = planSharpInstall(projectLock).lockFile.packages['node_modules/@img/sharp-linux-arm64'];
    expect([entry?.os, entry?.cpu, entry?.libc]).toEqual([['linux'], ['arm64'], ['glibc']]);
  });

  it('takes only sharp and its dependencies', () => {
    const paths = Object.keys(planSharpInstall(projectLock).lockFile.packages);
    expect(
      paths.filter((path) => !/^node_modules\/(sharp|detect-libc|semver|@img\/.+|@emnapi\/.+|tslib)$/.test(path)),
    ).toEqual(['']);
  });

  it('resolves nested packages first', () => {
    const plan = planSharpInstall(nestedLock());
    expect(Object.keys(plan.lockFile.packages).sort()).toEqual([
      '',
      'node_modules/detect-libc',
      'node_modules/sharp',
      'node_modules/sharp/node_modules/semver',
    ]);
  });

  it('drops dev flags', () => {
    const entry = planSharpInstall(nestedLock()).lockFile.packages['node_modules/detect-libc'];
    expect(entry).toEqual({ version: '2.1.2', integrity: 'sha512-libc' });
  });

  it('cache key follows integrity', () => {
    const changed = nestedLock();
    changed.packages['node_modules/detect-libc']!.integrity = 'sha512-other';
    expect(planSharpInstall(changed).cacheKey).not.toBe(planSharpInstall(nestedLock()).cacheKey);
  });

  it('cache key names version and platform', () => {
    expect(planSharpInstall(nestedLock()).cacheKey).toMatch(/^sharp-1\.0\.0-linux-arm64-glibc-[0-9a-f]{16}$/);
  });

  it('rejects a lock without sharp', () => {
    expect(() => planSharpInstall({ lockfileVersion: 3, packages: { '': {} } })).toThrow(/node_modules\/sharp/);
  });

  it('rejects a version 1 lock', () => {
    expect(() => planSharpInstall({ lockfileVersion: 1, packages: {} })).toThrow(/lockfileVersion 1/);
  });
});
