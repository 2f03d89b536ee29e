/**
 * The envelope and the message catalogue (docs/protocol.md §3–§5).
 *
 * Envelope (12 bytes, little-endian), then the payload, one MessagePack map:
 *
 *     0  version u8   = 1
 *     1  type    u8   message type (MESSAGE_TYPES)
 *     2  flags   u8   reserved, 0
 *     3  rsvd    u8   reserved, 0
 *     4  seq     u32  sender's frame counter, 1, 2, … (wraps to 1; 0 never used)
 *     8  ack     u32  seq of the request this frame answers; 0 when it answers nothing
 *     12 payload      MessagePack map
 *
 * Every payload is validated against its schema; unknown fields are ignored (forward
 * compatibility), missing or mistyped ones are rejected with EINVALID.
 */
import { z } from 'zod';
import { pack, unpackMap, type Packable } from './msgpack.ts';
import { MessageError } from './errors.ts';
import { crc32, crc32Combine } from './crc32.ts';
import { ENVELOPE_HEADER_SIZE, MAX_MAX_BODY, MIN_MAX_BODY } from './framing.ts';

export const ENVELOPE_VERSION = 1;
/** The protocol version carried in hello / device-info. */
export const PROTOCOL_VERSION = 1;

// ---- field types ----
const uint = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);
const int = z.number().int().min(Number.MIN_SAFE_INTEGER).max(Number.MAX_SAFE_INTEGER);
const u32 = z.number().int().min(0).max(0xffffffff);
const epochMs = int;
const anyBytes = z.custom<Uint8Array>((v) => v instanceof Uint8Array, 'must be MessagePack bin');
const bytes = (min: number, max: number) =>
  anyBytes.refine((b) => b.length >= min && b.length <= max, `must be ${min === max ? min : `${min}..${max}`} bytes`);
const sha256 = bytes(32, 32);
const ident = z.string().min(1).max(128);
const text = z.string().max(1024);
const storagePath = z.string().min(1).max(512);
const maxFrame = z.number().int().min(MIN_MAX_BODY).max(MAX_MAX_BODY);
/** A signed object: MessagePack body signed as-is, plus an Ed25519 signature. */
const signedObject = z.object({ body: bytes(1, 4096), sig: bytes(0, 128).optional() });
const freeMap = z.record(z.string(), z.unknown());

export const fileEntrySchema = z.object({
  path: storagePath,
  size: uint,
  sha256,
  kind: z.string().min(1).max(32),
  start: epochMs.optional(),
  end: epochMs.optional(),
});

export const PAYLOAD_SCHEMAS = {
  hello: z.object({
    proto: z.number().int().min(0).max(255),
    role: z.enum(['dock', 'server', 'tester']),
    host: ident,
    keyId: z.string().regex(/^[0-9a-f]{16}$/),
    publicKey: bytes(32, 32),
    time: epochMs,
    maxFrame,
  }),
  'device-info': z.object({
    proto: z.number().int().min(0).max(255),
    device: ident,
    kind: z.enum(['bodycam', 'vehicle', 'radar']),
    model: text,
    firmware: text,
    inventory: z.string().max(128),
    nonce: bytes(16, 16),
    maxFrame,
    time: epochMs,
    clockTrusted: z.boolean(),
  }),
  ping: z.object({}),
  pong: z.object({}),
  bye: z.object({ reason: text }),
  error: z.object({ code: z.string().min(1).max(64), message: text }),
  ok: z.object({}),
  'status-get': z.object({}),
  status: z.object({
    time: epochMs,
    clockTrusted: z.boolean(),
    batteryHours: z.number().min(0).max(1000),
    batteries: z.array(z.object({ slot: z.number().int().min(0).max(1), present: z.boolean(), soc: z.number().min(0).max(100) })).max(2),
    externalPower: z.boolean(),
    charging: z.boolean(),
    seal: z.enum(['closed', 'open', 'unknown']),
    card: z.object({
      present: z.boolean(),
      cid: z.string().regex(/^[0-9a-f]{32}$/).optional(),
      inventory: z.string().max(128).optional(),
      registered: z.boolean(),
    }),
    onDuty: z.boolean(),
    issued: z.boolean(),
    pendingFiles: uint,
    pendingBytes: uint,
    freeBytes: uint.optional(),
  }),
  charge: z.object({ enable: z.boolean() }),
  'time-sync': z.object({ att: signedObject }),
  'time-result': z.object({ driftMs: int, applied: z.boolean(), reason: z.string().max(64) }),
  command: z.object({ auth: signedObject }),
  'command-result': z.object({ action: z.string().max(64), counter: uint, result: freeMap }),
  'list-files': z.object({ after: storagePath.optional(), limit: z.number().int().min(1).max(1000) }),
  'file-list': z.object({ files: z.array(fileEntrySchema).max(1000), more: z.boolean() }),
  read: z.object({
    path: storagePath,
    offset: uint,
    length: z.number().int().min(1).max(2 ** 31),
    sha256,
    restart: z.boolean().optional(),
  }),
  chunk: z.object({ offset: uint, crc: u32, data: bytes(1, MAX_MAX_BODY) }),
  receipt: z.object({ receipt: signedObject }),
  'receipt-ack': z.object({ path: storagePath, sha256, state: z.enum(['accepted', 'already']) }),
  alert: z.object({ id: ident, kind: z.string().min(1).max(64), at: epochMs, detail: freeMap }),
} as const;

export type MessageName = keyof typeof PAYLOAD_SCHEMAS;
export type Payload<N extends MessageName> = z.infer<(typeof PAYLOAD_SCHEMAS)[N]>;
export type FileEntry = z.infer<typeof fileEntrySchema>;

/** Who may send a message: host (dock, server, tester) to device, device to host, or either. */
export type Direction = 'host' | 'device' | 'any';
/** request: expects a reply; reply: answers a request (ack = its seq); notice: neither. */
export type Kind = 'request' | 'reply' | 'reply-or-notice' | 'notice';

export interface MessageSpec {
  name: MessageName;
  type: number;
  from: Direction;
  kind: Kind;
  /** Reply types a request is answered with (besides `error`). */
  replies?: readonly MessageName[];
}

export const MESSAGES: readonly MessageSpec[] = [
  { name: 'hello', type: 0x01, from: 'host', kind: 'request', replies: ['device-info'] },
  { name: 'device-info', type: 0x02, from: 'device', kind: 'reply' },
  { name: 'ping', type: 0x03, from: 'any', kind: 'request', replies: ['pong'] },
  { name: 'pong', type: 0x04, from: 'any', kind: 'reply' },
  { name: 'bye', type: 0x05, from: 'any', kind: 'notice' },
  { name: 'error', type: 0x06, from: 'any', kind: 'reply-or-notice' },
  { name: 'ok', type: 0x07, from: 'any', kind: 'reply' },
  { name: 'status-get', type: 0x10, from: 'host', kind: 'request', replies: ['status'] },
  { name: 'status', type: 0x11, from: 'device', kind: 'reply-or-notice' },
  { name: 'charge', type: 0x12, from: 'host', kind: 'request', replies: ['ok'] },
  { name: 'time-sync', type: 0x20, from: 'host', kind: 'request', replies: ['time-result'] },
  { name: 'time-result', type: 0x21, from: 'device', kind: 'reply' },
  { name: 'command', type: 0x30, from: 'host', kind: 'request', replies: ['command-result'] },
  { name: 'command-result', type: 0x31, from: 'device', kind: 'reply' },
  { name: 'list-files', type: 0x40, from: 'host', kind: 'request', replies: ['file-list'] },
  { name: 'file-list', type: 0x41, from: 'device', kind: 'reply' },
  { name: 'read', type: 0x42, from: 'host', kind: 'request', replies: ['chunk'] },
  { name: 'chunk', type: 0x43, from: 'device', kind: 'reply' },
  { name: 'receipt', type: 0x44, from: 'host', kind: 'request', replies: ['receipt-ack'] },
  { name: 'receipt-ack', type: 0x45, from: 'device', kind: 'reply' },
  { name: 'alert', type: 0x50, from: 'device', kind: 'request', replies: ['ok'] },
];

export const SPEC_BY_NAME = new Map(MESSAGES.map((m) => [m.name, m]));
export const SPEC_BY_TYPE = new Map(MESSAGES.map((m) => [m.type, m]));

export function typeOf(name: MessageName): number {
  return SPEC_BY_NAME.get(name)!.type;
}

export interface Envelope {
  version: number;
  type: number;
  seq: number;
  ack: number;
}

/** A decoded, validated message. */
export type Message = {
  [N in MessageName]: { name: N; type: number; seq: number; ack: number; payload: Payload<N> };
}[MessageName];

export type MessageOf<N extends MessageName> = Extract<Message, { name: N }>;

function header(type: number, seq: number, ack: number): Uint8Array {
  const h = new Uint8Array(ENVELOPE_HEADER_SIZE);
  const v = new DataView(h.buffer);
  h[0] = ENVELOPE_VERSION;
  h[1] = type;
  v.setUint32(4, seq >>> 0, true);
  v.setUint32(8, ack >>> 0, true);
  return h;
}

const DATA_KEY = new Uint8Array([0xa4, 0x64, 0x61, 0x74, 0x61]); // fixstr "data"

function binHeader(n: number): Uint8Array {
  if (n < 0x100) return new Uint8Array([0xc4, n]);
  if (n < 0x10000) return new Uint8Array([0xc5, n >> 8, n & 0xff]);
  return new Uint8Array([0xc6, (n >>> 24) & 0xff, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff]);
}

/**
 * Encodes a message into body parts (envelope + payload) for `encodeFrame`. A chunk's data is
 * returned as its own part so it is never copied before framing; the bytes are identical to
 * packing the whole map.
 */
export function encodeMessageParts<N extends MessageName>(name: N, payload: Payload<N>, seq: number, ack = 0): Uint8Array[] {
  const spec = SPEC_BY_NAME.get(name);
  if (!spec) throw new RangeError(`unknown message ${name}`);
  const h = header(spec.type, seq, ack);
  if (name === 'chunk') {
    const c = payload as Payload<'chunk'>;
    const head = pack({ offset: c.offset, crc: c.crc });
    // {offset, crc} packs as fixmap(2); the data field makes it fixmap(3).
    const first = new Uint8Array(ENVELOPE_HEADER_SIZE + head.length + DATA_KEY.length);
    first.set(h, 0);
    first.set(head, ENVELOPE_HEADER_SIZE);
    first[ENVELOPE_HEADER_SIZE] = 0x83;
    first.set(DATA_KEY, ENVELOPE_HEADER_SIZE + head.length);
    return [first, binHeader(c.data.length), c.data];
  }
  const body = pack(payload as unknown as Packable);
  const out = new Uint8Array(ENVELOPE_HEADER_SIZE + body.length);
  out.set(h, 0);
  out.set(body, ENVELOPE_HEADER_SIZE);
  return [out];
}

/** Encodes a message into one body (envelope + payload). */
export function encodeMessage<N extends MessageName>(name: N, payload: Payload<N>, seq: number, ack = 0): Uint8Array {
  const parts = encodeMessageParts(name, payload, seq, ack);
  if (parts.length === 1) return parts[0];
  const total = parts.reduce((n, p) => n + p.length, 0);
  const out = new Uint8Array(total);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** Reads the envelope header; throws MessageError for a wrong version or reserved bits. */
export function decodeEnvelope(body: Uint8Array): Envelope {
  if (body.length < ENVELOPE_HEADER_SIZE) {
    throw new MessageError('EPAYLOAD', `body of ${body.length} bytes is shorter than the ${ENVELOPE_HEADER_SIZE}-byte envelope`);
  }
  const v = new DataView(body.buffer, body.byteOffset, body.byteLength);
  const env = { version: body[0], type: body[1], seq: v.getUint32(4, true), ack: v.getUint32(8, true) };
  if (env.version !== ENVELOPE_VERSION) {
    throw new MessageError('EVERSION', `envelope version ${env.version} is not supported (this side speaks ${ENVELOPE_VERSION})`, env.seq, env.type);
  }
  if (body[2] !== 0 || body[3] !== 0) {
    throw new MessageError('EFLAGS', `reserved envelope bits set (flags 0x${body[2].toString(16)}, 0x${body[3].toString(16)})`, env.seq, env.type);
  }
  return env;
}

/**
 * Decodes and validates a frame body into a message; every rejection is a MessageError. A
 * chunk's CRC-32 is checked against its data (ECHUNK_CRC); pass the frame's verified CRC-32 as
 * `frameCrc` to check it by combining instead of reading the data again.
 */
export function decodeMessage(body: Uint8Array, frameCrc?: number): Message {
  const env = decodeEnvelope(body);
  const spec = SPEC_BY_TYPE.get(env.type);
  if (!spec) throw new MessageError('EUNKNOWN_TYPE', `unknown message type 0x${env.type.toString(16).padStart(2, '0')}`, env.seq, env.type);
  let map: Record<string, unknown>;
  try {
    map = unpackMap(body.subarray(ENVELOPE_HEADER_SIZE));
  } catch (err) {
    const e = err as MessageError;
    throw new MessageError(e.wireCode, `${spec.name}: ${e.message}`, env.seq, env.type, { cause: err });
  }
  const parsed = PAYLOAD_SCHEMAS[spec.name].safeParse(map);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue.path.length > 0 ? issue.path.join('.') : '(payload)';
    throw new MessageError('EINVALID', `${spec.name}: ${where}: ${issue.message}`, env.seq, env.type);
  }
  if (spec.name === 'chunk') checkChunk(body, parsed.data as Payload<'chunk'>, frameCrc, env.seq);
  return { name: spec.name, type: env.type, seq: env.seq, ack: env.ack, payload: parsed.data } as Message;
}

function checkChunk(body: Uint8Array, c: Payload<'chunk'>, frameCrc: number | undefined, seq: number): void {
  const d = c.data;
  const at = d.byteOffset - body.byteOffset;
  let ok: boolean;
  if (frameCrc !== undefined && d.buffer === body.buffer && at >= 0 && at + d.length <= body.length) {
    // CRC(body) = CRC(prefix ‖ data ‖ suffix): equal to the frame's iff the claimed data CRC is right.
    const prefix = crc32(body.subarray(0, at));
    const suffix = body.subarray(at + d.length);
    ok = crc32Combine(crc32Combine(prefix, c.crc, d.length), crc32(suffix), suffix.length) === frameCrc;
  } else {
    ok = crc32(d) === c.crc;
  }
  if (!ok) throw new MessageError('ECHUNK_CRC', `chunk at ${c.offset}: CRC-32 0x${c.crc.toString(16)} does not match its ${d.length} bytes`, seq, 0x43);
}
