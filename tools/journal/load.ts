/** Reading journal files, keys and checkpoints from disk for the `dozor journal` commands. */
import { createPublicKey } from 'node:crypto';
import { readFile, readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { FILE_NAME_RE, type SignedCheckpoint } from '../../firmware/journal/format.ts';
import type { JournalFileInput } from '../../firmware/journal/reader.ts';
import { trustedKeyFromJson, ROLES, type TrustedKey, type TrustedKeyJson } from '../../protocol/authorization.ts';
import { fromHex } from '../../protocol/crypto.ts';
import { InputError } from '../cli/errors.ts';

function describe(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  if (e?.code === 'ENOENT') return 'no such file or folder';
  if (e?.code === 'EACCES' || e?.code === 'EPERM') return 'permission denied';
  if (e?.code === 'EISDIR') return 'is a folder';
  return e?.message ?? String(err);
}

async function readBytes(file: string, what: string): Promise<Uint8Array> {
  try {
    return new Uint8Array(await readFile(file));
  } catch (err) {
    throw new InputError(`cannot read ${what} ${file}: ${describe(err)}`, { cause: err });
  }
}

/**
 * A journal file, or a folder holding the device's journal files: either directly, or in a
 * `journal/` subfolder (as `dozor sim shift --out DIR` leaves a device's storage).
 */
export async function loadJournalInput(target: string): Promise<JournalFileInput[]> {
  let st;
  try {
    st = await stat(target);
  } catch (err) {
    throw new InputError(`cannot open ${target}: ${describe(err)}`, { cause: err });
  }
  if (st.isFile()) return [{ name: path.basename(target), bytes: await readBytes(target, 'journal file') }];
  if (!st.isDirectory()) throw new InputError(`${target} is neither a file nor a folder`);
  for (const dir of [path.join(target, 'journal'), target]) {
    let names: string[];
    try {
      names = await readdir(dir);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT' || (err as NodeJS.ErrnoException).code === 'ENOTDIR') continue;
      throw new InputError(`cannot list ${dir}: ${describe(err)}`, { cause: err });
    }
    const files = names.filter((n) => FILE_NAME_RE.test(n)).sort();
    if (files.length === 0) continue;
    const out: JournalFileInput[] = [];
    for (const n of files) out.push({ name: path.relative(target, path.join(dir, n)) || n, bytes: await readBytes(path.join(dir, n), 'journal file') });
    return out;
  }
  throw new InputError(`no journal files (NNNNNNNN.djl) in ${target} or ${path.join(target, 'journal')}`);
}

/**
 * The device's Ed25519 public key: 64 hex digits, the raw 32 bytes, a PEM "PUBLIC KEY", or a
 * JSON object with a hex `publicKey` member (a device identity or provisioning record).
 */
export async function loadPublicKey(file: string): Promise<Uint8Array> {
  const raw = await readBytes(file, 'public key');
  const text = new TextDecoder().decode(raw).trim();
  if (/^[0-9a-fA-F]{64}$/.test(text)) return fromHex(text.toLowerCase());
  if (text.startsWith('-----BEGIN PUBLIC KEY-----')) {
    try {
      const key = createPublicKey(text);
      if (key.asymmetricKeyType !== 'ed25519') throw new Error(`a ${key.asymmetricKeyType} key, not Ed25519`);
      const der = key.export({ format: 'der', type: 'spki' });
      return new Uint8Array(der.subarray(der.length - 32));
    } catch (err) {
      throw new InputError(`${file}: not an Ed25519 public key (${(err as Error).message})`);
    }
  }
  if (text.startsWith('{')) {
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (err) {
      throw new InputError(`${file}: invalid JSON (${(err as Error).message})`);
    }
    const pk = (json as { publicKey?: unknown }).publicKey;
    if (typeof pk === 'string' && /^[0-9a-fA-F]{64}$/.test(pk)) return fromHex(pk.toLowerCase());
    throw new InputError(`${file}: JSON has no 64-hex-digit "publicKey" member`);
  }
  if (raw.length === 32) return raw;
  throw new InputError(`${file}: not a public key (expected 64 hex digits, 32 raw bytes, PEM, or JSON with "publicKey")`);
}

async function loadJson(file: string, what: string): Promise<unknown> {
  const text = new TextDecoder().decode(await readBytes(file, what));
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new InputError(`${file}: invalid JSON (${(err as Error).message})`);
  }
}

/** A checkpoint the dock or server kept (JSON of SignedCheckpoint). */
export async function loadCheckpoint(file: string): Promise<SignedCheckpoint> {
  const j = (await loadJson(file, 'checkpoint')) as Partial<SignedCheckpoint>;
  const ok =
    j &&
    typeof j.device === 'string' &&
    typeof j.keyId === 'string' &&
    Number.isSafeInteger(j.seq) &&
    typeof j.head === 'string' &&
    /^[0-9a-f]{64}$/.test(j.head) &&
    Number.isSafeInteger(j.wall) &&
    Number.isSafeInteger(j.mono) &&
    typeof j.reason === 'string' &&
    typeof j.signature === 'string' &&
    /^[0-9a-f]{128}$/.test(j.signature);
  if (!ok) throw new InputError(`${file}: not a signed checkpoint (device, keyId, seq, head, wall, mono, reason, signature)`);
  return j as SignedCheckpoint;
}

/** Trusted keys of responsible persons: a JSON array of {keyId, name, role, publicKey}. */
export async function loadTrusted(file: string): Promise<TrustedKey[]> {
  const j = await loadJson(file, 'trusted keys');
  const list = Array.isArray(j) ? j : (j as { trusted?: unknown }).trusted;
  if (!Array.isArray(list)) throw new InputError(`${file}: expected a JSON array of trusted keys`);
  return list.map((k: TrustedKeyJson, i) => {
    if (!k || typeof k.keyId !== 'string' || typeof k.name !== 'string' || !ROLES.includes(k.role) || !/^[0-9a-fA-F]{64}$/.test(String(k.publicKey))) {
      throw new InputError(`${file}: entry ${i} is not {keyId, name, role, publicKey}`);
    }
    return trustedKeyFromJson(k);
  });
}
