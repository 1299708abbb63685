export {
  checkCapacity,
  detectMode,
  maxByteSegment,
  type CapacityCheck,
  type EncodingMode,
  type ErrorCorrectionLevel,
} from './capacity.js';
export { BLACK, hexColour, WHITE, type Rgba } from './colour.js';
export { encodeMatrix, encodeQr, QrCapacityError, type EncodeOptions, type QrMatrix, type QrSymbol } from './encode.js';
export { renderPng, renderPngAsync, type PngOptions } from './png.js';
export { renderSvg, type SvgOptions } from './svg.js';
