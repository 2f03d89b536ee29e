/**
 * `dozor card …`: bring-up and dock-side tools for the sealed card (R-CARD-1..3).
 * - `decode-cid HEX`: decodes an SD CID and prints the sysfs attributes the kernel would show;
 * - `inspect`: reads a card's identity from sysfs on this machine and cross-checks it;
 * - `token FILE`: decodes a card's registration token (and verifies it with a device public key).
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Command } from 'commander';
import { decodeSdCid, sysfsAttributes } from '../../hal/drivers/sd-cid.ts';
import { readCardIdentity } from '../../hal/linux/sysfs-card-slot.ts';
import { decodeCardToken, verifyCardToken } from '../../protocol/card-token.ts';
import { fromHex, keyIdOf } from '../../protocol/crypto.ts';
import { EXIT, InputError, UsageError } from './errors.ts';

function print(value: unknown, json: boolean | undefined): void {
  if (json) process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
  else for (const [k, v] of Object.entries(value as Record<string, unknown>)) process.stdout.write(`${k.padEnd(22)} ${typeof v === 'string' ? v : JSON.stringify(v)}\n`);
}

export function registerCardCommands(program: Command): void {
  const card = program.command('card').description('sealed evidence card: CID, sysfs identity, registration tokens');

  card
    .command('decode-cid')
    .description('decode an SD CID (32 hex digits) and check its CRC7')
    .argument('<HEX>', 'the CID, e.g. from /sys/block/mmcblk1/device/cid')
    .option('--json', 'machine-readable output')
    .action((hex: string, opts: { json?: boolean }) => {
      const c = decodeSdCid(hex);
      print({ ...sysfsAttributes(c), oidText: c.oidText, crc: c.crc }, opts.json);
    });

  card
    .command('inspect')
    .description("read the card's identity from sysfs and cross-check every attribute against the CID")
    .option('--device <mmcblkN>', 'block device of the card slot', 'mmcblk1')
    .option('--sysfs-root <DIR>', 'root of sysfs', '/sys')
    .option('--json', 'machine-readable output')
    .action(async (opts: { device: string; sysfsRoot: string; json?: boolean }) => {
      if (!/^mmcblk\d+$/.test(opts.device)) throw new UsageError(`--device must look like mmcblk1, got "${opts.device}"`);
      const id = await readCardIdentity(path.join(opts.sysfsRoot, 'block', opts.device, 'device'));
      print({ present: id.present, cid: id.cid?.hex ?? null, problem: id.problem, ...(id.cid ? sysfsAttributes(id.cid) : {}) }, opts.json);
      if (!id.present || id.problem) process.exitCode = EXIT.failed;
    });

  card
    .command('token')
    .description("decode a card's registration token (dozor/registration.token)")
    .argument('<FILE>', 'the token file')
    .option('--device-public-key <HEX>', "verify the signature with this device's Ed25519 public key (64 hex digits)")
    .option('--json', 'machine-readable output')
    .action(async (file: string, opts: { devicePublicKey?: string; json?: boolean }) => {
      let bytes: Uint8Array;
      try {
        bytes = new Uint8Array(await readFile(file));
      } catch (err) {
        throw new InputError(`cannot read ${file}: ${(err as Error).message}`);
      }
      const t = decodeCardToken(bytes);
      const out: Record<string, unknown> = {
        cardIdentity: t.cidIdentity,
        cardInventoryNumber: t.cardInventoryNumber,
        deviceSerial: t.deviceSerial,
        deviceInventoryNumber: t.deviceInventoryNumber,
        deviceKeyId: t.deviceKeyId,
        registeredAt: new Date(t.registeredAt).toISOString(),
        authorisedBy: `${t.authKeyId} #${t.authCounter}`,
      };
      if (opts.devicePublicKey) {
        let pub: Uint8Array;
        try {
          pub = fromHex(opts.devicePublicKey);
        } catch {
          throw new UsageError('--device-public-key must be hex');
        }
        if (pub.length !== 32) throw new UsageError('--device-public-key must be 32 bytes (64 hex digits)');
        const ok = keyIdOf(pub) === t.deviceKeyId && verifyCardToken(t, pub);
        out.signature = ok ? 'valid for this device' : 'NOT valid for this device';
        if (!ok) process.exitCode = EXIT.failed;
      }
      print(out, opts.json);
    });
}
