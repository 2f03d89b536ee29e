/**
 * The program that runs on the device (`dozor flash` bundles it as dozor.mjs; systemd starts it
 * with `--board /etc/dozor/board.yaml --identity /etc/dozor/identity`). It builds the board from
 * the board file, boots the firmware with the provisioned identity, and on SIGINT/SIGTERM shuts
 * it down cleanly (the current segment closed, the journal's closing checkpoint written).
 *
 * `--board sim` runs the same firmware with the same identity on the simulated board under
 * virtual time instead (a bench test of a flashed bundle), and prints the shift summary.
 */
import { readFile } from 'node:fs/promises';
import { Command, CommanderError, InvalidArgumentError } from 'commander';
import { DozorError } from '../../hal/errors.ts';
import { parseBoardFile } from '../../hal/board-file.ts';
import { createLinuxBoard } from '../../hal/linux/board.ts';
import { RealClock } from '../../hal/real-clock.ts';
import { CryptoRandom } from '../../hal/random.ts';
import { bootDevice } from '../../firmware/device.ts';
import { InputError, UsageError } from '../cli/errors.ts';
import { loadIdentity } from './identity.ts';

export interface DeviceArgs {
  board: string;
  identity: string;
  root?: string;
  hours: number;
  seed: number;
  scenario: string;
}

function positive(v: string): number {
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError(`expected a positive number, got "${v}"`);
  return n;
}

async function runReal(args: DeviceArgs, log: (line: string) => void): Promise<number> {
  let text: string;
  try {
    text = await readFile(args.board, 'utf8');
  } catch (err) {
    throw new InputError(`board file not readable: ${args.board} (${(err as Error).message})`);
  }
  const boardFile = parseBoardFile(text, args.board);
  const identity = await loadIdentity(args.identity);
  if (identity.variant !== boardFile.variant) throw new InputError(`identity is for a ${identity.variant}, the board file describes a ${boardFile.variant}`);
  const clock = new RealClock();
  const board = await createLinuxBoard(boardFile, { clock, rootDir: args.root });
  const device = await bootDevice({ board, clock, random: new CryptoRandom(), identity });
  log(`dozor ${identity.variant} ${identity.serial} (${identity.inventoryNumber}) running on ${board.model}`);
  await new Promise<void>((resolve) => {
    const stop = (signal: string) => {
      log(`${signal}: shutting down`);
      resolve();
    };
    process.once('SIGINT', () => stop('SIGINT'));
    process.once('SIGTERM', () => stop('SIGTERM'));
  });
  await device.shutdown('shutdown');
  await board.close();
  return 0;
}

async function runSimulated(args: DeviceArgs, log: (line: string) => void): Promise<number> {
  const identity = await loadIdentity(args.identity);
  // The simulator is loaded only for this mode: a real device never needs it.
  const { resolveScenario } = await import('../sim/library.ts');
  const { ShiftSimulation } = await import('../sim/shift-runner.ts');
  const { requirementVerdicts } = await import('../sim/verdicts.ts');
  const { summarize } = await import('../sim/shift-command.ts');
  const { gatherEvidence } = await import('../sim/evidence.ts');
  const scenario = await resolveScenario(args.scenario);
  const record = await new ShiftSimulation({ scenario, seed: args.seed, hours: args.hours, identity }).run();
  const verdicts = requirementVerdicts(record, await gatherEvidence(record));
  log(JSON.stringify(summarize(record, verdicts, args.hours, args.scenario), null, 2));
  return verdicts.some((v) => v.verdict === 'fail') ? 1 : 0;
}

export async function deviceMain(argv: readonly string[], log: (line: string) => void = (l) => process.stdout.write(`${l}\n`)): Promise<number> {
  const program = new Command('dozor-device')
    .description('the Dozor device program: boots the firmware on this board')
    .requiredOption('--board <FILE|sim>', 'board file, or "sim" for the simulated board under virtual time')
    .requiredOption('--identity <DIR>', 'provisioned identity folder (device.json, device.key, trusted-keys.json)')
    .option('--root <DIR>', "prefix for the board file's absolute paths (a staging folder)")
    .option('--hours <H>', 'with --board sim: hours of duty to simulate', positive, 1)
    .option('--seed <N>', 'with --board sim: world seed', (v) => Number.parseInt(v, 10), 1)
    .option('--scenario <NAME|FILE>', 'with --board sim: scenario', 'day-patrol')
    .exitOverride()
    .showHelpAfterError();
  try {
    program.parse(argv as string[]);
    const args = program.opts<DeviceArgs>();
    return args.board === 'sim' ? await runSimulated(args, log) : await runReal(args, log);
  } catch (err) {
    if (err instanceof CommanderError) return err.code === 'commander.helpDisplayed' ? 0 : 2;
    if (err instanceof UsageError || err instanceof InputError) {
      process.stderr.write(`dozor-device: ${err.message}\n`);
      return 2;
    }
    if (err instanceof DozorError) {
      process.stderr.write(`dozor-device: ${err.message} [${err.code}]\n`);
      return 1;
    }
    throw err;
  }
}

// Run when executed directly (the flashed bundle's entry), not when imported by tests.
if (process.argv[1] && /(?:entry\.ts|dozor\.mjs)$/.test(process.argv[1])) {
  process.exitCode = await deviceMain(process.argv);
}
