/**
 * `dozor doctor --board FILE|sim`: the bring-up self-test (tools/doctor). Prints a pass/fail/skip
 * row per check with the reason, or the report as JSON; exits 0 only when no check failed.
 */
import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { BoardFileError, parseBoardFile, type BoardFile } from '../../hal/board-file.ts';
import { DEVICE_VARIANTS, type DeviceVariant } from '../../hal/board.ts';
import type { DoctorReport, DoctorTarget } from '../doctor/target.ts';
import { EXIT, InputError, UsageError } from './errors.ts';

/** What `--board sim` asks the simulator for. */
export interface SimDoctorRequest {
  variant: DeviceVariant;
  /** Parts to break before the checks run, e.g. ["light"]: the simulated chip is unplugged. */
  faults: readonly string[];
}

export interface DoctorCliDeps {
  /** The target for a board file, on this computer's hardware. */
  linux(file: BoardFile, source: string): DoctorTarget | Promise<DoctorTarget>;
  /** The simulated board, for `--board sim`; absent until the simulator provides it. */
  sim?(request: SimDoctorRequest): DoctorTarget | Promise<DoctorTarget>;
}

export function defaultDoctorDeps(): DoctorCliDeps {
  return {
    // Loaded when used: the drivers pull in the hardware modules.
    linux: async (file, source) => {
      const [{ createLinuxDoctorTarget }, { RealClock }] = await Promise.all([import('../doctor/linux-target.ts'), import('../../hal/real-clock.ts')]);
      return createLinuxDoctorTarget({ file, source, clock: new RealClock() });
    },
  };
}

export interface DoctorCliOptions {
  board: string;
  outputs?: boolean;
  json?: boolean;
  variant?: string;
  fault?: string[];
}

/** Runs the doctor as the command line asks; returns the exit code. */
export async function doctorCommand(opts: DoctorCliOptions, deps: DoctorCliDeps, out: (text: string) => void = (t) => process.stdout.write(t)): Promise<number> {
  const [{ runDoctor }, { formatReport, reportJson }] = await Promise.all([import('../doctor/engine.ts'), import('../doctor/report.ts')]);
  let target: DoctorTarget;
  if (opts.board === 'sim') {
    const variant = (opts.variant ?? 'bodycam') as DeviceVariant;
    if (!DEVICE_VARIANTS.includes(variant)) throw new UsageError(`--variant must be one of ${DEVICE_VARIANTS.join(', ')}, got ${JSON.stringify(opts.variant)}`);
    if (!deps.sim) throw new UsageError('--board sim: the simulated board is not part of this build yet');
    target = await deps.sim({ variant, faults: opts.fault ?? [] });
  } else {
    if (opts.variant || opts.fault?.length) throw new UsageError('--variant and --fault apply to --board sim only');
    let text: string;
    try {
      text = await readFile(opts.board, 'utf8');
    } catch (err) {
      throw new InputError(`cannot read board file ${opts.board}: ${(err as Error).message}`, { cause: err });
    }
    let file: BoardFile;
    try {
      file = parseBoardFile(text, opts.board);
    } catch (err) {
      if (!(err instanceof BoardFileError)) throw err;
      // A broken board file is the first failed check, reported like the others.
      const report: DoctorReport = {
        target: opts.board,
        rows: err.issues.map((i) => ({ id: 'board file', part: `board file: ${i.path || '(file)'}`, status: 'fail' as const, detail: i.message })),
        summary: { pass: 0, fail: err.issues.length, skip: 0 },
        ok: false,
      };
      out(opts.json ? reportJson(report) : formatReport(report));
      return EXIT.failed;
    }
    target = await deps.linux(file, opts.board);
  }
  try {
    const report = await runDoctor(target, { outputs: opts.outputs });
    out(opts.json ? reportJson(report) : formatReport(report));
    return report.ok ? EXIT.ok : EXIT.failed;
  } finally {
    await target.close();
  }
}

export function registerDoctorCommands(program: Command, deps: DoctorCliDeps = defaultDoctorDeps()): void {
  program
    .command('doctor')
    .description('bring-up self-test: probe the I2C parts, read every sensor, the RTC, the card, one GOP from the camera, the serial devices; exit 1 if any check fails')
    .requiredOption('--board <FILE|sim>', 'board file (YAML/JSON) of the prototype, or "sim" for the simulated board')
    .option('--outputs', 'also blink the LEDs, sound the buzzer, run the motor, light the IR ring and move the IR-cut filter')
    .option('--json', 'the report as JSON')
    .option('--variant <VARIANT>', `with --board sim: ${DEVICE_VARIANTS.join(', ')} (default bodycam)`)
    .option('--fault <PART>', 'with --board sim: break a part before checking (repeatable), e.g. --fault light', (v: string, prev: string[] = []) => [...prev, v])
    .action(async (opts: DoctorCliOptions) => {
      process.exitCode = await doctorCommand(opts, deps);
    });
}
