import { describe, expect, it } from 'vitest';
import { builtInScenarioNames, loadBuiltInScenario } from '../../tools/sim/library.ts';
import { ALL_REQUIREMENTS } from '../../tools/sim/verdicts.ts';
import { runToVerdicts } from './shift-helpers.ts';

const names = await builtInScenarioNames();

describe('the built-in scenario library', () => {
  it('covers every requirement a body camera or a vehicle recorder can show in a shift', async () => {
    const covered = new Set<string>();
    for (const n of names) for (const id of (await loadBuiltInScenario(n)).covers) covered.add(id);
    // Everything the checks can judge (the rest needs the radar, the dock protocol or the server).
    const showable = Object.entries(ALL_REQUIREMENTS)
      .filter(([, why]) => why === '')
      .map(([id]) => id);
    expect([...covered].sort()).toEqual(showable.sort());
    expect(names).toEqual(
      expect.arrayContaining(['day-patrol', 'night-patrol', 'winter-shift', 'meal-pause', 'hot-battery-swap', 'low-battery', 'tamper', 'clock-lost', 'storage-nearly-full', 'sensor-faults', 'power-cut', 'vehicle-shift']),
    );
  });

  it.each(names)('%s passes: every requirement it covers is shown and passes, nothing fails', async (name) => {
    const scenario = await loadBuiltInScenario(name);
    const { failed, of, record } = await runToVerdicts(scenario);
    expect(failed, failed.map((id) => `${id}: ${of(id).detail}`).join('\n')).toEqual([]);
    for (const id of scenario.covers) expect(of(id).verdict, `${id}: ${of(id).detail}`).toBe('pass');
    expect(record.journal.verdict).toBe('valid');
    expect(record.actions.filter((a) => a.outcome === 'error')).toEqual([]);
  });
});
