/** `dozor sim fleet`: runs the fleet, prints the summary (or JSON); exit 1 when any device failed. */
import cliProgress from 'cli-progress';
import type { FleetCliOptions } from '../cli/sim.ts';
import { InputError } from '../cli/errors.ts';
import { resolveScenario } from './library.ts';
import { formatFleetSummary, runFleet } from './fleet.ts';

export async function runFleetCommand(opts: FleetCliOptions): Promise<number> {
  const scenario = await resolveScenario(opts.scenario);
  if (scenario.device === 'radar') throw new InputError(`scenario ${scenario.name} is a radar scenario: the shift runner does not run the radar firmware yet`);
  const hours = opts.hours ?? scenario.hours;
  const tty = process.stderr.isTTY && !opts.json;
  const bar = tty ? new cliProgress.SingleBar({ format: 'fleet {bar} {value}/{total} shifts | {eta_formatted} left', hideCursor: true, clearOnComplete: true }, cliProgress.Presets.shades_classic) : null;
  bar?.start(opts.devices, 0);
  let result;
  try {
    result = await runFleet({ scenario, scenarioArg: opts.scenario, devices: opts.devices, hours, seed: opts.seed, workers: opts.workers, onProgress: (done) => bar?.update(done) });
  } finally {
    bar?.stop();
  }
  const { summary } = result;
  if (opts.json) process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
  else process.stdout.write(formatFleetSummary(summary));
  const bad = summary.failing.length + summary.crashed.length;
  if (bad > 0 && opts.json) process.stderr.write(`${bad} device(s) failed; replay one exactly: ${(summary.failing[0] ?? summary.crashed[0]).replay}\n`);
  return bad > 0 ? 1 : 0;
}
