import * as z from 'zod';

import type { ErrorCorrectionLevel, Rgba } from '../qr/index.js';
import { RequestError } from './errors.js';

/** Drawing options of a code. The API, the preview route, the web page and the CLI share these names. */
export interface RenderOptions {
  format: 'png' | 'svg';
  /** Error correction level. */
  ecc: ErrorCorrectionLevel;
  /** Quiet zone in modules on every side. */
  margin: number;
  /** Pixels per module; the default when neither it nor `size` is given is 10. */
  scale: number | undefined;
  /** Largest width and height in pixels; the module size is the largest whole number that fits. */
  size: number | undefined;
  dark: Rgba;
  light: Rgba;
  /** Leave the background transparent instead of painting it with `light`. */
  transparent: boolean;
  /** Allow light modules on a dark background, which some readers cannot scan. */
  allowInverted: boolean;
  /** Declare UTF-8 with ECI 26 for non-ASCII data (`auto`), or leave it out (`off`). */
  eci: 'auto' | 'off';
}

/** Bounds that keep a request from asking for a huge image. */
export const MAX_IMAGE_PIXELS = 4096;
export const MAX_SCALE = 64;
export const MAX_MARGIN = 16;
/** Readers need at least two pixels per module. */
export const MIN_SCALE = 2;
/** Contrast ratio (WCAG 2 formula) below which many phone cameras miss modules. */
export const MIN_CONTRAST = 3;

const HEX_COLOUR = /^#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6}|[0-9a-fA-F]{8})$/;

// JSON bodies send numbers and booleans; query strings send the same values as text.
const wholeNumber = z.union([
  z.number().int().nonnegative(),
  z
    .string()
    .regex(/^\d{1,9}$/)
    .transform(Number),
]);
const flag = z.union([z.boolean(), z.enum(['true', 'false']).transform((value) => value === 'true')]);

/** The render option fields, each optional, as a zod shape to merge into request schemas. */
export const renderOptionFields = {
  format: z.enum(['png', 'svg']).optional(),
  ecc: z.enum(['L', 'M', 'Q', 'H']).optional(),
  margin: wholeNumber.optional(),
  scale: wholeNumber.optional(),
  size: wholeNumber.optional(),
  dark: z.string().regex(HEX_COLOUR).optional(),
  light: z.string().regex(HEX_COLOUR).optional(),
  transparent: flag.optional(),
  allowInverted: flag.optional(),
  eci: z.enum(['auto', 'off']).optional(),
};

/** The accepted form of each option, quoted in error messages. */
export const RENDER_OPTION_HINTS: Record<keyof typeof renderOptionFields, string> = {
  format: '"png" or "svg"',
  ecc: '"L", "M", "Q" or "H"',
  margin: `a whole number of modules from 0 to ${MAX_MARGIN}`,
  scale: `a whole number of pixels per module from ${MIN_SCALE} to ${MAX_SCALE}`,
  size: `a whole number of pixels up to ${MAX_IMAGE_PIXELS}`,
  dark: 'a hex colour such as #000000, #000 or #000000ff',
  light: 'a hex colour such as #ffffff, #fff or #ffffff00',
  transparent: 'true or false',
  allowInverted: 'true or false',
  eci: '"auto" or "off"',
};

type RenderOptionInput = { [K in keyof typeof renderOptionFields]?: z.output<(typeof renderOptionFields)[K]> };

/**
 * Turns validated option fields into render options, checking what the schema cannot: ranges,
 * `size` with `scale`, colour contrast, inverted colours and an unrequested transparent background.
 */
export function resolveRenderOptions(input: RenderOptionInput): RenderOptions {
  const margin = input.margin ?? 4;
  if (margin > MAX_MARGIN) throw optionError('margin', `"margin" is ${margin}; it must be at most ${MAX_MARGIN}.`);
  if (input.scale !== undefined && input.size !== undefined) {
    throw optionError('scale', 'Give "size" or "scale", not both: "size" sets the image, "scale" each module.');
  }
  if (input.scale !== undefined && (input.scale < MIN_SCALE || input.scale > MAX_SCALE)) {
    throw optionError(
      'scale',
      `"scale" is ${input.scale}; it must be from ${MIN_SCALE} to ${MAX_SCALE} pixels per module.`,
    );
  }
  if (input.size !== undefined && input.size > MAX_IMAGE_PIXELS) {
    throw optionError('size', `"size" is ${input.size} pixels; it must be at most ${MAX_IMAGE_PIXELS}.`);
  }

  const transparent = input.transparent ?? false;
  const dark = parseColour(input.dark ?? '#000000');
  let light = parseColour(input.light ?? '#ffffff');
  if (light.a < 255 && !transparent) {
    throw optionError(
      'light',
      `"light" ${input.light} is not opaque: set "transparent" to true to ask for a transparent background.`,
    );
  }
  if (transparent) light = { ...light, a: 0 };

  const allowInverted = input.allowInverted ?? false;
  checkColours(dark, light, { allowInverted, darkText: input.dark ?? '#000000', lightText: input.light ?? '#ffffff' });

  return {
    format: input.format ?? 'png',
    ecc: input.ecc ?? 'M',
    margin,
    scale: input.scale,
    size: input.size,
    dark,
    light,
    transparent,
    allowInverted,
    eci: input.eci ?? 'auto',
  };
}

/** Picks the pixels per module for a symbol of `modules` per side, or throws a `RequestError`. */
export function moduleSizeFor(options: RenderOptions, modules: number): number {
  const span = modules + 2 * options.margin;
  if (options.size === undefined) {
    const scale = options.scale ?? 10;
    if (span * scale > MAX_IMAGE_PIXELS) {
      throw optionError(
        'scale',
        `The image would be ${span * scale} pixels wide; lower "scale" to at most ${Math.floor(MAX_IMAGE_PIXELS / span)}.`,
      );
    }
    return scale;
  }
  const scale = Math.floor(options.size / span);
  if (scale < MIN_SCALE) {
    throw optionError(
      'size',
      `"size" ${options.size} is too small for this code: ${modules} modules plus a margin of ${options.margin} ` +
        `need at least ${span * MIN_SCALE} pixels (${MIN_SCALE} per module).`,
    );
  }
  return scale;
}

/** Parses #rgb, #rrggbb or #rrggbbaa. */
export function parseColour(text: string): Rgba {
  let hex = text.slice(1);
  if (hex.length === 3) hex = [...hex].map((digit) => digit + digit).join('');
  if (hex.length === 6) hex += 'ff';
  const value = (offset: number) => Number.parseInt(hex.slice(offset, offset + 2), 16);
  return { r: value(0), g: value(2), b: value(4), a: value(6) };
}

/** Relative luminance of WCAG 2, after compositing the colour over white. */
function luminance(colour: Rgba): number {
  const alpha = colour.a / 255;
  const channel = (value: number) => {
    const composited = (value * alpha + 255 * (1 - alpha)) / 255;
    return composited <= 0.04045 ? composited / 12.92 : ((composited + 0.055) / 1.055) ** 2.4;
  };
  return 0.2126 * channel(colour.r) + 0.7152 * channel(colour.g) + 0.0722 * channel(colour.b);
}

/** Returns the WCAG contrast ratio of two colours, from 1 to 21. */
export function contrastRatio(first: Rgba, second: Rgba): number {
  const [lighter, darker] = [luminance(first), luminance(second)].sort((a, b) => b - a) as [number, number];
  return (lighter + 0.05) / (darker + 0.05);
}

function checkColours(
  dark: Rgba,
  light: Rgba,
  context: { allowInverted: boolean; darkText: string; lightText: string },
): void {
  // A transparent background shows whatever is behind it; contrast is judged against white.
  const background = light.a === 0 ? { r: 255, g: 255, b: 255, a: 255 } : light;
  const ratio = contrastRatio(dark, background);
  if (ratio < MIN_CONTRAST) {
    throw optionError(
      'dark',
      `"dark" ${context.darkText} on "light" ${context.lightText} has a contrast ratio of ${ratio.toFixed(2)}:1; ` +
        `use colours with at least ${MIN_CONTRAST}:1.`,
    );
  }
  if (luminance(dark) > luminance(background) && !context.allowInverted) {
    throw optionError(
      'dark',
      `"dark" ${context.darkText} is lighter than "light" ${context.lightText}; many readers cannot scan inverted ` +
        'codes. Swap the colours, or set "allowInverted" to true.',
    );
  }
}

function optionError(field: string, message: string): RequestError {
  const code = field === 'dark' || field === 'light' ? 'invalid_colors' : `invalid_${field}`;
  return new RequestError(code, message, { field });
}
