import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

import Database from 'better-sqlite3';

import { readConfig } from '../../src/config.js';
import { startService, type RunningService } from '../../src/runtime/node/server.js';
import { captureLogger, type CapturedLogger } from './log-capture.js';
import type { TestSmtpServer } from './smtp-server.js';
import { makeTempDir, writeSecretsFile } from './temp.js';

/** The local service running in this process over a fresh data folder. */
export interface LocalService extends RunningService {
  dataDir: string;
  log: CapturedLogger;
  /** Opens the service's SQLite database on a second connection, as another process would. */
  openDatabase(): Database.Database;
  /** Posts a request and returns the status code and JSON body. */
  post(body: unknown): Promise<{ status: number; body: Record<string, unknown> }>;
  /** Stops the service and deletes its data folder. */
  dispose(): Promise<void>;
}

/** Environment that points the service at a test SMTP server, with fast retries. */
export function smtpEnvironment(smtp: TestSmtpServer, dataDir: string): Record<string, string> {
  const secretsFile = join(dataDir, 'secrets.json');
  writeSecretsFile(secretsFile, { 'qrmail/smtp': { username: smtp.username, password: smtp.password } });
  const caFile = join(dataDir, 'smtp-ca.pem');
  writeFileSync(caFile, smtp.ca);
  return {
    QRMAIL_SMTP_HOST: smtp.host,
    QRMAIL_SMTP_PORT: String(smtp.port),
    QRMAIL_SMTP_TLS: 'implicit',
    QRMAIL_SECRETS_FILE: secretsFile,
    QRMAIL_SMTP_CA_FILE: caFile,
    QRMAIL_RETRY_BASE_SECONDS: '0.05',
    QRMAIL_RETRY_MAX_SECONDS: '0.2',
    QRMAIL_QUEUE_POLL_SECONDS: '0.1',
  };
}

/**
 * Starts the service in this process with `env` as its whole environment, on port 0, with a
 * data folder of its own. `smtp` adds the settings and secret for a test SMTP server.
 */
export async function startLocalService(
  env: Record<string, string> = {},
  options: { smtp?: TestSmtpServer; dataDir?: string } = {},
): Promise<LocalService> {
  const temp = options.dataDir === undefined ? makeTempDir() : undefined;
  const dataDir = options.dataDir ?? temp!.path;
  const smtpEnv = options.smtp ? smtpEnvironment(options.smtp, dataDir) : {};
  const config = readConfig({ PORT: '0', QRMAIL_DATA_DIR: dataDir, QRMAIL_RATE_LIMIT: 'off', ...smtpEnv, ...env });
  const log = captureLogger();
  const service = await startService(config, log.logger);

  return {
    ...service,
    dataDir,
    log,
    openDatabase: () => {
      const db = new Database(join(dataDir, 'qrmail.db'));
      db.pragma('busy_timeout = 5000');
      return db;
    },
    async post(body) {
      const response = await fetch(`${service.url}/images/qrcode`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      return { status: response.status, body: (await response.json()) as Record<string, unknown> };
    },
    async dispose() {
      await service.stop();
      temp?.remove();
    },
  };
}
