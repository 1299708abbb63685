/**
 * sharp for the API function: its npm packages installed for the Lambda platform (linux-arm64,
 * glibc) instead of the host's, as sharp's installation guide describes for AWS Lambda. esbuild
 * leaves `sharp` external, and the bundle hook copies the folder that `lambdaSharpModules` returns
 * to `node_modules/` beside the handler.
 *
 * The install runs `npm ci --os=linux --cpu=arm64 --libc=glibc` on a lock file cut from the
 * project's package-lock.json, so the versions and integrity hashes are those that the tests use.
 * It runs once per lock file and is kept under node_modules/.cache/, so that later syntheses only
 * copy it. It needs npm 10.3 or later, the first with `--libc` (Node.js 20.19 ships npm 10.8), and
 * the npm registry unless npm's own cache already contains the packages. It runs no Docker and no
 * binary of the host's platform.
 *
 * NOTE: synthesis has been run on linux-x64 hosts only, not on macOS or Windows.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Platform of the Lambda functions, in the terms of npm's `--os`, `--cpu` and `--libc` options. */
export const LAMBDA_PLATFORM = { os: 'linux', cpu: 'arm64', libc: 'glibc' } as const;

/** sharp's native packages for `LAMBDA_PLATFORM`: the Node.js addon and libvips. */
export const LAMBDA_SHARP_NATIVE_PACKAGES = ['@img/sharp-linux-arm64', '@img/sharp-libvips-linux-arm64'] as const;

const REPO_ROOT = fileURLToPath(new URL('../', import.meta.url));
const CACHE_ROOT = join(REPO_ROOT, 'node_modules', '.cache', 'qrmail-lambda-sharp');

/** One entry of `packages` in a package-lock.json of version 2 or 3. */
interface LockEntry {
  version?: string;
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  dev?: boolean;
  devOptional?: boolean;
  peer?: boolean;
  [field: string]: unknown;
}

interface LockFile {
  lockfileVersion: number;
  [field: string]: unknown;
  packages: Record<string, LockEntry>;
}

/** The package.json and package-lock.json that install sharp alone, and the name of their cache folder. */
export interface SharpInstallPlan {
  packageJson: Record<string, unknown>;
  lockFile: LockFile;
  /** Versions from the project's lock file, by package name, for every package that may be installed. */
  versions: Map<string, string>;
  cacheKey: string;
}

/**
 * Returns the `node_modules` folder of sharp installed for `LAMBDA_PLATFORM`, installing it into
 * the cache first when no earlier synthesis did. Throws when npm fails or installs other binaries.
 */
export function lambdaSharpModules(lockFilePath: string = join(REPO_ROOT, 'package-lock.json')): string {
  const plan = planSharpInstall(JSON.parse(readFileSync(lockFilePath, 'utf8')) as LockFile);
  const folder = join(CACHE_ROOT, plan.cacheKey);
  if (!existsSync(folder)) installIntoCache(plan, folder);
  return join(folder, 'node_modules');
}

/**
 * Cuts the lock file down to sharp and the packages it depends on, optional ones included, with
 * the versions, integrity hashes and platform fields of the project's lock file.
 */
export function planSharpInstall(projectLock: LockFile): SharpInstallPlan {
  if (projectLock.lockfileVersion < 2) {
    throw new Error(
      `package-lock.json has lockfileVersion ${projectLock.lockfileVersion}; run npm 7 or later to upgrade it`,
    );
  }
  const sharp = projectLock.packages['node_modules/sharp'];
  if (sharp?.version === undefined) throw new Error('package-lock.json has no node_modules/sharp; run npm install');

  const entries: Record<string, LockEntry> = {};
  const pending = ['node_modules/sharp'];
  while (pending.length > 0) {
    const path = pending.pop()!;
    if (path in entries) continue;
    // The root package depends on sharp directly, so no package below it is a dev or peer dependency.
    const { dev: _dev, devOptional: _devOptional, peer: _peer, ...entry } = projectLock.packages[path]!;
    entries[path] = entry;
    for (const name of Object.keys({ ...entry.dependencies, ...entry.optionalDependencies })) {
      const resolved = resolveInLock(projectLock, path, name);
      if (resolved !== undefined) pending.push(resolved);
    }
  }

  const root = { name: 'qrmail-lambda-sharp', version: '0.0.0', dependencies: { sharp: sharp.version } };
  const lockFile: LockFile = {
    name: root.name,
    version: root.version,
    lockfileVersion: 3,
    requires: true,
    packages: { '': root, ...sortedByKey(entries) },
  };
  const versions = new Map(Object.entries(entries).map(([path, entry]) => [packageNameOf(path), entry.version!]));
  const digest = createHash('sha256')
    .update(JSON.stringify({ platform: LAMBDA_PLATFORM, lockFile }))
    .digest('hex')
    .slice(0, 16);

  return {
    packageJson: { ...root, private: true },
    lockFile,
    versions,
    cacheKey: `sharp-${sharp.version}-${LAMBDA_PLATFORM.os}-${LAMBDA_PLATFORM.cpu}-${LAMBDA_PLATFORM.libc}-${digest}`,
  };
}

/** Returns the package name of a lock entry path, such as `@img/colour` for `node_modules/@img/colour`. */
function packageNameOf(path: string): string {
  const marker = 'node_modules/';
  return path.slice(path.lastIndexOf(marker) + marker.length);
}

/**
 * Finds the lock entry that `name` required from the package at `fromPath` resolves to, as
 * Node.js does: in the package's own node_modules, then in each enclosing one up to the root.
 */
function resolveInLock(lock: LockFile, fromPath: string, name: string): string | undefined {
  let base = fromPath;
  for (;;) {
    const candidate = `${base === '' ? '' : `${base}/`}node_modules/${name}`;
    if (candidate in lock.packages) return candidate;
    if (base === '') return undefined;
    const parent = base.lastIndexOf('/node_modules/');
    base = parent < 0 ? '' : base.slice(0, parent);
  }
}

/**
 * Installs the plan into a fresh folder beside `folder` and renames it into place, so that a
 * synthesis in another process never reads a half-written cache. When two processes install at
 * once, the first rename wins and the other discards its copy.
 */
function installIntoCache(plan: SharpInstallPlan, folder: string): void {
  mkdirSync(CACHE_ROOT, { recursive: true });
  const staging = mkdtempSync(join(CACHE_ROOT, `${plan.cacheKey}.tmp-`));
  try {
    // mkdtemp creates the folder readable by its owner only.
    chmodSync(staging, 0o755);
    writeFileSync(join(staging, 'package.json'), `${JSON.stringify(plan.packageJson, null, 2)}\n`);
    writeFileSync(join(staging, 'package-lock.json'), `${JSON.stringify(plan.lockFile, null, 2)}\n`);
    runNpmCi(staging);
    checkInstalledPackages(plan, join(staging, 'node_modules'));
    try {
      renameSync(staging, folder);
    } catch (error) {
      if (!existsSync(folder)) throw error;
    }
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
}

function runNpmCi(prefix: string): void {
  const args = [
    'ci',
    `--prefix=${prefix}`,
    `--os=${LAMBDA_PLATFORM.os}`,
    `--cpu=${LAMBDA_PLATFORM.cpu}`,
    `--libc=${LAMBDA_PLATFORM.libc}`,
    '--include=optional',
    // sharp 0.33 and later ship prebuilt binaries and need no install script.
    '--ignore-scripts',
    // Lambda does not accept symbolic links in a deployment package, and .bin contains only links.
    '--no-bin-links',
    '--prefer-offline',
    '--no-audit',
    '--no-fund',
  ];
  // The npm that runs `npm test` or `npx cdk` sets npm_execpath to its CLI script. Without it, npm from PATH runs.
  const npmCli = process.env.npm_execpath;
  const result =
    npmCli !== undefined && basename(npmCli) === 'npm-cli.js'
      ? spawnSync(process.execPath, [npmCli, ...args], { encoding: 'utf8' })
      : spawnSync(process.platform === 'win32' ? 'npm.cmd' : 'npm', args, {
          encoding: 'utf8',
          shell: process.platform === 'win32',
        });
  if (result.error !== undefined || result.status !== 0) {
    const output = `${result.stdout ?? ''}${result.stderr ?? ''}`.trim().split('\n').slice(-15).join('\n');
    throw new Error(
      `npm ci of sharp for ${LAMBDA_PLATFORM.os}-${LAMBDA_PLATFORM.cpu} (${LAMBDA_PLATFORM.libc}) failed in ${prefix}` +
        ` (${result.error?.message ?? `exit status ${result.status}`}). It needs npm 10.3 or later and the npm` +
        ` registry, or npm's cache containing the packages.\n${output}`,
    );
  }
}

/**
 * Checks that npm installed sharp's version from the lock file and exactly the native packages of
 * the Lambda platform. An npm that ignores `--os`, `--cpu` or `--libc` installs the host's instead.
 */
function checkInstalledPackages(plan: SharpInstallPlan, nodeModules: string): void {
  const scope = join(nodeModules, '@img');
  const installed = existsSync(scope) ? readdirSync(scope).map((name) => `@img/${name}`) : [];
  const native = installed.filter((name) => name.startsWith('@img/sharp-')).sort();
  if (JSON.stringify(native) !== JSON.stringify([...LAMBDA_SHARP_NATIVE_PACKAGES].sort())) {
    throw new Error(
      `npm installed the native packages ${native.join(', ') || 'none'} instead of ${LAMBDA_SHARP_NATIVE_PACKAGES.join(', ')}; ` +
        'npm 10.3 or later is needed for --os, --cpu and --libc',
    );
  }
  for (const name of ['sharp', ...LAMBDA_SHARP_NATIVE_PACKAGES]) {
    const { version } = JSON.parse(readFileSync(join(nodeModules, name, 'package.json'), 'utf8')) as {
      version: string;
    };
    if (version !== plan.versions.get(name)) {
      throw new Error(`npm installed ${name} ${version}, but package-lock.json pins ${plan.versions.get(name)}`);
    }
  }
}

function sortedByKey<T>(record: Record<string, T>): Record<string, T> {
  return Object.fromEntries(Object.entries(record).sort(([a], [b]) => a.localeCompare(b)));
}
