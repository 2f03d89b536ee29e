/**
 * The `dozor` command. Each area registers its own subcommands; this file only wires them and
 * maps failures to exit codes: 0 success, 1 a check failed, 2 bad usage or unreadable input.
 */
import { Command, CommanderError } from 'commander';
import { DozorError } from '../hal/errors.ts';
import { EXIT, InputError, UsageError } from './cli/errors.ts';
import { registerSimCommands } from './cli/sim.ts';
import { registerCardCommands } from './cli/card.ts';
import { registerJournalCommands } from './cli/journal.ts';
import { registerCentreCommands } from './cli/centre.ts';
import { registerFlashCommands } from './cli/flash.ts';
import { registerDockCommands } from './cli/dock.ts';
import { registerDoctorCommands } from './cli/doctor.ts';

export function buildProgram(): Command {
  const program = new Command('dozor')
    .description('Dozor: firmware, simulator, dock and evidence tools for body cameras, vehicle recorders and speed radars')
    .version('0.1.0')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();
  registerSimCommands(program);
  registerCardCommands(program);
  registerJournalCommands(program);
  registerCentreCommands(program);
  registerFlashCommands(program);
  registerDockCommands(program);
  registerDoctorCommands(program);
  for (const cmd of allCommands(program)) cmd.exitOverride().showHelpAfterError('(run with --help for usage)');
  return program;
}

function* allCommands(cmd: Command): Generator<Command> {
  for (const sub of cmd.commands) {
    yield sub;
    yield* allCommands(sub);
  }
}

/** Runs the CLI and returns the exit code (never calls process.exit, so tests can call it). */
export async function main(argv: readonly string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv as string[]);
    return typeof process.exitCode === 'number' ? process.exitCode : EXIT.ok;
  } catch (err) {
    if (err instanceof CommanderError) {
      if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help') return EXIT.ok;
      // commander has already printed the message and the usage hint.
      return EXIT.usage;
    }
    if (err instanceof UsageError || err instanceof InputError) {
      process.stderr.write(`dozor: ${err.message}\n`);
      return EXIT.usage;
    }
    if (err instanceof DozorError) {
      process.stderr.write(`dozor: ${err.message} [${err.code}]\n`);
      return EXIT.failed;
    }
    throw err;
  }
}
