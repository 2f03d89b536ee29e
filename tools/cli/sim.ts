/** `dozor sim …`: run the firmware on the simulated board under virtual time. */
import { Option, type Command } from 'commander';
import { nonNegativeInteger, positiveNumber } from './parse.ts';
import { registerSimDeviceCommand } from './dock.ts';

export function registerSimCommands(program: Command): void {
  const sim = program.command('sim').description('simulate devices and shifts under virtual time');

  sim
    .command('shift')
    .description('run a shift of the body-camera firmware on the simulated board')
    .option('--hours <H>', "length of the duty in hours (default: the scenario's, 8 for the default)", positiveNumber)
    .option('--seed <N>', 'seed for every random choice in the world', nonNegativeInteger, 1)
    .option('--scenario <NAME|FILE>', 'built-in scenario name or a scenario file (YAML/JSON)', 'day-patrol')
    .option('--out <DIR>', "write the device's storage (journal, video) to this folder")
    .option('--json', 'print a machine-readable summary on stdout')
    .option('--report <FILE.html>', 'write a self-contained HTML report')
    .addOption(new Option('--media <KIND>', 'camera stream: synthetic (fast) or real (ffmpeg H.264 with the time burned in; slow)').choices(['synthetic', 'real']).default('synthetic'))
    .action(async (opts: ShiftCliOptions) => {
      const { runShiftCommand } = await import('../sim/shift-command.ts');
      process.exitCode = await runShiftCommand(opts);
    });

  registerSimDeviceCommand(sim);
}

export interface ShiftCliOptions {
  hours?: number;
  media?: 'synthetic' | 'real';
  seed: number;
  scenario: string;
  out?: string;
  json?: boolean;
  report?: string;
}
