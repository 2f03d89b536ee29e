/**
 * CRC-32/ISO-HDLC (the zlib / Ethernet CRC: reflected polynomial 0xEDB88320, init and final
 * XOR 0xFFFFFFFF; CRC of "123456789" = 0xCBF43926), plus `crc32Combine`, zlib's
 * crc32_combine: the CRC of A‖B from CRC(A), CRC(B) and |B|, without reading A or B again.
 *
 * Combining lets a chunk's data be read once for both its own CRC and its frame's, on the
 * device (a Pi) and on the dock.
 */
import { crc32 as zlibCrc32 } from 'node:zlib';

const POLY = 0xedb88320;

/** CRC-32 over the concatenation of `parts`. */
export function crc32(...parts: Uint8Array[]): number {
  let c = 0;
  // Skip empty parts: zlib.crc32 of a zero-length view over an empty ArrayBuffer returns 0, not
  // the running value (Node 20).
  for (const p of parts) if (p.length > 0) c = zlibCrc32(p, c);
  return c >>> 0;
}

/** Continues a running CRC-32 over more bytes. */
export function crc32Continue(crc: number, data: Uint8Array): number {
  return data.length > 0 ? zlibCrc32(data, crc) >>> 0 : crc >>> 0;
}

/** a(x)·b(x) mod p(x), both reflected (zlib's multmodp). */
function multModP(a: number, b: number): number {
  let m = 0x80000000;
  let p = 0;
  for (;;) {
    if (a & m) {
      p ^= b;
      if ((a & (m - 1)) === 0) break;
    }
    m >>>= 1;
    b = b & 1 ? (b >>> 1) ^ POLY : b >>> 1;
  }
  return p >>> 0;
}

// X2N[k] = x^(2^k) mod p(x)
const X2N = new Uint32Array(32);
X2N[0] = 0x40000000; // x^1
for (let k = 1; k < 32; k++) X2N[k] = multModP(X2N[k - 1], X2N[k - 1]);

/** x^(n·2^k) mod p(x) (zlib's x2nmodp). */
function x2nModP(n: number, k: number): number {
  let p = 0x80000000; // x^0
  while (n > 0) {
    if (n % 2 === 1) p = multModP(X2N[k & 31], p);
    n = Math.floor(n / 2);
    k += 1;
  }
  return p;
}

/** CRC-32 of A‖B given crcA = CRC(A), crcB = CRC(B) and lengthB = |B|. */
export function crc32Combine(crcA: number, crcB: number, lengthB: number): number {
  return (multModP(x2nModP(lengthB, 3), crcA >>> 0) ^ (crcB >>> 0)) >>> 0;
}
