import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

import { prepareZXingModule, readBarcodes } from 'zxing-wasm/reader';

const require = createRequire(import.meta.url);

let prepared: Promise<unknown> | undefined;

/** Loads zxing-wasm's reader from node_modules; the default would fetch the .wasm from a CDN. */
function prepare(): Promise<unknown> {
  prepared ??= Promise.resolve(
    prepareZXingModule({
      overrides: {
        wasmBinary: readFileSync(require.resolve('zxing-wasm/reader/zxing_reader.wasm')).buffer as ArrayBuffer,
      },
      fireImmediately: true,
    }),
  );
  return prepared;
}

/** Decodes every QR code in a PNG or JPEG with zxing-wasm, an independent decoder, as raw bytes. */
export async function decodeQrImage(image: Uint8Array): Promise<Uint8Array[]> {
  await prepare();
  const results = await readBarcodes(new Uint8Array(image), {
    formats: ['QRCode'],
    tryHarder: true,
    maxNumberOfSymbols: 4,
  });
  return results.filter((result) => result.isValid).map((result) => result.bytes);
}

/** Decodes the single QR code in an image and returns its content as UTF-8 text. */
export async function decodeQrText(image: Uint8Array): Promise<string> {
  const codes = await decodeQrImage(image);
  if (codes.length !== 1) throw new Error(`expected one QR code in the image, found ${codes.length}`);
  return new TextDecoder('utf-8', { fatal: true }).decode(codes[0]);
}
