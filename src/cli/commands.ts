import { runBatch } from './batch.js';
import { ServiceError } from './client.js';
import { runMake } from './make.js';
import { UsageError } from './render-flags.js';
import { runSend } from './send.js';

/**
 * Runs `make`, `send` or `batch`; returns the exit code. A command-line mistake prints its message
 * and exits 2; an invalid --server exits 2 as well.
 */
export async function runClientCommand(command: 'make' | 'send' | 'batch', argv: string[]): Promise<number> {
  try {
    if (command === 'make') return await runMake(argv);
    if (command === 'send') return await runSend(argv);
    return await runBatch(argv);
  } catch (error) {
    const isArgumentError = (error as NodeJS.ErrnoException).code?.startsWith('ERR_PARSE_ARGS_') ?? false;
    if (
      error instanceof UsageError ||
      isArgumentError ||
      (error instanceof ServiceError && error.code === 'invalid_server')
    ) {
      process.stderr.write(`qrmail ${command}: ${(error as Error).message}\n`);
      return 2;
    }
    // The service rejected the request or could not be reached; its message gives the reason.
    if (error instanceof ServiceError) {
      process.stderr.write(`qrmail ${command}: ${error.message}\n`);
      return 1;
    }
    throw error;
  }
}
