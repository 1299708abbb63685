export {
  checkCapacity,
  detectMode,
  type CapacityCheck,
  type EncodingMode,
  type ErrorCorrectionLevel,
} from './capacity.js';
export { encodeMatrix, type QrMatrix } from './encode.js';
export { renderPng, type PngOptions } from './png.js';
