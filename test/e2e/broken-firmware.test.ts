/**
 * A firmware setting deliberately broken makes the scenario built to show that requirement fail
 * with that requirement's id, and only that one: the checks judge the evidence by QA's limits,
 * not by what the firmware was told.
 */
import { describe, expect, it } from 'vitest';
import { loadBuiltInScenario } from '../../tools/sim/library.ts';
import { runToVerdicts, withConfig } from './shift-helpers.ts';

async function broken(name: string, config: Record<string, Record<string, unknown>>) {
  return runToVerdicts(withConfig(await loadBuiltInScenario(name), config));
}

describe('a broken firmware setting fails the matching requirement', () => {
  it('R-REC-5: day/night hysteresis off (one threshold, no dwell) makes the modes oscillate at dusk', async () => {
    const v = await broken('day-patrol', { dayNight: { nightBelowLux: 2, dayAboveLux: 2.0001, dwellMs: 0, minSwitchIntervalMs: 0 } });
    expect(v.failed).toEqual(['R-REC-5']);
    expect(v.of('R-REC-5').detail).toMatch(/oscillation/);
  });

  it('R-REC-5: a night threshold far too low leaves the IR illuminator off in the dark', async () => {
    const v = await broken('night-patrol', { dayNight: { nightBelowLux: 0.0001, dayAboveLux: 0.001 } });
    expect(v.failed).toEqual(['R-REC-5']);
    expect(v.of('R-REC-5').detail).toMatch(/want night/);
  });

  it('R-PWR-2: the low-battery alarm threshold set to 8 min (and critical to 3) warns too late', async () => {
    const v = await broken('low-battery', { power: { lowMinutes: 8, criticalMinutes: 3 } });
    expect(v.failed).toEqual(['R-PWR-2']);
    expect(v.of('R-PWR-2').detail).toMatch(/battery-low alarm at .* truly left \(want 15–30\)/);
  });

  it('R-PWR-2: battery alarms repeated once a minute instead of every 20 s', async () => {
    const v = await broken('low-battery', { alerts: { repeatMs: 60_000 } });
    expect(v.failed).toEqual(['R-PWR-2']);
    expect(v.of('R-PWR-2').detail).toMatch(/apart .*limit 25 s/);
  });

  it('R-REC-2: the pause limit raised to 10 h lets a 3-hour "meal" through', async () => {
    const v = await broken('meal-pause', { pause: { maxMinutes: 600 } });
    expect(v.failed).toEqual(['R-REC-2']);
    expect(v.of('R-REC-2').detail).toMatch(/granted for 180 min \(limit 120\)/);
  });

  it('R-REC-7: the free-space warning threshold set to 6 minutes warns too late', async () => {
    const v = await broken('storage-nearly-full', { storage: { lowHours: 0.1 } });
    expect(v.failed).toEqual(['R-REC-7']);
  });

  it('R-PWR-3: a fault reported only after 500 failed reads is not reported in time', async () => {
    const v = await broken('sensor-faults', { faults: { failuresBeforeFault: 500 } });
    expect(v.failed).toEqual(['R-PWR-3']);
    expect(v.of('R-PWR-3').detail).toMatch(/no fault journalled within 120 s/);
  });

  it('R-PWR-4: an issue check that assumes a tiny draw issues a camera that cannot last the shift', async () => {
    const v = await broken('low-battery', { power: { nominalDrawPercentPerHour: 2, issueReserveHours: 0 } });
    expect(v.failed).toEqual(['R-PWR-4']);
    expect(v.of('R-PWR-4').detail).toMatch(/issued at 0:01 for 8 h with only/);
  });
});
