import { readFile, stat } from 'node:fs/promises';

import { ConfigurationError } from '../../core/errors.js';
import type { Logger, SecretOptions, SecretStore } from '../../core/ports.js';

/**
 * Secrets in a local JSON file: an object whose keys are secret names and whose values are
 * the secrets, either JSON values or strings. The file is read on each call, so an edit
 * (a rotated password) takes effect without a restart.
 */
export class FileSecretStore implements SecretStore {
  private readonly path: string;
  private readonly logger: Logger;
  private warnedAboutMode = false;

  constructor(options: { path: string; logger: Logger }) {
    this.path = options.path;
    this.logger = options.logger;
  }

  get(name: string, options?: SecretOptions): Promise<unknown>;
  get(name: string, options: SecretOptions & { raw: true }): Promise<string>;
  async get(name: string, options?: SecretOptions & { raw?: boolean }): Promise<unknown> {
    const secrets = await this.readFile();
    if (!Object.hasOwn(secrets, name)) {
      throw new ConfigurationError(
        `secret "${name}" not found in ${this.path}: add it as a key of the JSON object there`,
      );
    }

    const value = secrets[name];
    if (options?.raw) return typeof value === 'string' ? value : JSON.stringify(value);
    if (typeof value !== 'string') return value;
    // A string that contains JSON is parsed, as Secrets Manager's SecretString is.
    try {
      return JSON.parse(value) as unknown;
    } catch {
      return value;
    }
  }

  private async readFile(): Promise<Record<string, unknown>> {
    let text: string;
    try {
      text = await readFile(this.path, 'utf8');
    } catch (error) {
      throw new ConfigurationError(`cannot read the secrets file ${this.path}: ${(error as Error).message}`, {
        cause: error,
      });
    }
    await this.warnIfReadableByOthers();

    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      // The parser's message can quote the file's content, so it is not passed on.
      throw new ConfigurationError(`the secrets file ${this.path} is not valid JSON`);
    }
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
      throw new ConfigurationError(`the secrets file ${this.path} must hold a JSON object of named secrets`);
    }
    return parsed as Record<string, unknown>;
  }

  private async warnIfReadableByOthers(): Promise<void> {
    if (this.warnedAboutMode || process.platform === 'win32') return;
    const { mode } = await stat(this.path);
    if ((mode & 0o077) !== 0) {
      this.warnedAboutMode = true;
      this.logger.warn(
        { path: this.path, mode: (mode & 0o777).toString(8) },
        'secrets file is readable by other users; run chmod 600 on it',
      );
    }
  }
}
