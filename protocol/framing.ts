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
import { crc32, crc32Combine, crc32Continue } from './crc32.ts';
import { cobsDecodeInPlace, cobsEncodeParts, cobsMaxEncodedLength } from './cobs.ts';
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
export const DEFAULT_MAX_BODY = 262144 + 1024;

/**
 * Encodes one frame whose body is the concatenation of `bodyParts`. `knownCrcs[i]`, when
 * given, is the CRC-32 of part i, which is then combined instead of read again (a chunk's data).
 * `target`, when large enough (`maxFrameLength`), receives the frame instead of a new buffer.
 */
export function encodeFrame(bodyParts: readonly Uint8Array[], knownCrcs?: ReadonlyArray<number | undefined>, target?: Uint8Array): Uint8Array {
  let crc = 0;
  for (let i = 0; i < bodyParts.length; i++) {
    const part = bodyParts[i];
    const known = knownCrcs?.[i];
    crc = known === undefined ? crc32Continue(crc, part) : crc32Combine(crc, known, part.length);
  }
  const trailer = new Uint8Array(4);
  new DataView(trailer.buffer).setUint32(0, crc, true);
  return cobsEncodeParts([...bodyParts, trailer], true, target);
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

/**
 * Receives decoded frame bodies (with their verified CRC-32, so a chunk's own CRC can be checked
 * by combining instead of reading the data again) and framing errors, in arrival order.
 */
export type FrameSink = (result: Uint8Array | FramingError, crc?: number) => void;

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
    let at = 0;
    for (const p of pieces) {
      out.set(p, at);
      at += p.length;
    }
    let length: number;
    try {
      length = cobsDecodeInPlace(out, encodedLength);
    } catch (err) {
      if (err instanceof FramingError) return this.reject(err, sink);
      throw err;
    }
    if (length < ENVELOPE_HEADER_SIZE + 4) return this.reject(new FrameTooShortError(length), sink);
    if (length - 4 > this.maxBody) return this.reject(new FrameTooLargeError(this.maxBody), sink);
    const body = new Uint8Array(out.buffer, out.byteOffset, length - 4);
    const expected = out.readUInt32LE(length - 4);
    const actual = crc32(body);
    if (expected !== actual) return this.reject(new FrameChecksumError(expected, actual), sink);
    this.stats.frames += 1;
    sink(body, actual);
  }

  private reject(err: FramingError, sink: FrameSink): void {
    const code = err.wireCode;
    this.stats.rejected[code] = (this.stats.rejected[code] ?? 0) + 1;
    sink(err);
  }
}
