import { describe, expect, it } from 'vitest';
import { Subject } from 'rxjs';
import { VirtualClock } from '../../sim/virtual-clock.ts';
import { MemoryJournal } from '../../test/fakes/recorder-board.ts';
import { bootBodycam, issueAndStart } from '../../test/fakes/harness.ts';
import type { ClimateSample } from '../../hal/climate.ts';
import type { Alert, AlertKind, AlertSink } from '../alerts/alert-sink.ts';
import { ServiceJournal } from '../common/journal.ts';
import { DEFAULT_RECORDER_CONFIG } from '../app/config.ts';
import { CondensationService, LensThermalModel, dewPoint } from './condensation.ts';

const MIN = 60_000;

describe('condensation (R-REC-3)', () => {
  it('R-REC-3: computes the dew point with the Magnus formula (water above 0 °C, ice below)', () => {
    expect(dewPoint(20, 50)).toBeCloseTo(9.3, 1);
    expect(dewPoint(25, 60)).toBeCloseTo(16.7, 1);
    expect(dewPoint(-10, 80)).toBeCloseTo(-12.5, 1);
    expect(dewPoint(15, 100)).toBeCloseTo(15, 6);
  });

  it('R-REC-3: the lens follows the air with a first-order lag', () => {
    const lens = new LensThermalModel(10 * MIN);
    lens.update(-10, 0);
    expect(lens.update(20, 10 * MIN)).toBeCloseTo(20 - 30 * Math.exp(-1), 6);
    expect(lens.update(20, 60 * MIN)).toBeGreaterThan(19.9);
  });

  it('R-REC-3: warns while the cold lens is below the dew point of warm air, then clears', () => {
    const clock = new VirtualClock({ startEpochMs: 0 });
    const memory = new MemoryJournal(clock);
    const raised: Array<Omit<Alert, 'at'>> = [];
    const cleared: AlertKind[] = [];
    const alerts: AlertSink = { raise: (a) => raised.push(a), clear: (k) => cleared.push(k) };
    const readings = new Subject<ClimateSample>();
    const svc = new CondensationService({ readings$: readings, journal: new ServiceJournal(memory), alerts, config: DEFAULT_RECORDER_CONFIG.condensation });
    svc.start();
    // Outdoors at −10 °C for 20 min, then into a 22 °C / 60 % room (dew point ≈ 13.9 °C).
    const changes: number[] = [];
    for (let t = 0; t <= 80 * MIN; t += 10_000) {
      const was = svc.state.risk;
      readings.next(t < 20 * MIN ? { celsius: -10, humidity: 70, at: t } : { celsius: 22, humidity: 60, at: t });
      if (svc.state.risk !== was) changes.push(t);
    }
    const entries = memory.of('condensation');
    expect(entries.map((e) => e.data.state)).toEqual(['risk', 'clear']);
    expect(entries[0].data.airC).toBe(22);
    expect(entries[0].data.lensC).toBeLessThan(entries[0].data.dewPointC + DEFAULT_RECORDER_CONFIG.condensation.marginC);
    expect(raised.map((a) => a.kind)).toEqual(['condensation-risk']);
    expect(cleared).toEqual(['condensation-risk']);
    // The risk lasts while the lens warms past dew point + margin + hysteresis (tens of minutes).
    const riskMs = changes[1] - changes[0];
    expect(riskMs).toBeGreaterThan(15 * MIN);
    expect(riskMs).toBeLessThan(25 * MIN);
    expect(svc.state.risk).toBe(false);
  });

  it('R-REC-3: recording never stops for condensation (cold to warm on duty)', async () => {
    let warmFrom = Infinity;
    const h = await bootBodycam({ air: (t) => (t < warmFrom ? { celsius: -15, humidity: 80 } : { celsius: 23, humidity: 55 }) });
    await issueAndStart(h);
    await h.clock.runFor(30 * MIN);
    warmFrom = h.clock.monotonic();
    await h.clock.runFor(60 * MIN);
    expect(h.tb.journal.of('condensation').map((e) => e.data.state)).toEqual(['risk', 'clear']);
    const status = h.fw.status();
    expect(status.recording.active).toBe(true);
    expect(status.recording.coverage!.gaps).toEqual([]);
    expect(h.tb.journal.of('recording-stopped')).toEqual([]);
  });
});
