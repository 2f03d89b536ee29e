/**
 * Shift simulation speed (issues #2, #4, #9): an idle 8-hour duty (nothing happens but the
 * shift itself) and the default day-patrol shift (dusk, meal pause, cold-to-warm, hot swap),
 * in-process after a warm-up run, plus one cold `dozor sim shift` process for comparison.
 */
import { performance } from 'node:perf_hooks';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadBuiltInScenario } from '../tools/sim/library.ts';
import { parseScenario, type Scenario } from '../tools/sim/scenario.ts';
import { ShiftSimulation } from '../tools/sim/shift-runner.ts';
import { median, type BenchResult, type BenchSuite } from './harness.ts';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

const IDLE = parseScenario(`
name: idle
description: an 8-hour duty in steady daylight with nothing else happening
start: 2026-06-15T08:00:00+05:00
hours: 8
`);

async function timeRuns(scenario: Scenario, runs: number): Promise<{ wall: number; cpu: number; coverage: number }> {
  await new ShiftSimulation({ scenario, seed: 1 }).run(); // warm-up: JIT and module caches
  const walls: number[] = [];
  const cpus: number[] = [];
  let coverage = 0;
  for (let i = 0; i < runs; i++) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    const r = await new ShiftSimulation({ scenario, seed: 1 + i }).run();
    walls.push((performance.now() - t0) / 1000);
    const c = process.cpuUsage(c0);
    cpus.push((c.user + c.system) / 1e6);
    coverage = r.coverage?.coverage ?? 0;
  }
  return { wall: median(walls), cpu: median(cpus), coverage };
}

const suite: BenchSuite = {
  id: 'shift',
  title: 'Simulated 8-hour shifts',
  issue: 9,
  async run(): Promise<BenchResult[]> {
    const idle = await timeRuns(IDLE, 5);
    const patrol = await timeRuns(await loadBuiltInScenario('day-patrol'), 5);
    const t0 = performance.now();
    const cold = spawnSync(process.execPath, [path.join(REPO, 'bin', 'dozor.js'), 'sim', 'shift', '--json'], { cwd: REPO, encoding: 'utf8' });
    const coldWall = (performance.now() - t0) / 1000;
    const coldSim = cold.status === 0 ? Number(JSON.parse(cold.stdout).wallSeconds) : NaN;
    const x = (s: number) => Math.round((8 * 3600) / s);
    return [
      { metric: 'idle 8-h shift, wall (median of 5, warm)', value: idle.wall, unit: 's', note: `${x(idle.wall).toLocaleString('en-US')}× real time; CPU ${idle.cpu.toFixed(2)} s` },
      {
        metric: 'day-patrol 8-h shift, wall (median of 5, warm)',
        value: patrol.wall,
        unit: 's',
        target: '≤ 0.5 s (#9), ≤ 1 s (#4)',
        ok: patrol.wall <= 0.5,
        note: `${x(patrol.wall).toLocaleString('en-US')}× real time; CPU ${patrol.cpu.toFixed(2)} s; coverage ${patrol.coverage.toFixed(5)}`,
      },
      { metric: 'day-patrol, cold `dozor sim shift --json` process', value: coldWall, unit: 's', note: `of which simulation ${coldSim.toFixed(2)} s; the rest is Node start-up and on-the-fly TypeScript compilation (tsx)` },
    ];
  },
};
export default suite;
