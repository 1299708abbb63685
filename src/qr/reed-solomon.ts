/**
 * Reed-Solomon error correction over GF(256) with the QR code's field polynomial
 * x^8 + x^4 + x^3 + x^2 + 1 (0x11D), as ISO/IEC 18004 section 7.5.2 specifies.
 */

const EXP = new Uint8Array(512);
const LOG = new Uint8Array(256);
{
  let value = 1;
  for (let power = 0; power < 255; power++) {
    EXP[power] = value;
    LOG[value] = power;
    value <<= 1;
    if (value & 0x100) value ^= 0x11d;
  }
  // A doubled table spares a modulo in every multiplication.
  for (let power = 255; power < 512; power++) EXP[power] = EXP[power - 255]!;
}

function multiply(a: number, b: number): number {
  return a === 0 || b === 0 ? 0 : EXP[LOG[a]! + LOG[b]!]!;
}

const generators = new Map<number, Uint8Array>();

/** Returns the generator polynomial of `degree`, highest power first without its leading 1. */
function generator(degree: number): Uint8Array {
  let polynomial = generators.get(degree);
  if (polynomial) return polynomial;

  polynomial = new Uint8Array(degree);
  polynomial[degree - 1] = 1;
  // Multiply (x - a^0)(x - a^1)...(x - a^(degree-1)).
  let root = 1;
  for (let i = 0; i < degree; i++) {
    for (let j = 0; j < degree; j++) {
      polynomial[j] = multiply(polynomial[j]!, root) ^ (j + 1 < degree ? polynomial[j + 1]! : 0);
    }
    root = multiply(root, 2);
  }
  generators.set(degree, polynomial);
  return polynomial;
}

/** Computes the `degree` error correction codewords of one block of data codewords. */
export function errorCorrectionCodewords(data: Uint8Array, degree: number): Uint8Array {
  const divisor = generator(degree);
  const remainder = new Uint8Array(degree);
  for (const byte of data) {
    const factor = byte ^ remainder[0]!;
    remainder.copyWithin(0, 1);
    remainder[degree - 1] = 0;
    if (factor === 0) continue;
    for (let i = 0; i < degree; i++) remainder[i]! ^= multiply(divisor[i]!, factor);
  }
  return remainder;
}
