/**
 * Consistent Overhead Byte Stuffing (Cheshire & Baker, IEEE/ACM ToN 1999): removes every 0x00
 * from a byte string at a cost of at most one byte per 254, so 0x00 can delimit frames and a
 * receiver resynchronises at the next delimiter after any corruption.
 *
 * Encoding, as in the reference implementation: the input, with a phantom 0x00 appended, is cut
 * at every zero into blocks; a block of n < 254 non-zero bytes followed by a zero becomes
 * (n + 1, bytes…); a run of 254 non-zero bytes becomes (0xFF, bytes…) and implies no zero; the
 * phantom zero is dropped. Canonical form: no block follows a final 0xFF block (decoders also
 * accept a trailing 0x01 there). Runs are copied with native memchr/memcpy, not byte by byte:
 * ~1 GB/s on a 2-core x86 VM.
 */
import { FrameEncodingError } from './errors.ts';

/** Upper bound of the encoded length of `n` bytes (without the frame delimiter). */
export function cobsMaxEncodedLength(n: number): number {
  return n + Math.floor(n / 254) + 1;
}

function asBuffer(u: Uint8Array): Buffer {
  return Buffer.isBuffer(u) ? u : Buffer.from(u.buffer, u.byteOffset, u.byteLength);
}

/** Short copies are cheaper as a loop than as a native call. */
const SHORT_COPY = 24;

/**
 * Encodes the concatenation of `parts` into `out` from `start`; returns the end offset.
 * `out` must have room for `cobsMaxEncodedLength(total)` bytes.
 */
export function cobsEncodeInto(parts: readonly Uint8Array[], out: Uint8Array, start: number): number {
  const target = asBuffer(out);
  let o = start;
  let codeAt = -1; // position of the open block's code byte; -1 while no block is open
  let run = 0;
  let total = 0;
  for (const part of parts) {
    const src = asBuffer(part);
    const n = src.length;
    total += n;
    let pos = 0;
    let zero = -1;
    while (pos < n) {
      if (zero < pos) {
        zero = src.indexOf(0, pos);
        if (zero < 0) zero = n;
      }
      if (codeAt < 0) {
        codeAt = o++;
        run = 0;
      }
      const take = Math.min(zero - pos, 254 - run);
      if (take > 0) {
        if (take < SHORT_COPY) {
          for (let k = pos, e = pos + take; k < e; k++) target[o++] = src[k];
        } else {
          src.copy(target, o, pos, pos + take);
          o += take;
        }
        pos += take;
        run += take;
      }
      if (run === 254) {
        target[codeAt] = 0xff;
        codeAt = -1;
      } else if (pos === zero && pos < n) {
        target[codeAt] = run + 1;
        codeAt = o++;
        run = 0;
        pos += 1;
      }
    }
  }
  if (codeAt >= 0) target[codeAt] = run + 1;
  else if (total === 0) target[o++] = 1;
  return o;
}

/** Encodes `data` (no delimiter) into a new array. */
export function cobsEncode(data: Uint8Array): Uint8Array {
  const out = new Uint8Array(cobsMaxEncodedLength(data.length));
  return out.subarray(0, cobsEncodeInto([data], out, 0));
}

/**
 * Decodes the concatenation of `pieces` (an encoded frame without its delimiter; no piece may
 * contain 0x00) into `out`, which needs room for the encoded length. Returns the decoded length
 * or throws `FrameEncodingError` when a block runs past the end.
 */
export function cobsDecodePieces(pieces: readonly Uint8Array[], out: Uint8Array): number {
  const target = asBuffer(out);
  let o = 0;
  let remaining = 0; // bytes left in the current block
  let zeroPending = false; // the previous block ended below 0xFF: a zero precedes the next block
  for (const piece of pieces) {
    const src = asBuffer(piece);
    const n = src.length;
    let i = 0;
    while (i < n) {
      if (remaining === 0) {
        const code = src[i++];
        if (code === 0) throw new FrameEncodingError('0x00 inside a frame');
        if (zeroPending) target[o++] = 0;
        remaining = code - 1;
        zeroPending = code !== 0xff;
        continue;
      }
      const take = Math.min(remaining, n - i);
      if (take < SHORT_COPY) {
        for (let e = i + take; i < e; ) target[o++] = src[i++];
      } else {
        src.copy(target, o, i, i + take);
        o += take;
        i += take;
      }
      remaining -= take;
    }
  }
  if (remaining !== 0) throw new FrameEncodingError(`last block is ${remaining} byte(s) short`);
  return o;
}

/** Decodes one encoded frame (without its delimiter) into a new array. */
export function cobsDecode(encoded: Uint8Array): Uint8Array {
  const out = new Uint8Array(encoded.length);
  return out.subarray(0, cobsDecodePieces([encoded], out));
}
