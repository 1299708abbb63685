import { BLACK, hexColour, WHITE, type Rgba } from './colour.js';
import type { QrMatrix } from './encode.js';

/** SVG output options. */
export interface SvgOptions {
  /** Quiet zone in modules on every side. Default 4. */
  margin?: number;
  /** Width and height attributes in pixels; the viewBox is always in modules. */
  pixels?: number;
  dark?: Rgba;
  /** Background colour; alpha 0 leaves the background out. */
  light?: Rgba;
}

/**
 * Renders a matrix as an SVG: one filled path for the dark modules, on a background rectangle
 * unless the background is transparent. The viewBox counts modules, so every edge lies on a
 * whole coordinate and `crispEdges` leaves no hairline gaps between modules at any size. Only
 * numbers and hex colours reach the output, never the encoded text.
 */
export function renderSvg(matrix: QrMatrix, options: SvgOptions = {}): string {
  const margin = options.margin ?? 4;
  const span = matrix.size + 2 * margin;
  const pixels = options.pixels ?? span * 10;
  const dark = options.dark ?? BLACK;
  const light = options.light ?? WHITE;

  const path = darkPath(matrix, margin);

  const background =
    light.a === 0 ? '' : `<rect width="${span}" height="${span}" fill="${hexColour(light)}"${opacity(light)}/>`;
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${span} ${span}" width="${pixels}" height="${pixels}" ` +
    `shape-rendering="crispEdges">${background}<path fill="${hexColour(dark)}"${opacity(dark)} d="${path}"/></svg>\n`
  );
}

function opacity(colour: Rgba): string {
  return colour.a === 255 ? '' : ` fill-opacity="${(colour.a / 255).toFixed(3)}"`;
}

/**
 * Scratch for the path data, reused across calls because allocating a buffer per call costs more
 * than filling it. It grows to the largest bound that a call has needed (about 330 KB for version
 * 40 with the default margin) and stays that size.
 */
let pathBuffer = Buffer.allocUnsafe(32 * 1024);

/**
 * Writes the path data of the dark modules: each run of dark modules in a row is one rectangle,
 * `M<x> <y>h<length>v1h-<length>z`. The path is written as ASCII bytes into one buffer, because
 * concatenating hundreds of short strings costs several times more.
 */
function darkPath(matrix: QrMatrix, margin: number): string {
  const { size, modules } = matrix;
  // A row has at most ceil(size / 2) runs, and a rectangle takes 9 characters plus four numbers.
  const maxRectangle = 9 + 2 * decimalDigits(size + margin) + 2 * decimalDigits(size);
  const maxLength = size * Math.ceil(size / 2) * maxRectangle;
  if (pathBuffer.length < maxLength) pathBuffer = Buffer.allocUnsafe(maxLength);
  const out = pathBuffer;

  let length = 0;
  for (let y = 0; y < size; y++) {
    const rowStart = y * size;
    let x = 0;
    while (x < size) {
      if (modules[rowStart + x] === 0) {
        x++;
        continue;
      }
      const start = x;
      while (x < size && modules[rowStart + x] === 1) x++;
      out[length++] = 0x4d; // M
      length = writeDecimal(out, length, start + margin);
      out[length++] = 0x20; // space
      length = writeDecimal(out, length, y + margin);
      out[length++] = 0x68; // h
      length = writeDecimal(out, length, x - start);
      out[length++] = 0x76; // v
      out[length++] = 0x31; // 1
      out[length++] = 0x68; // h
      out[length++] = 0x2d; // -
      length = writeDecimal(out, length, x - start);
      out[length++] = 0x7a; // z
    }
  }
  return out.toString('latin1', 0, length);
}

function decimalDigits(value: number): number {
  return String(value).length;
}

/** Writes `value`, a whole number of at least 0, in decimal at `at` and returns the index after it. */
function writeDecimal(out: Buffer, at: number, value: number): number {
  if (value < 10) {
    out[at] = 0x30 + value;
    return at + 1;
  }
  if (value < 100) {
    const tens = (value / 10) | 0;
    out[at] = 0x30 + tens;
    out[at + 1] = 0x30 + value - tens * 10;
    return at + 2;
  }
  const end = at + decimalDigits(value);
  for (let i = end - 1; i >= at; i--, value = (value / 10) | 0) out[i] = 0x30 + (value % 10);
  return end;
}
