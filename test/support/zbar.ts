import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { makeTempDir } from './temp.js';

/**
 * Decodes the one QR code in a PNG with zbarimg (Debian's zbar-tools, installed by .ci/run), a
 * second decoder independent of zxing. `-Sbinary` returns the symbol's bytes without converting
 * any character set.
 */
export function zbarDecode(png: Uint8Array): Buffer {
  const folder = makeTempDir('qrmail-zbar-');
  try {
    const path = join(folder.path, 'code.png');
    writeFileSync(path, png);
    return execFileSync('zbarimg', ['--raw', '--quiet', '-Sbinary', '-Sqrcode.enable', path], {
      stdio: ['ignore', 'pipe', 'ignore'],
    });
  } finally {
    folder.remove();
  }
}
