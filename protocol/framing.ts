/**
 * Framing over a byte stream (docs/protocol.md §2):
 *
 *     frame = COBS( body ‖ CRC-32(body) as u32 little-endian ) ‖ 0x00
 *
 * CRC-32 is ISO-HDLC / zlib (reflected 0xEDB88320, init and final XOR 0xFFFFFFFF; check value
 * of "123456789" is 0xCBF43926). A receiver accepts bodies up to its announced maximum; anything
 * longer is discarded up to the next delimiter without being buffered, so memory stays bounded
 * whatever arrives. Empty frames (0x00 0x00) are ignored, which lets a sender flush line noise
 * by starting with a delimiter.
 */
import { crc32 } from 'node:zlib';
import { cobsDecodePieces, cobsEncodeInto, cobsMaxEncodedLength } from './cobs.ts';
import {
  FrameChecksumError,
  FrameTooLargeError,
  FrameTooShortError,
  FramingError,
  type WireErrorCode,
} from './errors.ts';

/** Smallest body (an envelope header) a frame may carry. */
export const ENVELOPE_HEADER_SIZE = 12;
/** Every implementation accepts bodies of at least this size (before `hello` negotiates more). */
export const MIN_MAX_BODY = 4096;
/** No implementation accepts bodies larger than this. */
export const MAX_MAX_BODY = 1 << 20;
/** Default body limit: a 64 KiB chunk plus room for its envelope and fields. */
export const DEFAULT_MAX_BODY = 65536 + 1024;

/** CRC-32 (ISO-HDLC) over the concatenation of `parts`. */
export function crc32Of(parts: readonly Uint8Array[]): number {
  let c = 0;
  for (const p of parts) c = crc32(p, c);
  return c >>> 0;
}

/** Encodes one frame whose body is the concatenation of `bodyParts` (they are not copied first). */
export function encodeFrame(bodyParts: readonly Uint8Array[]): Uint8Array {
  let length = 0;
  for (const p of bodyParts) length += p.length;
  const crc = crc32Of(bodyParts);
  const trailer = new Uint8Array(4);
  new DataView(trailer.buffer).setUint32(0, crc, true);
  const out = Buffer.allocUnsafe(cobsMaxEncodedLength(length + 4) + 1);
  let o = cobsEncodeInto([...bodyParts, trailer], out, 0);
  out[o++] = 0;
  // A plain Uint8Array view: Buffer#slice would share memory where callers expect a copy.
  return new Uint8Array(out.buffer, out.byteOffset, o);
}

/** Length of the frame `encodeFrame` produces for a body of `bodyLength` bytes, at most. */
export function maxFrameLength(bodyLength: number): number {
  return cobsMaxEncodedLength(bodyLength + 4) + 1;
}

export interface FrameDecoderOptions {
  /** Largest body accepted (bytes, without the CRC). */
  maxBody: number;
}

export interface FrameDecoderStats {
  frames: number;
  /** Rejections by wire code. */
  rejected: Partial<Record<WireErrorCode, number>>;
  /** Bytes pushed in total. */
  bytes: number;
}

/** Receives decoded frame bodies and framing errors in arrival order. */
export type FrameSink = (result: Uint8Array | FramingError) => void;

/**
 * Streaming frame decoder. Holds at most one frame's encoded bytes (bounded by `maxBody`); keeps
 * references to the pushed chunks instead of copying them, so callers must not modify a chunk
 * after pushing it (sockets and serial ports hand out fresh buffers).
 */
export class FrameDecoder {
  readonly maxBody: number;
  private readonly maxEncoded: number;
  private pieces: Uint8Array[] = [];
  private pending = 0;
  private discarding = false;
  readonly stats: FrameDecoderStats = { frames: 0, rejected: {}, bytes: 0 };

  constructor(options: FrameDecoderOptions) {
    const maxBody = options.maxBody;
    if (!Number.isSafeInteger(maxBody) || maxBody < ENVELOPE_HEADER_SIZE || maxBody > MAX_MAX_BODY) {
      throw new RangeError(`maxBody must be an integer in ${ENVELOPE_HEADER_SIZE}..${MAX_MAX_BODY}, got ${maxBody}`);
    }
    this.maxBody = maxBody;
    this.maxEncoded = cobsMaxEncodedLength(maxBody + 4);
  }

  /** Encoded bytes held for the frame in progress (never more than the limit). */
  get bufferedBytes(): number {
    return this.pending;
  }

  /** Forgets a partial frame (after a reconnect). */
  reset(): void {
    this.pieces = [];
    this.pending = 0;
    this.discarding = false;
  }

  push(chunk: Uint8Array, sink: FrameSink): void {
    const buf = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    this.stats.bytes += buf.length;
    let pos = 0;
    const n = buf.length;
    while (pos < n) {
      const d = buf.indexOf(0, pos);
      const end = d < 0 ? n : d;
      if (end > pos && !this.discarding) {
        if (this.pending + (end - pos) > this.maxEncoded) {
          this.discarding = true;
          this.pieces = [];
          this.pending = 0;
        } else {
          this.pieces.push(buf.subarray(pos, end));
          this.pending += end - pos;
        }
      }
      if (d < 0) break;
      pos = d + 1;
      if (this.discarding) {
        this.discarding = false;
        this.reject(new FrameTooLargeError(this.maxBody), sink);
      } else if (this.pending > 0) {
        const pieces = this.pieces;
        const encodedLength = this.pending;
        this.pieces = [];
        this.pending = 0;
        this.finish(pieces, encodedLength, sink);
      }
    }
  }

  private finish(pieces: Uint8Array[], encodedLength: number, sink: FrameSink): void {
    const out = Buffer.allocUnsafe(encodedLength);
    let length: number;
    try {
      length = cobsDecodePieces(pieces, out);
    } catch (err) {
      if (err instanceof FramingError) return this.reject(err, sink);
      throw err;
    }
    if (length < ENVELOPE_HEADER_SIZE + 4) return this.reject(new FrameTooShortError(length), sink);
    if (length - 4 > this.maxBody) return this.reject(new FrameTooLargeError(this.maxBody), sink);
    const body = new Uint8Array(out.buffer, out.byteOffset, length - 4);
    const expected = out.readUInt32LE(length - 4);
    const actual = crc32(body) >>> 0;
    if (expected !== actual) return this.reject(new FrameChecksumError(expected, actual), sink);
    this.stats.frames += 1;
    sink(body);
  }

  private reject(err: FramingError, sink: FrameSink): void {
    const code = err.wireCode;
    this.stats.rejected[code] = (this.stats.rejected[code] ?? 0) + 1;
    sink(err);
  }
}
