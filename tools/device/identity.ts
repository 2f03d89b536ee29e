/**
 * Reads the identity `dozor flash` provisioned (tools/flash/identity.ts writes it): the device's
 * serial, inventory number and Ed25519 key, and the keys whose authorisations it trusts.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { InputError } from '../cli/errors.ts';
import { Ed25519PrivateKey, fromHex, keyIdOf, toHex } from '../../protocol/crypto.ts';
import { ROLES, trustedKeyFromJson, type TrustedKeyJson } from '../../protocol/authorization.ts';
import type { DeviceVariant } from '../../hal/board.ts';
import type { ProvisionedIdentity } from '../../firmware/device.ts';

export interface LoadedIdentity extends ProvisionedIdentity {
  variant: DeviceVariant;
}

async function readJson(file: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new InputError(`identity file missing: ${file} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}); was the device flashed?`);
  }
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new InputError(`identity file ${file} is not valid JSON: ${(err as Error).message}`);
  }
}

export async function loadIdentity(dir: string): Promise<LoadedIdentity> {
  const device = (await readJson(path.join(dir, 'device.json'))) as Record<string, unknown>;
  for (const f of ['serial', 'inventoryNumber', 'variant', 'publicKey'] as const) {
    if (typeof device[f] !== 'string' || !(device[f] as string)) throw new InputError(`${path.join(dir, 'device.json')}: "${f}" missing`);
  }
  let seedHex: string;
  try {
    seedHex = (await readFile(path.join(dir, 'device.key'), 'utf8')).trim();
  } catch {
    throw new InputError(`device key missing: ${path.join(dir, 'device.key')}`);
  }
  if (!/^[0-9a-f]{64}$/i.test(seedHex)) throw new InputError(`${path.join(dir, 'device.key')}: expected 64 hex digits (the Ed25519 seed)`);
  const deviceKey = new Ed25519PrivateKey(fromHex(seedHex));
  if (toHex(deviceKey.publicKey) !== String(device.publicKey).toLowerCase()) {
    throw new InputError(`${dir}: device.key does not match the public key in device.json (the identity was tampered with or mixed up)`);
  }
  const trustedRaw = await readJson(path.join(dir, 'trusted-keys.json'));
  if (!Array.isArray(trustedRaw)) throw new InputError(`${path.join(dir, 'trusted-keys.json')}: expected a list of keys`);
  const trustedKeys = trustedRaw.map((k: TrustedKeyJson, i) => {
    if (!k || typeof k.name !== 'string' || !ROLES.includes(k.role) || typeof k.publicKey !== 'string' || !/^[0-9a-f]{64}$/i.test(k.publicKey)) {
      throw new InputError(`${path.join(dir, 'trusted-keys.json')}: key ${i} is malformed`);
    }
    // The key id is derived, never trusted from the file: a wrong id would make a key unusable.
    const key = trustedKeyFromJson(k);
    return { ...key, keyId: keyIdOf(key.publicKey) };
  });
  const variant = device.variant as DeviceVariant;
  return { serial: String(device.serial), inventoryNumber: String(device.inventoryNumber), variant, deviceKey, trustedKeys };
}
