import { describe, expect, it } from 'vitest';

import { encodeMatrix, renderSvg, type QrMatrix } from '../../src/qr/index.js';

/** Redraws the dark modules from the path's rectangles, each `M<x> <y>h<n>v1h-<n>z`. */
function modulesFromPath(svg: string, size: number, margin: number): Uint8Array {
  const path = /<path [^>]*d="([^"]*)"/.exec(svg)![1]!;
  const modules = new Uint8Array(size * size);
  let rectangles = 0;
  for (const match of path.matchAll(/M(\d+) (\d+)h(\d+)v1h-(\d+)z/g)) {
    const [, x, y, width, back] = match.map(Number);
    expect(back).toBe(width);
    for (let i = 0; i < width!; i++) modules[(y! - margin) * size + x! - margin + i] = 1;
    rectangles++;
  }
  // The rectangles are the whole path.
  expect(path).toBe(path.match(/M\d+ \d+h\d+v1h-\d+z/g)!.join(''));
  expect(rectangles).toBeGreaterThan(0);
  return modules;
}

function matrixOf(text: string): QrMatrix {
  return encodeMatrix(text, 'M');
}

describe('renderSvg path', () => {
  const cases = [
    { name: 'version 1', text: '1' },
    { name: 'version 6', text: `https://example.com/images/${'a'.repeat(67)}?i=123` },
    { name: 'version 40', text: 'x'.repeat(2331) },
  ];

  for (const { name, text } of cases) {
    for (const margin of [0, 4, 120]) {
      it(`redraws the modules of ${name} with margin ${margin}`, () => {
        const matrix = matrixOf(text);
        const svg = renderSvg(matrix, { margin });

        expect(modulesFromPath(svg, matrix.size, margin)).toEqual(matrix.modules);
      });
    }
  }

  it('renders the same after a larger symbol', () => {
    const small = matrixOf('https://example.com/');
    const before = renderSvg(small);
    renderSvg(matrixOf('x'.repeat(2331)), { margin: 1000 });

    expect(renderSvg(small)).toBe(before);
  });
});

describe('renderSvg document', () => {
  const matrix = matrixOf('https://example.com/');
  const span = matrix.size + 8;

  it('sizes the viewBox in modules', () => {
    const svg = renderSvg(matrix);

    expect(svg).toContain(`viewBox="0 0 ${span} ${span}" width="${span * 10}" height="${span * 10}"`);
    expect(svg).toContain('shape-rendering="crispEdges"');
    expect(svg.endsWith('</svg>\n')).toBe(true);
  });

  it('writes colours as hex with opacity', () => {
    const svg = renderSvg(matrix, {
      pixels: 300,
      dark: { r: 10, g: 171, b: 255, a: 128 },
      light: { r: 255, g: 250, b: 0, a: 255 },
    });

    expect(svg).toContain('width="300" height="300"');
    expect(svg).toContain(`<rect width="${span}" height="${span}" fill="#fffa00"/>`);
    expect(svg).toContain('<path fill="#0aabff" fill-opacity="0.502" d="M');
  });

  it('leaves out a transparent background', () => {
    const svg = renderSvg(matrix, { light: { r: 255, g: 255, b: 255, a: 0 } });

    expect(svg).not.toContain('<rect');
    expect(svg).toContain('<path fill="#000000" d="M');
  });
});
