import {
  encodeQr,
  QrCapacityError,
  renderPng,
  renderPngAsync,
  renderSvg,
  type PngOptions,
  type QrSymbol,
  type Rgba,
} from '../qr/index.js';
import { RequestError } from './errors.js';
import type { QrVerifier, RasterImage } from './ports.js';
import { moduleSizeFor, type RenderOptions } from './render-options.js';

/** A code drawn in the formats asked for. */
export interface RenderedCode {
  symbol: QrSymbol;
  moduleSize: number;
  png: Buffer | undefined;
  svg: string | undefined;
}

/**
 * Encodes `text` and draws it. Throws a `RequestError` naming `field` when the text does not fit
 * a QR code at the chosen level, or when the size cannot hold two pixels per module.
 */
export function renderCode(
  text: string,
  options: RenderOptions,
  formats: { png: boolean; svg: boolean },
  field: string,
): RenderedCode {
  let symbol: QrSymbol;
  try {
    symbol = encodeQr(text, { level: options.ecc, eci: options.eci });
  } catch (error) {
    if (!(error instanceof QrCapacityError)) throw error;
    throw new RequestError(
      `${field}_too_long`,
      `"${field}" is ${error.bytes} bytes in UTF-8; a QR code at error correction level ${error.level} holds at ` +
        `most ${error.maxBytes} bytes. Shorten it, or choose a lower level ("ecc").`,
      { field },
    );
  }

  const moduleSize = moduleSizeFor(options, symbol.size);
  const colours = { dark: options.dark, light: options.light };
  return {
    symbol,
    moduleSize,
    png: formats.png ? renderPng(symbol, pngOptions(options, moduleSize)) : undefined,
    svg: formats.svg
      ? renderSvg(symbol, {
          margin: options.margin,
          pixels: moduleSize * (symbol.size + 2 * options.margin),
          ...colours,
        })
      : undefined,
  };
}

/** Draws the PNG of a rendered code as `renderCode` would, compressing it in libuv's thread pool. */
export function renderCodePngAsync(code: RenderedCode, options: RenderOptions): Promise<Buffer> {
  return renderPngAsync(code.symbol, pngOptions(options, code.moduleSize));
}

function pngOptions(options: RenderOptions, moduleSize: number): PngOptions {
  return { moduleSize, margin: options.margin, dark: options.dark, light: options.light };
}

/** A code that an independent decoder does not read back as its exact input. */
export class UnscannableCodeError extends RequestError {
  constructor(message: string) {
    super('unscannable_code', message, { status: 422 });
  }
}

/**
 * Decodes the code with an independent decoder and throws `UnscannableCodeError` unless it
 * returns exactly the UTF-8 bytes of `text`. The check draws the module matrix at one pixel a
 * module in the chosen colours, which costs far less than decoding the full-size image.
 */
export async function verifyCode(
  verifier: QrVerifier,
  symbol: QrSymbol,
  options: RenderOptions,
  text: string,
  raster: RasterImage = rasterize(symbol, options),
): Promise<void> {
  const expected = Buffer.from(text, 'utf8');
  const decoded = await verifier.decode(raster);
  if (decoded.length === 1 && Buffer.from(decoded[0]!).equals(expected)) return;

  const found = decoded.length === 0 ? 'no code' : `${decoded.length} code(s) with other content`;
  throw new UnscannableCodeError(
    `The code as drawn does not scan: an independent decoder found ${found}. ` +
      'Use darker "dark" and lighter "light" colours, a margin of at least 4, or a higher "ecc" level.',
  );
}

/** Pixels a module in the image the decoder checks when a logo is drawn over the code. */
export const VERIFY_MODULE_PIXELS = 2;

/**
 * Draws the matrix at one pixel a module in the chosen colours, composited over white. A drawn
 * image needs no more: the decoder reads it as a pure code, without searching or scaling.
 */
function rasterize(symbol: QrSymbol, options: RenderOptions): RasterImage {
  const { size, modules } = symbol;
  const margin = options.margin;
  const width = size + 2 * margin;
  const dark = overWhite(options.dark);
  const light = overWhite(options.light);
  // Pixels are written as 32-bit words in the machine's byte order, so each colour is packed
  // in that order once.
  const pixels = new Uint32Array(width * width);
  const darkWord = new Uint32Array(new Uint8Array(dark).buffer)[0]!;
  const lightWord = new Uint32Array(new Uint8Array(light).buffer)[0]!;
  pixels.fill(lightWord);
  for (let row = 0; row < size; row++) {
    const line = (row + margin) * width + margin;
    for (let column = 0; column < size; column++) {
      if (modules[row * size + column] === 1) pixels[line + column] = darkWord;
    }
  }
  return {
    width,
    height: width,
    data: new Uint8ClampedArray(pixels.buffer),
    drawn: { darkGrey: grey(dark), lightGrey: grey(light) },
  };
}

/** Luminance from 0 to 255 with the integer weights that ZXing uses for RGB. */
function grey([r, g, b]: readonly number[]): number {
  return (306 * r! + 601 * g! + 117 * b! + 512) >> 10;
}

/** Composites a colour over white, as a page or a screen shows a transparent pixel. */
function overWhite(colour: Rgba): [number, number, number, number] {
  const alpha = colour.a / 255;
  const blend = (channel: number) => Math.round(channel * alpha + 255 * (1 - alpha));
  return [blend(colour.r), blend(colour.g), blend(colour.b), 255];
}
