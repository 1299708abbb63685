#!/usr/bin/env node
// Runs the TypeScript command line through tsx, which `npm ci` installs as a dependency.
import { register } from 'tsx/esm/api';

register();
const { runCli } = await import('../src/cli/index.ts');
try {
  const code = await runCli(process.argv.slice(2));
  // A negative code means the command keeps running (the server) and sets its own exit code.
  if (code >= 0) process.exitCode = code;
} catch (error) {
  // Configuration errors carry a message that names the fix; anything else shows its stack.
  process.stderr.write(`qrmail: ${error?.name === 'ConfigurationError' ? error.message : (error?.stack ?? error)}\n`);
  process.exitCode = 1;
}
