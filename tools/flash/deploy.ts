/**
 * `dozor flash` to a local folder: the folder mirrors the device's root filesystem (a mounted
 * SD-card rootfs, or a staging tree to rsync), so it receives
 *
 *   opt/dozor/app/            the bundle (dozor.mjs, source map, package.json)
 *   etc/dozor/board.yaml      the board file, validated
 *   etc/dozor/identity/       device identity and key (identity.ts)
 *   etc/systemd/system/dozor.service, and the multi-user.target.wants link that enables it
 *   opt/dozor/manifest.json   every file with its SHA-256, for the bring-up record
 *
 * Nothing is written before the board file and the provisioning file have validated.
 */
import { createHash } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { parseBoardFile } from '../../hal/board-file.ts';
import type { Random } from '../../hal/random.ts';
import { InputError } from '../cli/errors.ts';
import { buildBundle, type BundleResult } from './bundle.ts';
import { parseProvisioning, writeIdentity, ProvisioningError, type DeviceIdentityJson } from './identity.ts';
import { systemdUnit } from './systemd.ts';

export const DEVICE_PATHS = {
  app: 'opt/dozor/app',
  manifest: 'opt/dozor/manifest.json',
  board: 'etc/dozor/board.yaml',
  identity: 'etc/dozor/identity',
  unit: 'etc/systemd/system/dozor.service',
  wants: 'etc/systemd/system/multi-user.target.wants/dozor.service',
} as const;

export interface FlashOptions {
  /** The firmware entry point to bundle. */
  entry: string;
  boardFile: string;
  provisioningFile: string;
  /** The target root folder. */
  target: string;
  random: Random;
  /** The account the service runs as on the device. */
  user?: string;
  version?: string;
}

export interface FlashResult {
  identity: DeviceIdentityJson;
  bundle: BundleResult;
  manifest: Array<{ path: string; sha256: string; size: number }>;
}

async function readInput(file: string, what: string): Promise<string> {
  try {
    return await fsp.readFile(file, 'utf8');
  } catch (err) {
    throw new InputError(`cannot read ${what} ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, { cause: err });
  }
}

export async function flashToDirectory(o: FlashOptions): Promise<FlashResult> {
  const boardText = await readInput(o.boardFile, 'board file');
  const board = parseBoardFile(boardText, o.boardFile);
  const spec = parseProvisioning(await readInput(o.provisioningFile, 'provisioning file'), o.provisioningFile);
  if (spec.variant !== board.variant) {
    throw new ProvisioningError(o.provisioningFile, [`variant: the provisioning file says ${spec.variant}, the board file ${o.boardFile} describes a ${board.variant}`]);
  }
  await fsp.access(o.entry).catch((err) => {
    throw new InputError(`cannot read entry ${o.entry}: ${(err as NodeJS.ErrnoException).code}`, { cause: err });
  });

  const at = (p: string) => path.join(o.target, p);
  const identity = await writeIdentity(at(DEVICE_PATHS.identity), spec, o.random);
  const bundle = await buildBundle({ entry: o.entry, outDir: at(DEVICE_PATHS.app), version: o.version });
  await fsp.mkdir(path.dirname(at(DEVICE_PATHS.board)), { recursive: true });
  await fsp.writeFile(at(DEVICE_PATHS.board), boardText);

  const unit = systemdUnit({
    description: `Dozor ${board.variant} firmware (${spec.inventoryNumber})`,
    appDir: `/${DEVICE_PATHS.app}`,
    args: ['--board', `/${DEVICE_PATHS.board}`, '--identity', `/${DEVICE_PATHS.identity}`],
    user: o.user ?? 'dozor',
  });
  await fsp.mkdir(path.dirname(at(DEVICE_PATHS.unit)), { recursive: true });
  await fsp.writeFile(at(DEVICE_PATHS.unit), unit);
  // `systemctl enable` on the device would make this link; in a rootfs we make it ourselves.
  await fsp.mkdir(path.dirname(at(DEVICE_PATHS.wants)), { recursive: true });
  await fsp.rm(at(DEVICE_PATHS.wants), { force: true });
  await fsp.symlink(`/${DEVICE_PATHS.unit}`, at(DEVICE_PATHS.wants));

  const manifest: FlashResult['manifest'] = [];
  for (const rel of await listFiles(o.target)) {
    if (rel === DEVICE_PATHS.manifest || rel === `${DEVICE_PATHS.identity}/device.key`) continue;
    const data = await fsp.readFile(at(rel));
    manifest.push({ path: rel, sha256: createHash('sha256').update(data).digest('hex'), size: data.length });
  }
  await fsp.writeFile(at(DEVICE_PATHS.manifest), `${JSON.stringify({ inventoryNumber: spec.inventoryNumber, serial: spec.serial, deviceKeyId: identity.keyId, files: manifest }, null, 2)}\n`);
  return { identity, bundle, manifest };
}

async function listFiles(root: string, dir = ''): Promise<string[]> {
  const out: string[] = [];
  for (const e of await fsp.readdir(path.join(root, dir), { withFileTypes: true })) {
    const rel = dir ? `${dir}/${e.name}` : e.name;
    if (e.isDirectory()) out.push(...(await listFiles(root, rel)));
    else if (e.isFile()) out.push(rel);
  }
  return out.sort();
}
