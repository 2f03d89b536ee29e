/**
 * The card registration token (R-CARD-3): a small signed file the device writes onto a card when
 * it executes an authorised 'register-card' command. A CID alone cannot identify a card (it is
 * invisible through USB readers, and counterfeit cards let it be rewritten), so a card counts as
 * registered only when its CID, this token and the device all agree.
 *
 * It lives in `protocol/` because three parties read it: the device (firmware), the dock or
 * server when a vehicle recorder's card is taken out and offloaded directly (MVD 12), and the
 * simulator (which makes "a card from another device" for scenarios).
 *
 * Format v1 (all integers big-endian; full description and a test vector in
 * docs/card-registration.md):
 *
 * | offset | size | field |
 * |---|---|---|
 * | 0  | 4  | magic "DZCT" |
 * | 4  | 1  | version = 1 |
 * | 5  | 15 | card identity: CID bytes 0–14 (bits 127:8; the CRC byte is left out because SDHCI hosts strip it) |
 * | 20 | 8  | device key id: first 8 bytes of SHA-256 of the device's Ed25519 public key |
 * | 28 | 8  | registeredAt: device wall time, ms since the Unix epoch (u64) |
 * | 36 | 8  | key id of the responsible person's key that authorised the registration |
 * | 44 | 8  | that authorisation's counter (u64) |
 * | 52 | 1+n | device serial number (length byte n = 1–64, then UTF-8) |
 * | …  | 1+n | device inventory number (R-CARD-1) |
 * | …  | 1+n | card inventory number (R-CARD-1) |
 * | …  | 64 | Ed25519 signature by the device key over "dozor-card-token-v1\0" ‖ every byte above |
 */
import { DozorError } from '../hal/errors.ts';
import { fromHex, toHex, verifyEd25519, type Ed25519PrivateKey } from './crypto.ts';

/** The card folder reserved for the device's own files (token, evidence index): never evidence, never written by the recorder. */
export const CARD_RESERVED_PREFIX = 'dozor/';

/** Where the token lives on the card. */
export const CARD_TOKEN_PATH = `${CARD_RESERVED_PREFIX}registration.token`;

const MAGIC = [0x44, 0x5a, 0x43, 0x54]; // "DZCT"
const VERSION = 1;
const DOMAIN = new TextEncoder().encode('dozor-card-token-v1\0');
const FIXED = 52;
const SIG = 64;
const MAX_TEXT = 64;

export interface CardTokenBody {
  /** CID bits 127:8 as 30 lower-case hex digits (see `cidIdentity` in hal/drivers/sd-cid.ts). */
  cidIdentity: string;
  /** Key id of the device that signed (16 hex digits, `keyIdOf`). Filled in by `signCardToken`. */
  deviceKeyId: string;
  deviceSerial: string;
  deviceInventoryNumber: string;
  cardInventoryNumber: string;
  /** Device wall time of the registration (ms since epoch). */
  registeredAt: number;
  /** Key id and counter of the 'register-card' authorisation that ordered it. */
  authKeyId: string;
  authCounter: number;
}

export interface CardToken extends CardTokenBody {
  /** The whole token file. */
  bytes: Uint8Array;
  signature: Uint8Array;
}

export class CardTokenError extends DozorError {
  constructor(detail: string) {
    super('ECARDTOKEN', `card registration token: ${detail}`);
  }
}

const enc = new TextEncoder();
const dec = new TextDecoder('utf-8', { fatal: true });

function textField(value: unknown, what: string): Uint8Array {
  if (typeof value !== 'string' || value.length === 0) throw new CardTokenError(`${what} must be a non-empty string`);
  // Control characters would make the journal and printed forms ambiguous.
  if (/\p{Cc}/u.test(value)) throw new CardTokenError(`${what} contains control characters`);
  const bytes = enc.encode(value);
  if (bytes.length > MAX_TEXT) throw new CardTokenError(`${what} is longer than ${MAX_TEXT} bytes`);
  return bytes;
}

function hexField(value: unknown, what: string, bytes: number): Uint8Array {
  if (typeof value !== 'string' || !new RegExp(`^[0-9a-f]{${bytes * 2}}$`).test(value)) {
    throw new CardTokenError(`${what} must be ${bytes * 2} lower-case hex digits`);
  }
  return fromHex(value);
}

function u64(value: unknown, what: string): bigint {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) throw new CardTokenError(`${what} must be a non-negative safe integer`);
  return BigInt(value);
}

function signedMessage(body: Uint8Array): Uint8Array {
  const out = new Uint8Array(DOMAIN.length + body.length);
  out.set(DOMAIN, 0);
  out.set(body, DOMAIN.length);
  return out;
}

/** Encodes and signs a token with the device key; `deviceKeyId` is taken from the key. */
export function signCardToken(deviceKey: Ed25519PrivateKey, body: Omit<CardTokenBody, 'deviceKeyId'>): Uint8Array {
  const id = hexField(body.cidIdentity, 'cidIdentity', 15);
  const devKey = hexField(deviceKey.keyId, 'deviceKeyId', 8);
  const authKey = hexField(body.authKeyId, 'authKeyId', 8);
  const serial = textField(body.deviceSerial, 'deviceSerial');
  const devInv = textField(body.deviceInventoryNumber, 'deviceInventoryNumber');
  const cardInv = textField(body.cardInventoryNumber, 'cardInventoryNumber');
  const at = u64(body.registeredAt, 'registeredAt');
  const counter = u64(body.authCounter, 'authCounter');

  const len = FIXED + 3 + serial.length + devInv.length + cardInv.length;
  const buf = new Uint8Array(len + SIG);
  const view = new DataView(buf.buffer);
  buf.set(MAGIC, 0);
  buf[4] = VERSION;
  buf.set(id, 5);
  buf.set(devKey, 20);
  view.setBigUint64(28, at);
  buf.set(authKey, 36);
  view.setBigUint64(44, counter);
  let p = FIXED;
  for (const t of [serial, devInv, cardInv]) {
    buf[p] = t.length;
    buf.set(t, p + 1);
    p += 1 + t.length;
  }
  buf.set(deviceKey.sign(signedMessage(buf.subarray(0, len))), len);
  return buf;
}

/** Parses a token file; throws `CardTokenError` when it is not a well-formed v1 token. Does not check the signature. */
export function decodeCardToken(bytes: Uint8Array): CardToken {
  if (!(bytes instanceof Uint8Array)) throw new CardTokenError('not bytes');
  if (bytes.length < FIXED + 3 + SIG) throw new CardTokenError(`too short (${bytes.length} bytes)`);
  if (MAGIC.some((m, i) => bytes[i] !== m)) throw new CardTokenError('bad magic (not a Dozor card token)');
  if (bytes[4] !== VERSION) throw new CardTokenError(`unsupported version ${bytes[4]}`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const texts: string[] = [];
  let p = FIXED;
  for (const what of ['deviceSerial', 'deviceInventoryNumber', 'cardInventoryNumber']) {
    const n = bytes[p];
    if (n === undefined || n === 0 || n > MAX_TEXT || p + 1 + n > bytes.length - SIG) throw new CardTokenError(`${what}: bad length`);
    try {
      texts.push(dec.decode(bytes.subarray(p + 1, p + 1 + n)));
    } catch {
      throw new CardTokenError(`${what}: not UTF-8`);
    }
    p += 1 + n;
  }
  if (p + SIG !== bytes.length) throw new CardTokenError(`length ${bytes.length} does not match its fields (${p + SIG})`);
  const registeredAt = view.getBigUint64(28);
  const authCounter = view.getBigUint64(44);
  if (registeredAt > BigInt(Number.MAX_SAFE_INTEGER) || authCounter > BigInt(Number.MAX_SAFE_INTEGER)) {
    throw new CardTokenError('time or counter out of range');
  }
  return {
    cidIdentity: toHex(bytes.subarray(5, 20)),
    deviceKeyId: toHex(bytes.subarray(20, 28)),
    registeredAt: Number(registeredAt),
    authKeyId: toHex(bytes.subarray(36, 44)),
    authCounter: Number(authCounter),
    deviceSerial: texts[0],
    deviceInventoryNumber: texts[1],
    cardInventoryNumber: texts[2],
    bytes: bytes.slice(),
    signature: bytes.slice(p, p + SIG),
  };
}

/** True when the token's signature verifies with this device public key. */
export function verifyCardToken(token: CardToken, devicePublicKey: Uint8Array): boolean {
  const body = token.bytes.subarray(0, token.bytes.length - SIG);
  return verifyEd25519(devicePublicKey, signedMessage(body), token.signature);
}
