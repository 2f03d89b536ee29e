/**
 * Device identity provisioning for `dozor flash`: a provisioning file (YAML/JSON) names the
 * device (inventory number, serial, variant), the responsible persons whose signed
 * authorisations it trusts, the memory cards registered to it (by CID, R-CARD-3) and, for a
 * radar, its verification certificate (R-RAD-4). Flashing adds a fresh Ed25519 device key.
 *
 * Files written under the identity directory:
 * - `device.json`         inventory number, serial, variant, device public key and key id
 * - `device.key`          the 32-byte Ed25519 seed, hex, mode 0600 — never leaves the device
 * - `trusted-keys.json`   TrustedKeyJson[] (protocol/authorization.ts)
 * - `cards.json`          registered cards: CID and inventory number
 * - `radar-certificate.json` (radar only)
 *
 * Re-flashing keeps an existing device key (a new key would orphan every signature the device
 * made) and refuses a provisioning file for a different inventory number.
 */
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { DozorError } from '../../hal/errors.ts';
import { DEVICE_VARIANTS, type DeviceVariant } from '../../hal/board.ts';
import type { Random } from '../../hal/random.ts';
import { Ed25519PrivateKey, fromHex, keyIdOf, toHex } from '../../protocol/crypto.ts';
import { ROLES, trustedKeyToJson, type Role, type TrustedKeyJson } from '../../protocol/authorization.ts';

export interface ProvisioningSpec {
  inventoryNumber: string;
  serial: string;
  variant: DeviceVariant;
  trustedKeys: Array<{ name: string; role: Role; publicKey: string }>;
  cards: Array<{ cid: string; inventoryNumber: string }>;
  radarCertificate: { number: string; issuedBy: string; validUntil: string } | null;
}

export interface DeviceIdentityJson {
  inventoryNumber: string;
  serial: string;
  variant: DeviceVariant;
  publicKey: string;
  keyId: string;
}

export class ProvisioningError extends DozorError {
  constructor(
    readonly source: string,
    readonly problems: readonly string[],
  ) {
    super('EPROVISION', `provisioning ${source}: ${problems.length} problem${problems.length === 1 ? '' : 's'}\n${problems.map((p) => `  ${p}`).join('\n')}`);
  }
}

/** CRC7 (x^7 + x^3 + 1) over the first 15 bytes of a CID; the 16th byte is CRC << 1 | 1. */
export function cidCrcOk(cid: Uint8Array): boolean {
  let crc = 0;
  for (const byte of cid.subarray(0, 15)) {
    for (let bit = 7; bit >= 0; bit--) {
      const fb = ((crc >> 6) ^ (byte >> bit)) & 1;
      crc = (crc << 1) & 0x7f;
      if (fb) crc ^= 0x09;
    }
  }
  return cid[15] === ((crc << 1) | 1);
}

export function parseProvisioning(text: string, source = 'provisioning file'): ProvisioningSpec {
  let raw: unknown;
  try {
    raw = /\.json$/i.test(source) ? JSON.parse(text) : parseYaml(text, { uniqueKeys: true });
  } catch (err) {
    throw new ProvisioningError(source, [`not valid ${/\.json$/i.test(source) ? 'JSON' : 'YAML'}: ${(err as Error).message}`]);
  }
  const problems: string[] = [];
  const o = (raw ?? {}) as Record<string, unknown>;
  const str = (v: unknown, field: string): string => {
    if (typeof v === 'string' && v.trim()) return v.trim();
    // YAML reads an all-digit key or CID as a number and loses digits.
    problems.push(typeof v === 'number' ? `${field}: must be a string; quote it in YAML ("${v}")` : `${field}: must be a non-empty string`);
    return '';
  };
  const known = ['inventoryNumber', 'serial', 'variant', 'trustedKeys', 'cards', 'radarCertificate'];
  for (const k of Object.keys(o)) if (!known.includes(k)) problems.push(`${k}: unknown field (expected one of: ${known.join(', ')})`);
  const variant = o.variant as DeviceVariant;
  if (!DEVICE_VARIANTS.includes(variant)) problems.push(`variant: must be one of ${DEVICE_VARIANTS.join(', ')}`);
  const spec: ProvisioningSpec = {
    inventoryNumber: str(o.inventoryNumber, 'inventoryNumber'),
    serial: str(o.serial, 'serial'),
    variant,
    trustedKeys: [],
    cards: [],
    radarCertificate: null,
  };
  const keys = Array.isArray(o.trustedKeys) ? o.trustedKeys : [];
  if (keys.length === 0) problems.push('trustedKeys: at least one responsible person must be trusted, or nobody can authorise a pause or a time set');
  keys.forEach((k: Record<string, unknown>, i) => {
    const publicKey = str(k?.publicKey, `trustedKeys[${i}].publicKey`).toLowerCase();
    if (publicKey && !/^[0-9a-f]{64}$/.test(publicKey)) problems.push(`trustedKeys[${i}].publicKey: must be a 32-byte Ed25519 public key in hex (64 digits)`);
    if (!ROLES.includes(k?.role as Role)) problems.push(`trustedKeys[${i}].role: must be one of ${ROLES.join(', ')}`);
    spec.trustedKeys.push({ name: str(k?.name, `trustedKeys[${i}].name`), role: k?.role as Role, publicKey });
  });
  const cards = Array.isArray(o.cards) ? o.cards : [];
  const seenCids = new Set<string>();
  cards.forEach((c: Record<string, unknown>, i) => {
    const cid = str(c?.cid, `cards[${i}].cid`).toLowerCase();
    if (cid && !/^[0-9a-f]{32}$/.test(cid)) problems.push(`cards[${i}].cid: must be the 16-byte CID as 32 hex digits (cat /sys/block/mmcblkN/device/cid)`);
    else if (cid && !cidCrcOk(fromHex(cid))) problems.push(`cards[${i}].cid: CRC7 does not match — a typo in the CID?`);
    if (cid && seenCids.has(cid)) problems.push(`cards[${i}].cid: registered twice`);
    seenCids.add(cid);
    spec.cards.push({ cid, inventoryNumber: str(c?.inventoryNumber, `cards[${i}].inventoryNumber`) });
  });
  if (o.radarCertificate !== undefined) {
    const r = (o.radarCertificate ?? {}) as Record<string, unknown>;
    const validUntil = str(r.validUntil, 'radarCertificate.validUntil');
    if (validUntil && !/^\d{4}-\d{2}-\d{2}$/.test(validUntil)) problems.push('radarCertificate.validUntil: must be a date YYYY-MM-DD');
    spec.radarCertificate = { number: str(r.number, 'radarCertificate.number'), issuedBy: str(r.issuedBy, 'radarCertificate.issuedBy'), validUntil };
  }
  if (variant === 'radar' && !spec.radarCertificate) problems.push('radarCertificate: required for a radar (R-RAD-4 verification certificate)');
  if (variant !== 'radar' && spec.radarCertificate) problems.push(`radarCertificate: only a radar has one, not a ${variant}`);
  if (problems.length) throw new ProvisioningError(source, problems);
  return spec;
}

async function readJson<T>(file: string): Promise<T | null> {
  try {
    return JSON.parse(await fsp.readFile(file, 'utf8')) as T;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
}

async function writeFileAtomic(file: string, data: string, mode = 0o644): Promise<void> {
  const tmp = `${file}.tmp-${process.pid}`;
  await fsp.writeFile(tmp, data, { mode });
  await fsp.rename(tmp, file);
}

/** Writes the identity files; keeps an existing device key. Returns the device identity. */
export async function writeIdentity(dir: string, spec: ProvisioningSpec, random: Random): Promise<DeviceIdentityJson> {
  await fsp.mkdir(dir, { recursive: true, mode: 0o700 });
  const keyFile = path.join(dir, 'device.key');
  const existing = await readJson<DeviceIdentityJson>(path.join(dir, 'device.json'));
  if (existing && existing.inventoryNumber !== spec.inventoryNumber) {
    throw new ProvisioningError(dir, [`this target already belongs to inventory number ${existing.inventoryNumber}, not ${spec.inventoryNumber}; wipe it deliberately to re-provision`]);
  }
  let seed: Uint8Array;
  try {
    seed = fromHex((await fsp.readFile(keyFile, 'utf8')).trim());
    if (seed.length !== 32) throw new ProvisioningError(keyFile, ['existing device key is not 32 bytes; refusing to overwrite it']);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    seed = random.bytes(32);
    await writeFileAtomic(keyFile, `${toHex(seed)}\n`, 0o600);
  }
  const key = new Ed25519PrivateKey(seed);
  const identity: DeviceIdentityJson = { inventoryNumber: spec.inventoryNumber, serial: spec.serial, variant: spec.variant, publicKey: toHex(key.publicKey), keyId: key.keyId };
  const trusted: TrustedKeyJson[] = spec.trustedKeys.map((k) => {
    const publicKey = fromHex(k.publicKey);
    return trustedKeyToJson({ keyId: keyIdOf(publicKey), name: k.name, role: k.role, publicKey });
  });
  await writeFileAtomic(path.join(dir, 'device.json'), `${JSON.stringify(identity, null, 2)}\n`);
  await writeFileAtomic(path.join(dir, 'trusted-keys.json'), `${JSON.stringify(trusted, null, 2)}\n`);
  await writeFileAtomic(path.join(dir, 'cards.json'), `${JSON.stringify(spec.cards, null, 2)}\n`);
  const certFile = path.join(dir, 'radar-certificate.json');
  if (spec.radarCertificate) await writeFileAtomic(certFile, `${JSON.stringify(spec.radarCertificate, null, 2)}\n`);
  else await fsp.rm(certFile, { force: true });
  return identity;
}
