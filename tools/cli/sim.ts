/** `dozor sim …`: run the firmware on the simulated board under virtual time. */
import { Option, type Command } from 'commander';
import { registerSimDeviceCommand } from './dock.ts';
import { nonNegativeInteger, positiveInteger, positiveNumber } from './parse.ts';

export function registerSimCommands(program: Command): void {
  const sim = program.command('sim').description('simulate devices and shifts under virtual time');

  sim
    .command('shift')
    .description('run a shift of the body-camera or vehicle-recorder firmware on the simulated board')
    .option('--hours <H>', "length of the duty in hours (default: the scenario's, 8 for the default)", positiveNumber)
    .option('--seed <N>', 'seed for every random choice in the world', nonNegativeInteger, 1)
    .option('--scenario <NAME|FILE>', 'built-in scenario name (see `dozor sim list`) or a scenario file (YAML/JSON)', 'day-patrol')
    .option('--out <DIR>', "write the device's storage (journal, video) to this folder")
    .option('--json', 'print a machine-readable summary on stdout')
    .option('--report <FILE.html>', 'write a self-contained HTML report')
    .addOption(new Option('--media <KIND>', 'camera stream: synthetic (fast) or real (ffmpeg H.264 with the time burned in; slow)').choices(['synthetic', 'real']).default('synthetic'))
    .action(async (opts: ShiftCliOptions) => {
      const { runShiftCommand } = await import('../sim/shift-command.ts');
      process.exitCode = await runShiftCommand(opts);
    });

  registerSimDeviceCommand(sim);
  sim
    .command('list')
    .description('list the built-in scenarios: name, device, hours, the requirements each covers')
    .option('--json', 'machine-readable output')
    .action(async (opts: { json?: boolean }) => {
      const { runListCommand } = await import('../sim/list-command.ts');
      process.exitCode = await runListCommand(opts);
    });

  sim
    .command('fleet')
    .description('run a scenario on N devices (seeds SEED…SEED+N−1) across worker threads and summarise')
    .requiredOption('--devices <N>', 'number of devices', positiveInteger)
    .option('--hours <H>', "length of each duty in hours (default: the scenario's)", positiveNumber)
    .option('--scenario <NAME|FILE>', 'built-in scenario name or a scenario file', 'day-patrol')
    .option('--seed <N>', 'seed of the first device', nonNegativeInteger, 1)
    .option('--workers <N>', 'worker threads (default: the number of CPUs)', positiveInteger)
    .option('--json', 'print the summary as JSON on stdout')
    .action(async (opts: FleetCliOptions) => {
      const { runFleetCommand } = await import('../sim/fleet-command.ts');
      process.exitCode = await runFleetCommand(opts);
    });
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

export interface FleetCliOptions {
  devices: number;
  hours?: number;
  scenario: string;
  seed: number;
  workers?: number;
  json?: boolean;
}
