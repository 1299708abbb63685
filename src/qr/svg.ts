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

  // Each run of dark modules in a row is one rectangle: move, right, down, left, close.
  let path = '';
  for (let y = 0; y < matrix.size; y++) {
    let x = 0;
    while (x < matrix.size) {
      if (matrix.modules[y * matrix.size + x] === 0) {
        x++;
        continue;
      }
      const start = x;
      while (x < matrix.size && matrix.modules[y * matrix.size + x] === 1) x++;
      path += `M${start + margin} ${y + margin}h${x - start}v1h-${x - start}z`;
    }
  }

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
