import { PNG } from 'pngjs';
import { describe, expect, it } from 'vitest';

import { encodeMatrix, renderPng, renderPngAsync, type QrMatrix } from '../../src/qr/index.js';
import { decodeQrText } from '../support/qr-decoder.js';

const SAMPLE_URL = 'https://example.com/a%20b/c+d?x=1&y=%2B2#frag';

/** Reads the IHDR fields from the raw bytes. PNG requires IHDR as the first chunk, right after the signature. */
function readHeader(png: Buffer) {
  return {
    signature: png.subarray(0, 8).toString('hex'),
    length: png.readUInt32BE(8),
    type: png.subarray(12, 16).toString('latin1'),
    width: png.readUInt32BE(16),
    height: png.readUInt32BE(20),
    bitDepth: png[24],
    colourType: png[25],
    compression: png[26],
    filter: png[27],
    interlace: png[28],
  };
}

/** Decodes the PNG with pngjs and compares every pixel with the module it should show. */
function inspect(png: Buffer, matrix: QrMatrix, moduleSize: number, margin: number) {
  const image = PNG.sync.read(png);
  const colours = new Set<string>();
  let darkPixelsInQuietZone = 0;
  let mismatchedPixels = 0;

  for (let y = 0; y < image.height; y++) {
    for (let x = 0; x < image.width; x++) {
      const offset = (y * image.width + x) * 4;
      const rgba = image.data.subarray(offset, offset + 4).join(',');
      colours.add(rgba);

      const isDark = rgba !== '255,255,255,255';
      const moduleX = Math.floor(x / moduleSize) - margin;
      const moduleY = Math.floor(y / moduleSize) - margin;
      const inSymbol = moduleX >= 0 && moduleX < matrix.size && moduleY >= 0 && moduleY < matrix.size;

      if (!inSymbol) {
        if (isDark) darkPixelsInQuietZone++;
        continue;
      }
      const expectedDark = matrix.modules[moduleY * matrix.size + moduleX] === 1;
      if (isDark !== expectedDark) mismatchedPixels++;
    }
  }
  return { width: image.width, height: image.height, colours, darkPixelsInQuietZone, mismatchedPixels };
}

describe('renderPng header', () => {
  const matrix = encodeMatrix(SAMPLE_URL, 'M');
  const header = readHeader(renderPng(matrix));

  it('renderPng writes PNG signature', () => {
    expect(header.signature).toBe('89504e470d0a1a0a');
  });

  it('renderPng starts with IHDR', () => {
    expect(header.type).toBe('IHDR');
    expect(header.length).toBe(13);
  });

  it('renderPng IHDR bit depth 1', () => {
    expect(header.bitDepth).toBe(1);
  });

  it('renderPng IHDR colour type 0', () => {
    expect(header.colourType).toBe(0);
  });

  it('renderPng IHDR no interlace', () => {
    expect(header.compression).toBe(0);
    expect(header.filter).toBe(0);
    expect(header.interlace).toBe(0);
  });

  it('renderPng IHDR default width', () => {
    expect(header.width).toBe((matrix.size + 8) * 10);
    expect(header.height).toBe(header.width);
  });
});

describe('renderPng pixels', () => {
  const matrix = encodeMatrix(SAMPLE_URL, 'M');

  it('renderPng default is two colours', () => {
    const { colours } = inspect(renderPng(matrix), matrix, 10, 4);

    expect([...colours].sort()).toEqual(['0,0,0,255', '255,255,255,255']);
  });

  it('renderPng default quiet zone white', () => {
    const { darkPixelsInQuietZone } = inspect(renderPng(matrix), matrix, 10, 4);

    expect(darkPixelsInQuietZone).toBe(0);
  });

  it('renderPng default modules match matrix', () => {
    const { mismatchedPixels } = inspect(renderPng(matrix), matrix, 10, 4);

    expect(mismatchedPixels).toBe(0);
  });

  it('renderPng quiet zone is 4 modules', () => {
    const png = PNG.sync.read(renderPng(matrix));
    const firstDark = png.data.findIndex((value, index) => index % 4 === 0 && value === 0) / 4;

    // The top left finder pattern is the first dark module, so its corner is the first dark pixel.
    expect(firstDark % png.width).toBe(40);
    expect(Math.floor(firstDark / png.width)).toBe(40);
  });

  // Widths that are not a multiple of 8 leave padding bits at the end of each packed row.
  for (const moduleSize of [1, 3, 7, 16]) {
    it(`renderPng moduleSize ${moduleSize} honoured`, () => {
      const result = inspect(renderPng(matrix, { moduleSize }), matrix, moduleSize, 4);

      expect(result.width).toBe((matrix.size + 8) * moduleSize);
      expect(result.height).toBe(result.width);
      expect(result.colours.size).toBe(2);
      expect(result.darkPixelsInQuietZone).toBe(0);
      expect(result.mismatchedPixels).toBe(0);
    });
  }

  for (const margin of [2, 4, 6]) {
    it(`renderPng margin ${margin} honoured`, () => {
      const result = inspect(renderPng(matrix, { moduleSize: 5, margin }), matrix, 5, margin);

      expect(result.width).toBe((matrix.size + 2 * margin) * 5);
      expect(result.darkPixelsInQuietZone).toBe(0);
      expect(result.mismatchedPixels).toBe(0);
    });
  }

  it('renderPng same bytes after other layouts', () => {
    const first = renderPng(matrix);
    // Other sizes and module sizes reuse the image buffer in other line layouts.
    renderPng(encodeMatrix('x'.repeat(300), 'M'), { moduleSize: 3 });
    renderPng(matrix, { moduleSize: 7, margin: 1 });
    renderPng(encodeMatrix('1', 'H'));

    expect(renderPng(matrix).equals(first)).toBe(true);
    // The same layout again, with other modules drawn over the previous image.
    const other = encodeMatrix(SAMPLE_URL.replace('2B2', '2B3'), 'M');
    expect(other.size).toBe(matrix.size);
    expect(inspect(renderPng(other), other, 10, 4).mismatchedPixels).toBe(0);
  });

  it('renderPng large image outside the scratch', () => {
    // 177 + 8 modules at 16 pixels: 2,960 lines of 371 bytes, over the 1 MiB limit of the reused buffer.
    const large = encodeMatrix('x'.repeat(2331), 'M');
    const image = PNG.sync.read(renderPng(large, { moduleSize: 16 }));
    expect(image.width).toBe(2960);

    // Compares the red channel only, so that the 8.8 million pixels take a fraction of a second.
    let mismatchedPixels = 0;
    for (let y = 0; y < image.height; y++) {
      for (let x = 0; x < image.width; x++) {
        const moduleX = Math.floor(x / 16) - 4;
        const moduleY = Math.floor(y / 16) - 4;
        const inSymbol = moduleX >= 0 && moduleX < large.size && moduleY >= 0 && moduleY < large.size;
        const expectedDark = inSymbol && large.modules[moduleY * large.size + moduleX] === 1;
        if ((image.data[(y * image.width + x) * 4] === 0) !== expectedDark) mismatchedPixels++;
      }
    }
    expect(mismatchedPixels).toBe(0);
  });

  it('renderPng output decodes to URL', async () => {
    expect(await decodeQrText(renderPng(matrix))).toBe(SAMPLE_URL);
  });
});

describe('renderPng options', () => {
  const matrix = encodeMatrix('https://example.com', 'M');

  for (const moduleSize of [0, 1.5, -1, Number.NaN, Number.POSITIVE_INFINITY]) {
    it(`renderPng rejects moduleSize ${moduleSize}`, () => {
      expect(() => renderPng(matrix, { moduleSize })).toThrow(RangeError);
    });
  }

  for (const margin of [1.5, -1, Number.NaN]) {
    it(`renderPng rejects margin ${margin}`, () => {
      expect(() => renderPng(matrix, { margin })).toThrow(RangeError);
    });
  }

  it('renderPng 1000 px under 10 KB', () => {
    const moduleSize = Math.round(1000 / (matrix.size + 8));
    const png = renderPng(matrix, { moduleSize });
    const { width } = readHeader(png);

    expect(width).toBeGreaterThanOrEqual(900);
    expect(width).toBeLessThanOrEqual(1100);
    expect(png.length).toBeLessThan(10 * 1024);
  });
});

describe('renderPngAsync', () => {
  it('writes the same bytes as renderPng', async () => {
    const dark = { r: 20, g: 40, b: 90, a: 255 };
    const light = { r: 250, g: 250, b: 240, a: 0 };
    for (const options of [{}, { moduleSize: 3, margin: 1 }, { moduleSize: 7, margin: 0, dark, light }]) {
      const matrix = encodeMatrix(SAMPLE_URL, 'Q');

      const bytes = await renderPngAsync(matrix, options);

      expect(bytes.equals(renderPng(matrix, options))).toBe(true);
    }
  });

  it('keeps concurrent images apart', async () => {
    // Same size and layout, so every call draws into the buffer that the others reuse.
    const texts = Array.from(
      { length: 12 },
      (_, index) => `https://example.com/item/${String(index).padStart(2, '0')}`,
    );
    const matrices = texts.map((text) => encodeMatrix(text, 'M'));
    expect(new Set(matrices.map((matrix) => matrix.size)).size).toBe(1);

    const images = await Promise.all(matrices.map((matrix) => renderPngAsync(matrix, { moduleSize: 4 })));

    for (const [index, image] of images.entries()) {
      expect(await decodeQrText(image)).toBe(texts[index]);
    }
  });
});
