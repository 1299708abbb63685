/** An sRGB colour with alpha, each channel 0 to 255. */
export interface Rgba {
  r: number;
  g: number;
  b: number;
  a: number;
}

export const BLACK: Rgba = { r: 0, g: 0, b: 0, a: 255 };
export const WHITE: Rgba = { r: 255, g: 255, b: 255, a: 255 };

/** Two lowercase hex digits for each byte value. */
const HEX_BYTES = Array.from({ length: 256 }, (_, value) => value.toString(16).padStart(2, '0'));

/** Formats a colour as #rrggbb, without its alpha. */
export function hexColour(colour: Rgba): string {
  const { r, g, b } = colour;
  // Whole channels from 0 to 255 use the table, and anything else takes the general path.
  if (HEX_BYTES[r] !== undefined && HEX_BYTES[g] !== undefined && HEX_BYTES[b] !== undefined) {
    return `#${HEX_BYTES[r]}${HEX_BYTES[g]}${HEX_BYTES[b]}`;
  }
  return `#${[r, g, b].map((channel) => channel.toString(16).padStart(2, '0')).join('')}`;
}

/** Checks whether a colour is opaque black or opaque white, which 1-bit greyscale can hold. */
export function isPureGrey(dark: Rgba, light: Rgba): boolean {
  const same = (a: Rgba, b: Rgba) => a.r === b.r && a.g === b.g && a.b === b.b && a.a === b.a;
  return same(dark, BLACK) && same(light, WHITE);
}
