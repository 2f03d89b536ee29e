/**
 * Hashing and Ed25519 over node:crypto, with keys as raw bytes so they can be provisioned,
 * stored and compared without PEM/DER plumbing everywhere.
 */
import { createHash, createPrivateKey, createPublicKey, sign, verify, type KeyObject } from 'node:crypto';

// DER prefixes that wrap a raw 32-byte Ed25519 seed / public key (RFC 8410).
const PKCS8_ED25519_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');
const SPKI_ED25519_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');

export function sha256(...parts: Uint8Array[]): Uint8Array {
  const h = createHash('sha256');
  for (const p of parts) h.update(p);
  return new Uint8Array(h.digest());
}

export function sha256Hex(...parts: Uint8Array[]): string {
  return Buffer.from(sha256(...parts)).toString('hex');
}

export function toHex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
}

export function fromHex(hex: string): Uint8Array {
  if (!/^(?:[0-9a-fA-F]{2})*$/.test(hex)) throw new RangeError(`not a hex string: ${hex.slice(0, 20)}`);
  return new Uint8Array(Buffer.from(hex, 'hex'));
}

/** A short, stable identifier of a public key: first 8 bytes of its SHA-256, hex. */
export function keyIdOf(publicKey: Uint8Array): string {
  return sha256Hex(publicKey).slice(0, 16);
}

export class Ed25519PrivateKey {
  private readonly key: KeyObject;
  readonly publicKey: Uint8Array;
  readonly keyId: string;

  /** `seed`: the 32-byte private key (from provisioning, or derived from a simulation seed). */
  constructor(seed: Uint8Array) {
    if (seed.length !== 32) throw new RangeError(`Ed25519 seed must be 32 bytes, got ${seed.length}`);
    this.key = createPrivateKey({ key: Buffer.concat([PKCS8_ED25519_PREFIX, seed]), format: 'der', type: 'pkcs8' });
    const spki = createPublicKey(this.key).export({ format: 'der', type: 'spki' });
    this.publicKey = new Uint8Array(spki.subarray(spki.length - 32));
    this.keyId = keyIdOf(this.publicKey);
  }

  /** Deterministic (RFC 8032): same key and message, same signature. */
  sign(message: Uint8Array): Uint8Array {
    return new Uint8Array(sign(null, message, this.key));
  }
}

const publicKeyCache = new Map<string, KeyObject>();

export function verifyEd25519(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean {
  if (publicKey.length !== 32 || signature.length !== 64) return false;
  const id = toHex(publicKey);
  let key = publicKeyCache.get(id);
  if (!key) {
    key = createPublicKey({ key: Buffer.concat([SPKI_ED25519_PREFIX, publicKey]), format: 'der', type: 'spki' });
    if (publicKeyCache.size > 1024) publicKeyCache.clear();
    publicKeyCache.set(id, key);
  }
  try {
    return verify(null, message, key, signature);
  } catch {
    return false;
  }
}

/** Derives a 32-byte key seed from a label, for simulated devices and test fixtures only. */
export function deriveTestSeed(label: string): Uint8Array {
  return sha256(new TextEncoder().encode(`dozor-test-key:${label}`));
}
