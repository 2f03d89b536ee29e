/**
 * Consistent Overhead Byte Stuffing (Cheshire & Baker, IEEE/ACM ToN 1999): removes every 0x00
 * from a byte string at a cost of at most one byte per 254, so 0x00 can delimit frames and a
 * receiver resynchronises at the next delimiter after any corruption.
 *
 * Encoding, as in the reference implementation: the input, with a phantom 0x00 appended, is cut
 * at every zero into blocks; a block of n < 254 non-zero bytes followed by a zero becomes
 * (n + 1, bytes…); a run of 254 non-zero bytes becomes (0xFF, bytes…) and implies no zero; the
 * phantom zero is dropped. Canonical form: no block follows a final 0xFF block (decoders also
 * accept a trailing 0x01 there).
 *
 * Both directions work in place: apart from the 0xFF blocks, encoded data is the input shifted
 * by one byte with zeros turned into code bytes. So the encoder copies the input once, moves it
 * only at 0xFF blocks (about every 650 bytes of random data) and then writes the code bytes; the
 * decoder does the reverse. Moves are `copyWithin` (memmove, no allocation): the per-byte cost
 * is a memcpy plus a memchr, which matters on a Raspberry Pi and at dock link speeds.
 */
import { FrameEncodingError } from './errors.ts';

/** Upper bound of the encoded length of `n` bytes (without the frame delimiter). */
export function cobsMaxEncodedLength(n: number): number {
  return n + Math.floor(n / 254) + 1;
}

function asBuffer(u: Uint8Array): Buffer {
  return Buffer.isBuffer(u) ? u : Buffer.from(u.buffer, u.byteOffset, u.byteLength);
}

// Scratch for the encoder's block list (final code positions and values) and the ends of
// 0xFF blocks; grown on demand, reused across calls.
const scratch = { at: new Int32Array(1024), val: new Uint8Array(1024), ff: new Int32Array(64) };

function growBlocks(): void {
  const size = scratch.at.length * 2;
  const at = new Int32Array(size);
  at.set(scratch.at);
  const val = new Uint8Array(size);
  val.set(scratch.val);
  scratch.at = at;
  scratch.val = val;
}

function growFf(): void {
  const ff = new Int32Array(scratch.ff.length * 2);
  ff.set(scratch.ff);
  scratch.ff = ff;
}

/**
 * Encodes the concatenation of `parts` into a new array, optionally followed by the 0x00 frame
 * delimiter.
 */
export function cobsEncodeParts(parts: readonly Uint8Array[], delimiter: boolean, target?: Uint8Array): Uint8Array {
  let n = 0;
  for (const p of parts) n += p.length;
  const need = cobsMaxEncodedLength(n) + 1;
  const out = target && target.length >= need ? asBuffer(target) : Buffer.allocUnsafe(need);
  // Input byte i sits at out[1 + i]: exactly where it belongs until the first 0xFF block.
  let o = 1;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  const end = n + 1;
  let at = scratch.at;
  let val = scratch.val;
  let ffEnds = scratch.ff;
  let blocks = 0;
  let ff = 0;
  let s = 1; // start of the current block (out coordinates of the unmoved input)
  let zero = out.indexOf(0, s);
  if (zero < 0 || zero > end) zero = end;
  let endedOnFf = false;
  for (;;) {
    if (blocks === at.length) {
      growBlocks();
      at = scratch.at;
      val = scratch.val;
    }
    const run = zero - s;
    if (run >= 254) {
      at[blocks] = s - 1 + ff;
      val[blocks++] = 0xff;
      if (ff === ffEnds.length) {
        growFf();
        ffEnds = scratch.ff;
      }
      ffEnds[ff++] = s + 254;
      s += 254;
      if (s === end) {
        endedOnFf = true;
        break;
      }
      continue;
    }
    at[blocks] = s - 1 + ff;
    val[blocks++] = run + 1;
    if (zero >= end) break;
    s = zero + 1;
    zero = out.indexOf(0, s);
    if (zero < 0 || zero > end) zero = end;
  }
  // Move the segments after each 0xFF block right by one more byte, last first (no overlap harm).
  for (let k = ff; k >= 1; k--) {
    const from = ffEnds[k - 1];
    const to = k < ff ? ffEnds[k] : end;
    if (to > from) out.copyWithin(from + k, from, to);
  }
  for (let b = 0; b < blocks; b++) out[at[b]] = val[b];
  let length = n + ff + (endedOnFf ? 0 : 1);
  if (delimiter) out[length++] = 0;
  return new Uint8Array(out.buffer, out.byteOffset, length);
}

/** Encodes `data` (no delimiter) into a new array. */
export function cobsEncode(data: Uint8Array): Uint8Array {
  return cobsEncodeParts([data], false);
}

/**
 * Decodes `buf[0, n)` — one encoded frame without its delimiter, containing no 0x00 — in place.
 * Returns the decoded length (the data is at `buf[0, length)`), or throws `FrameEncodingError`
 * when a block runs past the end.
 */
export function cobsDecodeInPlace(buf: Uint8Array, n: number): number {
  if (n === 0) return 0;
  const b = asBuffer(buf);
  let removed = 1; // the first code byte
  let segStart = 1; // first byte of the current run of data to move
  let r = 0;
  let c = b[0];
  for (;;) {
    if (c === 0) throw new FrameEncodingError('0x00 inside a frame');
    const next = r + c;
    if (next > n) throw new FrameEncodingError(`last block is ${next - n} byte(s) short`);
    if (next === n) break;
    const following = b[next];
    if (c === 0xff) {
      // A full block implies no zero: its successor's code byte disappears. Move the data before it.
      if (next > segStart) b.copyWithin(segStart - removed, segStart, next);
      removed += 1;
      segStart = next + 1;
    } else {
      b[next] = 0; // the successor's code byte becomes the zero this block ends with
    }
    r = next;
    c = following;
  }
  if (n > segStart) b.copyWithin(segStart - removed, segStart, n);
  return n - removed;
}

/** Decodes one encoded frame (without its delimiter) into a new array. */
export function cobsDecode(encoded: Uint8Array): Uint8Array {
  const out = new Uint8Array(encoded);
  return out.subarray(0, cobsDecodeInPlace(out, out.length));
}
