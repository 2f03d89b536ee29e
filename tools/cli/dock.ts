/** `dozor dock …` (the dock station, its conformance kit, signing) and `dozor sim device`. */
import type { Command } from 'commander';
import { nonNegativeInteger, positiveInteger, positiveNumber } from './parse.ts';

const collect = (value: string, previous: string[] = []) => [...previous, value];

export function registerDockCommands(program: Command): void {
  const dock = program.command('dock').description('dock station: charging, automatic offload, receipts, issue/return, conformance kit');

  dock
    .command('serve')
    .description('run the dock station: offload docked devices into an evidence store and send signed receipts')
    .requiredOption('--store <DIR>', 'evidence store folder (content-addressed files + index.sqlite)')
    .option('--listen <URL>', 'accept devices on tcp://HOST:PORT')
    .option('--serial <PATH>', 'a dock cable on a serial port (repeatable)', collect, [])
    .option('--baud <N>', 'serial line speed', positiveInteger)
    .option('--key <FILE>', "the dock's Ed25519 seed (64 hex digits); default: the public test key")
    .option('--name <NAME>', 'dock id written into receipts', 'dock-01')
    .option('--inbox <DIR>', 'forward signed authorisations dropped into this folder (dozor dock sign)')
    .option('--status-interval <MS>', 'refresh a docked device’s status this often', positiveInteger)
    .option('--once', 'exit after the first device has been offloaded completely')
    .option('--json', 'events as JSON lines, no progress bars')
    .action(async (opts) => {
      const { runServeCommand } = await import('../dock/serve-command.ts');
      process.exitCode = await runServeCommand({ ...opts, statusInterval: opts.statusInterval });
    });

  dock
    .command('conformance')
    .description('run the conformance suite against a device (--device) or a dock (--dock); exit 0 only if all pass')
    .option('--device <URL>', 'device under test: tcp://HOST:PORT or a serial device path')
    .option('--dock <URL>', 'dock under test: tcp://HOST:PORT or a serial device path')
    .option('--keys <FILE>', 'JSON with the seeds the device trusts: {"dock": hex, "responsible": hex}; default: public test keys')
    .option('--dock-key <HEX>', "pin the dock's public key")
    .option('--allow-receipts', 'also send one valid receipt (the device may then release that file): test devices only')
    .option('--only <CASE>', 'run only this case (repeatable)', collect, [])
    .option('--timeout <MS>', 'per-step timeout', positiveInteger, 20000)
    .option('--baud <N>', 'serial line speed', positiveInteger)
    .option('--json', 'results as JSON')
    .action(async (opts) => {
      const { runConformanceCommand } = await import('../dock/conformance-command.ts');
      process.exitCode = await runConformanceCommand(opts);
    });

  dock
    .command('sign')
    .description('sign an authorisation (set-time, pause, register-card, reseal, issue, return, journal-correction) for the dock inbox')
    .requiredOption('--key <FILE>', 'your Ed25519 seed (64 hex digits)')
    .requiredOption('--action <ACTION>', 'what you authorise')
    .requiredOption('--device <SERIAL>', 'the device it is for')
    .requiredOption('--signer <NAME>', 'your name, as the journal should show it')
    .option('--param <NAME=VALUE>', 'an action parameter, e.g. plannedShiftHours=8 (repeatable)', collect, [])
    .option('--counter <N>', 'replay counter (default: wall-clock microseconds)', nonNegativeInteger)
    .option('--out <FILE>', 'write here (e.g. INBOX/issue-BC-0001.auth.json) instead of stdout')
    .action(async (opts) => {
      const { runSignCommand } = await import('../dock/sign-command.ts');
      process.exitCode = await runSignCommand(opts);
    });

  dock
    .command('keygen')
    .description('make an Ed25519 key: writes the seed, prints the trust entry devices provision')
    .requiredOption('--out <FILE>', 'where the seed goes (mode 600)')
    .requiredOption('--name <NAME>', 'whose key')
    .requiredOption('--role <ROLE>', 'responsible, unit-head, duty-officer or dock')
    .action(async (opts) => {
      const { runKeygenCommand } = await import('../dock/sign-command.ts');
      process.exitCode = await runKeygenCommand(opts);
    });
}

/** `dozor sim device`, attached under the existing `sim` command. */
export function registerSimDeviceCommand(sim: Command): void {
  sim
    .command('device')
    .description('a virtual device with a shift of recordings that docks to a dock (--connect) or waits for one (--listen)')
    .option('--connect <URL>', 'dock at tcp://HOST:PORT')
    .option('--listen <URL>', 'wait for a dock on tcp://HOST:PORT')
    .option('--serial <PATH>', 'sit on a serial line (e.g. one end of a socat pty pair)')
    .option('--baud <N>', 'serial line speed', positiveInteger)
    .option('--seed <N>', 'seed for the recordings and ids', nonNegativeInteger, 1)
    .option('--id <SERIAL>', 'device serial number (default BC-<seed>)')
    .option('--segments <N>', 'recordings pending offload', nonNegativeInteger, 96)
    .option('--segment-bytes <B>', 'bytes per recording', positiveInteger, 256 * 1024)
    .option('--battery-hours <H>', 'hours the batteries can power now', positiveNumber, 12)
    .option('--trust <FILE>', 'provisioned keys (JSON array of trust entries); default: public test keys')
    .option('--verbose', 'print every journal entry')
    .action(async (opts) => {
      const { runDeviceCommand } = await import('../sim/device-command.ts');
      process.exitCode = await runDeviceCommand(opts);
    });
}
