import type { Metadata } from 'sharp';
import type sharp from 'sharp';

import { RequestError } from '../../core/errors.js';
import type { CheckedImage, ImageChecker, ImageFormat } from '../../core/ports.js';

const CONTENT_TYPES: Record<ImageFormat, string> = {
  png: 'image/png',
  jpeg: 'image/jpeg',
  gif: 'image/gif',
  webp: 'image/webp',
};

/** sharp's default export: the function that opens an image. */
export type SharpFunction = typeof sharp;

/**
 * Imports the `sharp` package, which loads libvips and its native binaries for this platform.
 * Rejects when the package or its binaries are missing.
 */
export async function importSharp(): Promise<SharpFunction> {
  return (await import('sharp')).default;
}

/** Options of the image checker. */
export interface SharpImageCheckerOptions {
  /** Largest width or height accepted, in pixels. */
  maxPixelsPerSide: number;
  /** Keep EXIF, GPS and other metadata instead of removing it. Default false. */
  keepMetadata?: boolean;
  /** Loads sharp on the first check. Default `importSharp`. */
  loadSharp?: () => Promise<SharpFunction>;
}

/**
 * Checks uploaded images by their bytes with sharp (libvips) and, unless `keepMetadata` is set,
 * re-encodes them without metadata, so EXIF and GPS data never reach storage.
 *
 * sharp is loaded on the first check, not at import, so a process that never receives an upload
 * never loads libvips. The loader runs only once, so if it fails, that check and every later one
 * reject with `uploads_not_supported`.
 */
export class SharpImageChecker implements ImageChecker {
  private readonly options: SharpImageCheckerOptions;
  private sharp: Promise<SharpFunction> | undefined;

  constructor(options: SharpImageCheckerOptions) {
    this.options = options;
  }

  async check(bytes: Uint8Array, declaredType: string | undefined): Promise<CheckedImage> {
    const sharp = await this.loadSharpOnce();

    if (bytes.length === 0) throw imageError('The upload is empty: send a PNG, JPEG, GIF or WebP image.');

    const format = signatureFormat(bytes);
    if (format === undefined)
      throw imageError('The upload is not a PNG, JPEG, GIF or WebP image (its first bytes match none).');
    if (declaredType !== undefined && declaredType !== CONTENT_TYPES[format]) {
      throw imageError(
        `The upload is labelled ${declaredType} but its bytes are ${CONTENT_TYPES[format]}; send the right type.`,
      );
    }
    if (hasTrailingData(bytes, format)) {
      throw imageError(
        'The upload has data after the end of its image, as files that are two formats at once do; send a plain image.',
      );
    }

    let metadata: Metadata;
    try {
      metadata = await sharp(bytes, {
        limitInputPixels: this.options.maxPixelsPerSide ** 2,
        animated: format === 'gif' || format === 'webp',
      }).metadata();
    } catch {
      throw imageError(`The upload is not a readable ${format.toUpperCase()} image.`);
    }
    const width = metadata.width ?? 0;
    const height = metadata.pageHeight ?? metadata.height ?? 0;
    if (width > this.options.maxPixelsPerSide || height > this.options.maxPixelsPerSide) {
      throw imageError(
        `The image is ${width}x${height} pixels; at most ${this.options.maxPixelsPerSide} per side are accepted.`,
      );
    }

    const body = this.options.keepMetadata ? Buffer.from(bytes) : await reencode(sharp, bytes, format);
    return { body, format, contentType: CONTENT_TYPES[format], width, height };
  }

  private async loadSharpOnce(): Promise<SharpFunction> {
    const load = this.options.loadSharp ?? importSharp;
    // The async wrapper turns a loader that throws into a rejected promise, which is cached too.
    this.sharp ??= (async () => load())();
    try {
      return await this.sharp;
    } catch {
      throw new RequestError(
        'uploads_not_supported',
        'This deployment cannot read images because its image library failed to load; send a URL to POST /images/qrcode.',
      );
    }
  }
}

/** Re-encodes in the same format; sharp writes no EXIF, XMP or ICC unless asked to. */
async function reencode(sharp: SharpFunction, bytes: Uint8Array, format: ImageFormat): Promise<Buffer> {
  const animated = format === 'gif' || format === 'webp';
  // rotate() with no angle applies the EXIF orientation before the EXIF is dropped.
  const image = sharp(bytes, { animated }).rotate();
  if (format === 'png') return image.png().toBuffer();
  if (format === 'jpeg') return image.jpeg({ quality: 92 }).toBuffer();
  if (format === 'gif') return image.gif().toBuffer();
  return image.webp({ quality: 92 }).toBuffer();
}

function signatureFormat(bytes: Uint8Array): ImageFormat | undefined {
  const starts = (...signature: number[]) => signature.every((byte, i) => bytes[i] === byte);
  if (starts(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a)) return 'png';
  if (starts(0xff, 0xd8, 0xff)) return 'jpeg';
  if (starts(0x47, 0x49, 0x46, 0x38)) return 'gif';
  if (
    starts(0x52, 0x49, 0x46, 0x46) &&
    bytes[8] === 0x57 &&
    bytes[9] === 0x45 &&
    bytes[10] === 0x42 &&
    bytes[11] === 0x50
  )
    return 'webp';
  return undefined;
}

/**
 * Checks for bytes after the image's end: after PNG's IEND chunk, JPEG's last EOI marker, GIF's
 * trailer, or past WebP's RIFF length. Polyglot files hide a second format there.
 */
function hasTrailingData(bytes: Uint8Array, format: ImageFormat): boolean {
  const length = bytes.length;
  if (format === 'png') {
    const iend = Buffer.from(bytes).lastIndexOf(Buffer.from([0x49, 0x45, 0x4e, 0x44]));
    return iend < 0 || iend + 8 !== length;
  }
  if (format === 'jpeg') return !(bytes[length - 2] === 0xff && bytes[length - 1] === 0xd9);
  if (format === 'gif') return bytes[length - 1] !== 0x3b;
  const riffSize = Buffer.from(bytes).readUInt32LE(4);
  return riffSize + 8 + (riffSize % 2) !== length;
}

function imageError(message: string): RequestError {
  return new RequestError('invalid_image', message, { field: 'file' });
}
