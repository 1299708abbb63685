/** An sRGB colour with alpha, each channel 0 to 255. */
export interface Rgba {
  r: number;
  g: number;
  b: number;
  a: number;
}

export const BLACK: Rgba = { r: 0, g: 0, b: 0, a: 255 };
export const WHITE: Rgba = { r: 255, g: 255, b: 255, a: 255 };

/** Formats a colour as #rrggbb, without its alpha. */
export function hexColour(colour: Rgba): string {
  return `#${[colour.r, colour.g, colour.b].map((channel) => channel.toString(16).padStart(2, '0')).join('')}`;
}

/** Checks whether a colour is opaque black or opaque white, which 1-bit greyscale can hold. */
export function isPureGrey(dark: Rgba, light: Rgba): boolean {
  const same = (a: Rgba, b: Rgba) => a.r === b.r && a.g === b.g && a.b === b.b && a.a === b.a;
  return same(dark, BLACK) && same(light, WHITE);
}
