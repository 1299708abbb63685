import sharp from 'sharp';

import { RequestError } from '../../core/errors.js';
import type { LogoRenderer, RasterImage } from '../../core/ports.js';
import type { RenderOptions } from '../../core/render-options.js';
import { hexColour, renderPng, type QrSymbol } from '../../qr/index.js';

/**
 * Draws logos into codes with sharp (libvips), which reads PNG, JPEG and WebP by their bytes and
 * composites them. A separate adapter, so the core and the Lambda bundles need no native library.
 */
export class SharpLogoRenderer implements LogoRenderer {
  parse = parseLogo;
  png = pngWithLogo;
  raster = rasterWithLogo;
  svg = svgWithLogo;
}

/** Largest logo accepted, in bytes once decoded from base64. */
export const MAX_LOGO_BYTES = 64 * 1024;
/** Largest logo image, in pixels per side, before it is scaled down. */
const MAX_LOGO_PIXELS = 2048;
/**
 * Share of the symbol's width that the logo box (logo plus a light border) may cover. At 22% the
 * box hides about 5% of the modules, well inside the 30% that level H restores.
 */
export const LOGO_BOX_SHARE = 0.22;

const DATA_URL = /^data:image\/(png|jpeg|webp);base64,([A-Za-z0-9+/]+={0,2})$/;

/**
 * Decodes a logo sent as a data URL (PNG, JPEG or WebP) and re-encodes it as a PNG without
 * metadata. The format is checked from the bytes by libvips (sharp), not from the label.
 */
async function parseLogo(dataUrl: string): Promise<Buffer> {
  const match = DATA_URL.exec(dataUrl);
  if (!match) {
    throw logoError('"logo" must be a data URL such as data:image/png;base64,... holding a PNG, JPEG or WebP image.');
  }
  const bytes = Buffer.from(match[2]!, 'base64');
  if (bytes.length > MAX_LOGO_BYTES) {
    throw logoError(`"logo" is ${bytes.length} bytes; it may be at most ${MAX_LOGO_BYTES} bytes.`);
  }

  let metadata: Awaited<ReturnType<ReturnType<typeof sharp>['metadata']>>;
  try {
    metadata = await sharp(bytes, { limitInputPixels: MAX_LOGO_PIXELS * MAX_LOGO_PIXELS }).metadata();
  } catch {
    throw logoError('"logo" is not a readable image: send a PNG, JPEG or WebP file.');
  }
  if (metadata.format !== match[1] && !(metadata.format === 'jpeg' && match[1] === 'jpeg')) {
    throw logoError(`"logo" is labelled image/${match[1]} but its bytes are ${metadata.format ?? 'not an image'}.`);
  }
  if ((metadata.width ?? 0) > MAX_LOGO_PIXELS || (metadata.height ?? 0) > MAX_LOGO_PIXELS) {
    throw logoError(`"logo" is ${metadata.width}x${metadata.height} pixels; at most ${MAX_LOGO_PIXELS} per side.`);
  }
  // Re-encoding drops EXIF and every other chunk the original carried.
  return sharp(bytes).rotate().png().toBuffer();
}

/** Draws the code as a PNG with the logo centred on a light box; returns the PNG. */
async function pngWithLogo(
  symbol: QrSymbol,
  options: RenderOptions,
  moduleSize: number,
  logo: Buffer,
): Promise<Buffer> {
  const base = renderPng(symbol, { moduleSize, margin: options.margin, dark: options.dark, light: options.light });
  const layout = logoLayout(symbol.size, options.margin, moduleSize);
  const fitted = await sharp(logo)
    .resize(layout.logo, layout.logo, { fit: 'contain', background: { r: 0, g: 0, b: 0, alpha: 0 } })
    .png()
    .toBuffer();
  const box = await sharp({
    create: { width: layout.box, height: layout.box, channels: 4, background: lightBackground(options) },
  })
    .png()
    .toBuffer();

  return sharp(base)
    .composite([
      { input: box, left: layout.boxOffset, top: layout.boxOffset },
      { input: fitted, left: layout.logoOffset, top: layout.logoOffset },
    ])
    .png({ compressionLevel: 9 })
    .toBuffer();
}

/** Draws the code with its logo at `moduleSize` and returns it as raw RGBA, for the decoder check. */
async function rasterWithLogo(
  symbol: QrSymbol,
  options: RenderOptions,
  moduleSize: number,
  logo: Buffer,
): Promise<RasterImage> {
  const png = await pngWithLogo(symbol, options, moduleSize, logo);
  const { data, info } = await sharp(png)
    .flatten({ background: '#ffffff' })
    .ensureAlpha()
    .raw()
    .toBuffer({ resolveWithObject: true });
  return {
    width: info.width,
    height: info.height,
    data: new Uint8ClampedArray(data.buffer, data.byteOffset, data.length),
  };
}

/** Adds the logo to an SVG as an embedded PNG, on a light box, just before the closing tag. */
async function svgWithLogo(svg: string, symbol: QrSymbol, options: RenderOptions, logo: Buffer): Promise<string> {
  // The SVG counts in modules; one module is drawn at 8 logo pixels so the logo stays sharp.
  const layout = logoLayout(symbol.size, options.margin, 1);
  const boxModules = layout.box;
  const boxOffset = layout.boxOffset;
  const logoModules = layout.logo;
  const fitted = await sharp(logo)
    .resize(logoModules * 8, logoModules * 8, { fit: 'contain', background: { r: 0, g: 0, b: 0, alpha: 0 } })
    .png()
    .toBuffer();
  const light = options.light.a === 0 ? '#ffffff' : hexColour(options.light);
  const overlay =
    `<rect x="${boxOffset}" y="${boxOffset}" width="${boxModules}" height="${boxModules}" fill="${light}"/>` +
    `<image x="${layout.logoOffset}" y="${layout.logoOffset}" width="${logoModules}" height="${logoModules}" ` +
    `href="data:image/png;base64,${fitted.toString('base64')}"/>`;
  return svg.replace(/<\/svg>\n?$/, `${overlay}</svg>\n`);
}

/** Places the logo box on whole modules, centred, within the share that level H can restore. */
function logoLayout(modules: number, margin: number, moduleSize: number) {
  let boxModules = Math.floor(modules * LOGO_BOX_SHARE);
  // An odd box centres on the odd-sized symbol.
  if (boxModules % 2 === 0) boxModules -= 1;
  const boxStart = margin + (modules - boxModules) / 2;
  const logoModules = boxModules - 2;
  return {
    box: boxModules * moduleSize,
    boxOffset: boxStart * moduleSize,
    logo: logoModules * moduleSize,
    logoOffset: (boxStart + 1) * moduleSize,
  };
}

function lightBackground(options: RenderOptions): { r: number; g: number; b: number; alpha: number } {
  const light = options.light.a === 0 ? { r: 255, g: 255, b: 255, a: 255 } : options.light;
  return { r: light.r, g: light.g, b: light.b, alpha: 1 };
}

function logoError(message: string): RequestError {
  return new RequestError('invalid_logo', message, { field: 'logo' });
}
