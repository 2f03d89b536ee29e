/** `dozor flash`: build the device bundle, provision its identity and install it into a target. */
import type { Command } from 'commander';
import { UsageError } from './errors.ts';

export interface FlashCliOptions {
  target: string;
  entry: string;
  board: string;
  identity: string;
  user: string;
}

export function registerFlashCommands(program: Command): void {
  program
    .command('flash')
    .description('bundle the firmware, provision the device identity and install both into a target root folder')
    .requiredOption('--target <DIR>', 'root folder of the device (a mounted rootfs or a staging tree); ssh:// targets are not supported yet')
    .requiredOption('--entry <FILE>', 'program to bundle (the firmware entry point)')
    .requiredOption('--board <FILE>', 'board file (YAML/JSON) of the prototype')
    .requiredOption('--identity <FILE>', 'provisioning file: inventory number, serial, trusted keys, cards, radar certificate')
    .option('--user <NAME>', 'account the service runs as on the device', 'dozor')
    .action(async (opts: FlashCliOptions) => {
      if (/^[a-z][a-z0-9+.-]*:\/\//i.test(opts.target)) throw new UsageError(`--target ${opts.target}: only local folders are supported so far`);
      const { flashToDirectory } = await import('../flash/deploy.ts');
      const { CryptoRandom } = await import('../../hal/random.ts');
      const result = await flashToDirectory({ entry: opts.entry, boardFile: opts.board, provisioningFile: opts.identity, target: opts.target, user: opts.user, random: new CryptoRandom() });
      process.stdout.write(`flashed ${result.identity.inventoryNumber} (${result.identity.variant}) into ${opts.target}\ndevice key ${result.identity.keyId}, ${result.manifest.length} files\n`);
    });
}
