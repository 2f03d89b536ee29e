/**
 * Statements a dock (or storage server) signs for a device: offload receipts (R-OFF-2) and time
 * attestations (R-TIME-2). Same construction as signed authorisations (authorization.ts): a
 * MessagePack body signed as-is with Ed25519, the message being a domain string ‖ body, so a
 * receipt can never be passed off as a time attestation or an authorisation.
 *
 *     receipt signature = Ed25519(dockKey, "dozor-receipt-v1\0" ‖ body)
 *     time  signature   = Ed25519(dockKey, "dozor-time-v1\0" ‖ body)
 *
 * Only keys provisioned on the device with the role `dock` are accepted.
 */
import { z } from 'zod';
import { DozorError } from '../hal/errors.ts';
import type { TrustedKey } from './authorization.ts';
import { toHex, verifyEd25519, type Ed25519PrivateKey } from './crypto.ts';
import { pack, unpackMap } from './msgpack.ts';

export interface SignedStatement {
  /** MessagePack body: signed as-is, never re-encoded. */
  body: Uint8Array;
  signature: Uint8Array;
}

export type StatementFailure = 'malformed' | 'unknown-key' | 'bad-signature' | 'role-not-allowed' | 'wrong-device' | 'mismatch' | 'stale';

export class StatementError extends DozorError {
  constructor(
    readonly statement: 'receipt' | 'time',
    readonly reason: StatementFailure,
    detail: string,
  ) {
    super(`E${statement === 'receipt' ? 'RECEIPT' : 'TIME'}_${reason.toUpperCase().replace(/-/g, '_')}`, `${statement} refused (${reason}): ${detail}`);
  }
}

const RECEIPT_DOMAIN = new TextEncoder().encode('dozor-receipt-v1\0');
const TIME_DOMAIN = new TextEncoder().encode('dozor-time-v1\0');

function withDomain(domain: Uint8Array, body: Uint8Array): Uint8Array {
  const out = new Uint8Array(domain.length + body.length);
  out.set(domain, 0);
  out.set(body, domain.length);
  return out;
}

const binary = z.custom<Uint8Array>((v) => v instanceof Uint8Array, 'must be MessagePack bin');
const sha256Bytes = binary.refine((b) => b.length === 32, 'must be 32 bytes');
const ms = z.number().int().min(Number.MIN_SAFE_INTEGER).max(Number.MAX_SAFE_INTEGER);

const receiptSchema = z.object({
  v: z.literal(1),
  kind: z.literal('receipt'),
  device: z.string().min(1).max(128),
  path: z.string().min(1).max(512),
  size: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER),
  sha256: sha256Bytes,
  storedAt: ms,
  store: z.string().min(1).max(128),
  keyId: z.string().regex(/^[0-9a-f]{16}$/),
});

const timeSchema = z.object({
  v: z.literal(1),
  kind: z.literal('time'),
  device: z.string().min(1).max(128),
  nonce: binary.refine((b) => b.length === 16, 'must be 16 bytes'),
  time: ms,
  host: z.string().min(1).max(128),
  keyId: z.string().regex(/^[0-9a-f]{16}$/),
});

/** The server holds a verified copy of exactly these bytes (R-OFF-2). */
export type ReceiptBody = z.infer<typeof receiptSchema>;
/** The dock's trusted wall time, bound to the device's session nonce so it cannot be replayed. */
export type TimeAttestationBody = z.infer<typeof timeSchema>;

function decode<T>(statement: 'receipt' | 'time', schema: z.ZodType<T>, body: Uint8Array): T {
  let map: Record<string, unknown>;
  try {
    map = unpackMap(body);
  } catch (err) {
    throw new StatementError(statement, 'malformed', (err as Error).message);
  }
  const r = schema.safeParse(map);
  if (!r.success) throw new StatementError(statement, 'malformed', `${r.error.issues[0].path.join('.')}: ${r.error.issues[0].message}`);
  return r.data;
}

function checkSignature(statement: 'receipt' | 'time', domain: Uint8Array, s: SignedStatement, keyId: string, trusted: readonly TrustedKey[]): TrustedKey {
  const key = trusted.find((k) => k.keyId === keyId);
  if (!key) throw new StatementError(statement, 'unknown-key', `key ${keyId} is not provisioned`);
  if (key.role !== 'dock') throw new StatementError(statement, 'role-not-allowed', `key ${keyId} has role ${key.role}, not dock`);
  if (!verifyEd25519(key.publicKey, withDomain(domain, s.body), s.signature)) {
    throw new StatementError(statement, 'bad-signature', `signature does not verify with key ${keyId} (${key.name})`);
  }
  return key;
}

// ---- receipts ----

export function signReceipt(key: Ed25519PrivateKey, r: Omit<ReceiptBody, 'v' | 'kind' | 'keyId'>): SignedStatement {
  const body = pack({
    v: 1,
    kind: 'receipt',
    device: r.device,
    path: r.path,
    size: r.size,
    sha256: r.sha256,
    storedAt: r.storedAt,
    store: r.store,
    keyId: key.keyId,
  });
  return { body, signature: key.sign(withDomain(RECEIPT_DOMAIN, body)) };
}

export function decodeReceiptBody(body: Uint8Array): ReceiptBody {
  return decode('receipt', receiptSchema, body);
}

export interface ReceiptExpectation {
  /** This device's serial number. */
  device: string;
  trusted: readonly TrustedKey[];
  /** The device's own record of the file; the receipt must match it exactly. */
  file?: { path: string; size: number; sha256: Uint8Array | string };
}

/** Checks schema, key, role, signature, device and (when given) the exact file. */
export function verifyReceipt(s: SignedStatement, expect: ReceiptExpectation): ReceiptBody {
  const body = decodeReceiptBody(s.body);
  checkSignature('receipt', RECEIPT_DOMAIN, s, body.keyId, expect.trusted);
  if (body.device !== expect.device) throw new StatementError('receipt', 'wrong-device', `made for ${body.device}, this is ${expect.device}`);
  if (expect.file) {
    const want = typeof expect.file.sha256 === 'string' ? expect.file.sha256 : toHex(expect.file.sha256);
    const got = toHex(body.sha256);
    if (body.path !== expect.file.path || body.size !== expect.file.size || got !== want) {
      throw new StatementError(
        'receipt',
        'mismatch',
        `receipt is for ${body.path} (${body.size} B, ${got.slice(0, 16)}…), device holds ${expect.file.path} (${expect.file.size} B, ${want.slice(0, 16)}…)`,
      );
    }
  }
  return body;
}

// ---- time attestations ----

export function signTimeAttestation(key: Ed25519PrivateKey, t: Omit<TimeAttestationBody, 'v' | 'kind' | 'keyId'>): SignedStatement {
  const body = pack({ v: 1, kind: 'time', device: t.device, nonce: t.nonce, time: t.time, host: t.host, keyId: key.keyId });
  return { body, signature: key.sign(withDomain(TIME_DOMAIN, body)) };
}

export function decodeTimeAttestationBody(body: Uint8Array): TimeAttestationBody {
  return decode('time', timeSchema, body);
}

export interface TimeExpectation {
  device: string;
  /** The nonce this device sent in device-info for the current session. */
  nonce: Uint8Array;
  trusted: readonly TrustedKey[];
}

export function verifyTimeAttestation(s: SignedStatement, expect: TimeExpectation): TimeAttestationBody {
  const body = decodeTimeAttestationBody(s.body);
  checkSignature('time', TIME_DOMAIN, s, body.keyId, expect.trusted);
  if (body.device !== expect.device) throw new StatementError('time', 'wrong-device', `made for ${body.device}, this is ${expect.device}`);
  if (toHex(body.nonce) !== toHex(expect.nonce)) throw new StatementError('time', 'stale', 'nonce is not this session’s: a replayed or foreign attestation');
  return body;
}
