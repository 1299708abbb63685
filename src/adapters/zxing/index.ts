import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

import { prepareZXingModule, readBarcodes } from 'zxing-wasm/reader';

import type { QrVerifier, RasterImage } from '../../core/ports.js';

/**
 * Decodes QR codes with zxing-wasm (ZXing-C++ compiled to WebAssembly), a decoder written apart
 * from qrmail's encoder. The .wasm file is read from disk: by default from node_modules, and in a
 * Lambda bundle from beside the handler. The library's default would fetch it from a CDN.
 */
export class ZxingVerifier implements QrVerifier {
  private readonly ready: Promise<unknown>;

  constructor(options: { wasmPath?: string } = {}) {
    const wasmPath = options.wasmPath ?? createRequire(import.meta.url).resolve('zxing-wasm/reader/zxing_reader.wasm');
    const wasm = readFileSync(wasmPath);
    this.ready = Promise.resolve(
      prepareZXingModule({
        overrides: { wasmBinary: wasm.buffer.slice(wasm.byteOffset, wasm.byteOffset + wasm.byteLength) as ArrayBuffer },
        fireImmediately: true,
      }),
    );
  }

  async decode(image: RasterImage): Promise<Uint8Array[]> {
    await this.ready;
    const results = await readBarcodes(image as unknown as Parameters<typeof readBarcodes>[0], {
      formats: ['QRCode'],
      // The image is drawn by qrmail at two pixels a module, so the fast path finds it.
      tryHarder: false,
      tryRotate: false,
      tryInvert: true,
      tryDownscale: false,
      maxNumberOfSymbols: 1,
    });
    return results.filter((result) => result.isValid).map((result) => result.bytes);
  }
}
