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
    const drawn = image.drawn;
    const pixels = { width: image.width, height: image.height, data: image.data };
    const results = await readBarcodes(pixels as unknown as Parameters<typeof readBarcodes>[0], {
      formats: ['QRCode'],
      // Every image here is drawn by qrmail, upright and unscaled, so the fast path finds it.
      tryHarder: false,
      tryRotate: false,
      tryDownscale: false,
      maxNumberOfSymbols: 1,
      // A pure image is read from its module grid, without searching for finder patterns. The
      // decoder does not invert a pure image, so an inverted code (dark modules lighter than
      // light ones) takes the searching path.
      ...(drawn === undefined || drawn.darkGrey > drawn.lightGrey
        ? { tryInvert: true }
        : {
            isPure: true,
            tryInvert: false,
            // A fixed threshold at mid-grey costs less than the default local-average binarizer.
            // It reads the image right only when the two greys lie well apart on either side of it.
            binarizer: clearOfMidGrey(drawn.darkGrey, drawn.lightGrey) ? 'FixedThreshold' : 'LocalAverage',
          }),
    });
    return results.filter((result) => result.isValid).map((result) => result.bytes);
  }
}

/** Returns whether a threshold at 127 splits the greys: dark at most 100, light at least 155. */
function clearOfMidGrey(dark: number, light: number): boolean {
  return dark <= 100 && light >= 155;
}
