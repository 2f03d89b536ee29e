/**
 * The journal's on-disk format (docs/journal-format.md is the normative description; keep the
 * two in step). A journal file is a sequence of frames:
 *
 *   magic "DZJ1" | payload length u32 LE | header CRC-32 | payload CRC-32 | payload
 *
 * The payload is a MessagePack map {seq, wall, mono, type, data, prev}. Each record's hash is
 * SHA-256 of its payload bytes, and `prev` holds the previous record's hash, so the records of
 * all files form one chain. Checkpoint records carry an Ed25519 signature over a short text
 * that names the chain head they seal.
 */
import { crc32 } from 'node:zlib';
import { Packr } from 'msgpackr';
import { keyIdOf, toHex } from '../../protocol/crypto.ts';
import { sha256 } from '../../protocol/crypto.ts';

export const MAGIC = Uint8Array.of(0x44, 0x5a, 0x4a, 0x31); // "DZJ1"
export const FRAME_HEADER_BYTES = 16;
/** Readers treat a longer payload as damage: no writer produces one. */
export const MAX_PAYLOAD_BYTES = 1 << 20;
/** Writers refuse entries whose encoded payload is larger (entries are small by design). */
export const MAX_ENTRY_PAYLOAD_BYTES = 64 * 1024;
export const HASH_BYTES = 32;
export const GENESIS_HASH = new Uint8Array(HASH_BYTES);
export const FORMAT_NAME = 'dozor-journal';
export const FORMAT_VERSION = 1;
/** Journal files are `<dir>/NNNNNNNN.djl`, numbered from 0 in the order they were started. */
export const FILE_NAME_RE = /^(\d{8})\.djl$/;

export function journalFileName(index: number): string {
  return `${String(index).padStart(8, '0')}.djl`;
}

/** Record types the journal writes itself; entry types come from ENTRY_SCHEMAS. */
export const FILE_HEADER = 'file-header';
export const CHECKPOINT = 'checkpoint';

export type CheckpointReason = 'interval' | 'count' | 'shift-end' | 'request' | 'close' | 'rotate';
export const CHECKPOINT_REASONS: readonly CheckpointReason[] = ['interval', 'count', 'shift-end', 'request', 'close', 'rotate'];
/** A file ends cleanly only with one of these: nothing may follow them in the same file. */
export const CLOSING_REASONS: ReadonlySet<string> = new Set<CheckpointReason>(['close', 'rotate']);

export interface FileHeaderData {
  format: typeof FORMAT_NAME;
  version: number;
  /** Device serial number, as in its provisioning record. */
  device: string;
  /** keyIdOf(publicKey). */
  keyId: string;
  /** The device's Ed25519 public key (32 bytes); trusted only when it matches a pinned key. */
  publicKey: Uint8Array;
  /** This file's number (the NNNNNNNN of its name). */
  file: number;
}

export interface CheckpointData {
  reason: CheckpointReason;
  keyId: string;
  /** Ed25519 signature (64 bytes) over checkpointMessage(...). */
  signature: Uint8Array;
}

/** One record as stored (decoded payload). */
export interface RecordPayload {
  seq: number;
  wall: number;
  mono: number;
  type: string;
  data: Record<string, unknown>;
  prev: Uint8Array;
}

// ---- MessagePack ----

const packr = new Packr({ useRecords: false, mapsAsObjects: true, variableMapSize: true, int64AsType: 'number' });

/**
 * Makes a value safe to pack the same way every time: drops undefined members (MessagePack has
 * no undefined; msgpackr would emit an extension other languages cannot read), and turns
 * integers outside 32 bits into BigInt so they are packed as int64 rather than float64.
 */
function toWire(value: unknown): unknown {
  if (typeof value === 'number') {
    if (Number.isInteger(value) && (value > 0xffffffff || value < -0x80000000)) return BigInt(value);
    return value;
  }
  if (value === null || typeof value !== 'object') return value;
  if (value instanceof Uint8Array) return value;
  if (Array.isArray(value)) return value.map(toWire);
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) if (v !== undefined) out[k] = toWire(v);
  return out;
}

export function encodePayload(record: RecordPayload): Uint8Array {
  const ordered = { seq: record.seq, wall: record.wall, mono: record.mono, type: record.type, data: record.data, prev: record.prev };
  return new Uint8Array(packr.pack(toWire(ordered)));
}

export class PayloadError extends Error {}

/** Decodes and shape-checks a payload; throws PayloadError with the reason. */
export function decodePayload(payload: Uint8Array): RecordPayload {
  let v: unknown;
  try {
    v = packr.unpack(payload);
  } catch (err) {
    throw new PayloadError(`payload is not MessagePack (${(err as Error).message})`);
  }
  if (v === null || typeof v !== 'object' || Array.isArray(v) || v instanceof Uint8Array) throw new PayloadError('payload is not a map');
  const r = v as Record<string, unknown>;
  const keys = Object.keys(r);
  if (keys.length !== 6 || !['seq', 'wall', 'mono', 'type', 'data', 'prev'].every((k) => k in r)) {
    throw new PayloadError(`payload keys must be seq, wall, mono, type, data, prev (got ${keys.join(', ')})`);
  }
  if (!Number.isSafeInteger(r.seq) || (r.seq as number) < 0) throw new PayloadError('seq must be a non-negative integer');
  if (!Number.isSafeInteger(r.wall)) throw new PayloadError('wall must be an integer (ms since epoch)');
  if (!Number.isSafeInteger(r.mono) || (r.mono as number) < 0) throw new PayloadError('mono must be a non-negative integer (ms)');
  if (typeof r.type !== 'string' || r.type.length === 0) throw new PayloadError('type must be a non-empty string');
  if (r.data === null || typeof r.data !== 'object' || Array.isArray(r.data) || r.data instanceof Uint8Array) {
    throw new PayloadError('data must be a map');
  }
  if (!(r.prev instanceof Uint8Array) || r.prev.length !== HASH_BYTES) throw new PayloadError('prev must be 32 bytes (bin)');
  return {
    seq: r.seq as number,
    wall: r.wall as number,
    mono: r.mono as number,
    type: r.type,
    data: r.data as Record<string, unknown>,
    prev: new Uint8Array(r.prev),
  };
}

export function recordHash(payload: Uint8Array): Uint8Array {
  return sha256(payload);
}

// ---- framing ----

function u32(bytes: Uint8Array, at: number): number {
  return (bytes[at] | (bytes[at + 1] << 8) | (bytes[at + 2] << 16) | (bytes[at + 3] << 24)) >>> 0;
}

function putU32(bytes: Uint8Array, at: number, v: number): void {
  bytes[at] = v & 0xff;
  bytes[at + 1] = (v >>> 8) & 0xff;
  bytes[at + 2] = (v >>> 16) & 0xff;
  bytes[at + 3] = (v >>> 24) & 0xff;
}

export function encodeFrame(payload: Uint8Array): Uint8Array {
  const frame = new Uint8Array(FRAME_HEADER_BYTES + payload.length);
  frame.set(MAGIC, 0);
  putU32(frame, 4, payload.length);
  putU32(frame, 8, crc32(frame.subarray(0, 8)));
  putU32(frame, 12, crc32(payload));
  frame.set(payload, FRAME_HEADER_BYTES);
  return frame;
}

export interface Frame {
  /** Offset of the frame's first byte in the file. */
  offset: number;
  /** Whole frame length (header + payload). */
  size: number;
  payload: Uint8Array;
}

/** Why the bytes at an offset are not a frame. */
export type FrameFault = 'short-header' | 'bad-magic' | 'header-crc' | 'oversize' | 'past-end' | 'payload-crc';

export function readFrameAt(bytes: Uint8Array, at: number): Frame | FrameFault {
  if (bytes.length - at < FRAME_HEADER_BYTES) return 'short-header';
  if (bytes[at] !== MAGIC[0] || bytes[at + 1] !== MAGIC[1] || bytes[at + 2] !== MAGIC[2] || bytes[at + 3] !== MAGIC[3]) return 'bad-magic';
  if (crc32(bytes.subarray(at, at + 8)) !== u32(bytes, at + 8)) return 'header-crc';
  const len = u32(bytes, at + 4);
  if (len > MAX_PAYLOAD_BYTES) return 'oversize';
  const end = at + FRAME_HEADER_BYTES + len;
  if (end > bytes.length) return 'past-end';
  const payload = bytes.subarray(at + FRAME_HEADER_BYTES, end);
  if (crc32(payload) !== u32(bytes, at + 12)) return 'payload-crc';
  return { offset: at, size: FRAME_HEADER_BYTES + len, payload };
}

export const FRAME_FAULT_TEXT: Readonly<Record<FrameFault, string>> = {
  'short-header': 'fewer bytes left than a frame header',
  'bad-magic': 'no frame magic "DZJ1"',
  'header-crc': 'frame header CRC mismatch',
  oversize: 'frame length over the 1 MiB limit',
  'past-end': 'frame runs past the end of the file',
  'payload-crc': 'payload CRC mismatch',
};

// ---- checkpoints ----

export interface CheckpointFields {
  device: string;
  /** The checkpoint record's own seq: it seals records 0 … seq − 1. */
  seq: number;
  /** Hash of record seq − 1 (the checkpoint record's prev). */
  head: Uint8Array;
  wall: number;
  mono: number;
  reason: string;
}

/** The exact bytes a checkpoint signature covers (UTF-8 text, LF line ends). */
export function checkpointMessage(f: CheckpointFields): Uint8Array {
  const text =
    'dozor-journal-checkpoint/v1\n' +
    `device ${f.device}\n` +
    `seq ${f.seq}\n` +
    `head ${toHex(f.head)}\n` +
    `wall ${f.wall}\n` +
    `mono ${f.mono}\n` +
    `reason ${f.reason}\n`;
  return new TextEncoder().encode(text);
}

/** Device ids appear in signed text lines: printable ASCII without spaces. */
export const DEVICE_ID_RE = /^[\x21-\x7e]{1,64}$/;

/** Checks a file header's data; returns a reason when it is not acceptable. */
export function checkFileHeader(data: Record<string, unknown>): string | null {
  const keys = Object.keys(data).sort().join(',');
  if (keys !== 'device,file,format,keyId,publicKey,version') return `header fields must be format, version, device, keyId, publicKey, file (got ${keys})`;
  if (data.format !== FORMAT_NAME) return `format must be "${FORMAT_NAME}"`;
  if (data.version !== FORMAT_VERSION) return `unsupported format version ${String(data.version)}`;
  if (typeof data.device !== 'string' || !DEVICE_ID_RE.test(data.device)) return 'device must be printable ASCII without spaces';
  if (!(data.publicKey instanceof Uint8Array) || data.publicKey.length !== 32) return 'publicKey must be 32 bytes';
  if (data.keyId !== keyIdOf(data.publicKey)) return 'keyId does not match publicKey';
  if (!Number.isSafeInteger(data.file) || (data.file as number) < 0) return 'file must be a non-negative integer';
  return null;
}

export function checkCheckpointData(data: Record<string, unknown>): string | null {
  const keys = Object.keys(data).sort().join(',');
  if (keys !== 'keyId,reason,signature') return `checkpoint fields must be reason, keyId, signature (got ${keys})`;
  if (typeof data.reason !== 'string' || !(CHECKPOINT_REASONS as readonly string[]).includes(data.reason)) return `unknown checkpoint reason ${String(data.reason)}`;
  if (typeof data.keyId !== 'string') return 'keyId must be a string';
  if (!(data.signature instanceof Uint8Array) || data.signature.length !== 64) return 'signature must be 64 bytes';
  return null;
}

/** A checkpoint as handed to the dock/server: enough to check it with the device's public key alone. */
export interface SignedCheckpoint {
  device: string;
  keyId: string;
  seq: number;
  /** Hex SHA-256 of record seq − 1. */
  head: string;
  wall: number;
  mono: number;
  reason: CheckpointReason;
  /** Hex Ed25519 signature over checkpointMessage. */
  signature: string;
}
