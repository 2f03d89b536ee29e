/**
 * Fleet speed (issue #9): 100 body cameras × the 8-hour day-patrol shift (dusk, meal pause,
 * cold-to-warm, hot swap), each with its own seed, on worker threads — the whole of what
 * `dozor sim fleet` does per device: the simulation, the evidence read back from the card and
 * every requirement's verdict. Target ≤ 30 s on this 2-core machine.
 */
import { loadavg } from 'node:os';
import { loadBuiltInScenario } from '../tools/sim/library.ts';
import { runFleet } from '../tools/sim/fleet.ts';
import type { BenchResult, BenchSuite } from './harness.ts';

const DEVICES = Number(process.env.DOZOR_FLEET_DEVICES ?? 100);

const suite: BenchSuite = {
  id: 'fleet',
  title: 'Fleet of simulated shifts',
  issue: 9,
  async run(): Promise<BenchResult[]> {
    const scenario = await loadBuiltInScenario('day-patrol');
    const load0 = loadavg()[0];
    // The process's CPU time counts every worker thread: with the host to itself, wall ≈ CPU / cores.
    const cpu0 = process.cpuUsage();
    const { summary: s } = await runFleet({ scenario, scenarioArg: 'day-patrol', devices: DEVICES, hours: 8, seed: 1 });
    const cpu = process.cpuUsage(cpu0);
    const cpuSeconds = (cpu.user + cpu.system) / 1e6;
    const load1 = loadavg()[0];
    return [
      {
        metric: `${DEVICES} body cameras × 8-h day-patrol, wall (${s.workers} worker threads)`,
        value: s.wall.totalSeconds,
        unit: 's',
        target: '≤ 30 s (#9)',
        ok: s.wall.totalSeconds <= 30,
        note: `${s.wall.speedup.toLocaleString('en-US')}× real time over ${s.wall.simulatedHours} simulated hours; includes evidence + verdicts per shift`,
      },
      { metric: 'per shift in a worker, median (simulation + evidence + verdicts)', value: s.wall.perShift.median, unit: 's', note: `mean ${s.wall.perShift.mean.toFixed(2)} s, max ${s.wall.perShift.max.toFixed(2)} s` },
      { metric: 'CPU time of the whole fleet (all threads)', value: cpuSeconds, unit: 's', note: `${(cpuSeconds / DEVICES).toFixed(2)} s per shift; on an otherwise idle host the wall time is about this ÷ ${s.workers}` },
      {
        metric: 'devices failing a requirement',
        value: s.failing.length + s.crashed.length,
        unit: 'devices',
        target: '0',
        ok: s.failing.length + s.crashed.length === 0,
        note: `coverage min ${s.coverage.min?.toFixed(5)} · p1 ${s.coverage.p1?.toFixed(5)} · median ${s.coverage.median?.toFixed(5)}${Object.keys(s.failures).length ? `; failures: ${Object.entries(s.failures).map(([id, f]) => `${id} ×${f.devices}`).join(', ')}` : ''}`,
      },
      { metric: 'host load average (1 min) before / after', value: load1, unit: '', note: `before ${load0.toFixed(2)}: 2 cores shared with other work, wall time scales with it` },
    ];
  },
};
export default suite;
