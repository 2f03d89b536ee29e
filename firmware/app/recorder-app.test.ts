import { describe, expect, it } from 'vitest';
import { InvalidOptionsError } from '../../hal/errors.ts';
import { bootBodycam, bootVehicle, endDuty, issueAndStart } from '../../test/fakes/harness.ts';
import { makeTestBoard } from '../../test/fakes/recorder-board.ts';
import { INVENTORY, SERIAL, authorise, standardSigners } from '../../test/fakes/keys.ts';
import { VirtualClock } from '../../sim/virtual-clock.ts';
import { createBodycamFirmware, type FirmwareEvent } from '../bodycam/index.ts';
import { createVehicleRecorderFirmware } from '../vehicle/index.ts';
import { DEFAULT_RECORDER_CONFIG, parseRecorderConfig } from './config.ts';
import { verifyChain } from '../recorder/verify.ts';
import { analyseCoverage } from '../recorder/coverage.ts';

const MIN = 60_000;
const HOUR = 60 * MIN;

describe('configuration', () => {
  it('has the defaults the regulations and research name', () => {
    const c = DEFAULT_RECORDER_CONFIG;
    expect(c.recorder.segmentMs).toBe(60_000);
    expect(c.dayNight).toMatchObject({ nightBelowLux: 2, dayAboveLux: 4, dwellMs: 5_000 });
    expect(c.power).toMatchObject({ lowMinutes: 20, criticalMinutes: 5 });
    expect(c.alerts.repeatMs).toBe(20_000);
    expect(c.storage.lowHours).toBe(1);
    expect(c.video.keyframeInterval).toBe(60);
  });

  it('overrides only what is given and rejects nonsense with InvalidOptionsError', () => {
    expect(parseRecorderConfig({ dayNight: { nightBelowLux: 1 } }).dayNight).toMatchObject({ nightBelowLux: 1, dayAboveLux: 4 });
    expect(() => parseRecorderConfig({ recorder: { segmentMs: -5 } })).toThrow(InvalidOptionsError);
    expect(() => parseRecorderConfig({ power: { lowMinutes: 3, criticalMinutes: 5 } })).toThrow(/criticalMinutes/);
    expect(() => parseRecorderConfig({ video: { fps: 'fast' } } as never)).toThrow(/video.fps/);
  });

  it('validates its options before touching any hardware', () => {
    const clock = new VirtualClock({ startEpochMs: 0 });
    const tb = makeTestBoard({ clock });
    const base = { board: tb.board, clock, random: tb.random, journal: tb.journal, evidence: tb.evidence, identity: { serial: SERIAL, inventoryNumber: INVENTORY, trustedKeys: standardSigners().trusted } };
    expect(() => createBodycamFirmware({ ...base, identity: { ...base.identity, serial: '' } })).toThrow(InvalidOptionsError);
    expect(() => createBodycamFirmware({ ...base, journal: undefined as never })).toThrow(/journal/);
    expect(() => createBodycamFirmware({ ...base, config: { dayNight: { dwellMs: -1 } } })).toThrow(InvalidOptionsError);
    expect(() => createVehicleRecorderFirmware(base)).toThrow(/three cameras/);
    expect(tb.camera.subscriptions).toBe(0);
    expect(tb.light.reads).toBe(0);
  });
});

describe('body camera application', () => {
  it('R-REC-1: a 3-hour shift with dusk, a meal pause, a cold-to-warm move and a battery swap: coverage ≥ 0.999, zero gaps', async () => {
    const dusk = 70 * MIN;
    let indoorsFrom = Infinity;
    const h = await bootBodycam({
      lux: (t) => (t < dusk ? 400 : t < dusk + 5 * MIN ? 400 * (1 - (t - dusk) / (5 * MIN)) + 0.2 : 0.2),
      air: (t) => (t < indoorsFrom ? { celsius: -12, humidity: 75 } : { celsius: 21, humidity: 55 }),
    });
    h.tb.power.drawPercentPerHour = 55; // a pack lasts under 2 h: one switch and one swap in the shift
    const events: FirmwareEvent[] = [];
    h.fw.events$.subscribe((e) => events.push(e));
    await issueAndStart(h, 3);
    const start = h.clock.monotonic();
    await h.clock.runUntil(start + 60 * MIN);
    await h.fw.handleAuthorization(authorise(h.duty, 'pause', { reason: 'meal', maxMinutes: 30 }));
    indoorsFrom = h.clock.monotonic();
    await h.clock.runUntil(start + 2 * HOUR);
    h.tb.power.remove(0);
    await h.clock.runFor(20_000);
    h.tb.power.insert(0, 100);
    await h.clock.runUntil(start + 3 * HOUR);
    await endDuty(h);
    const j = h.tb.journal;
    const segs = j.of('segment-closed').map((e) => e.data);
    const pauses = [[j.of('pause-start')[0].mono, j.of('pause-end')[0].mono] as const];
    const duty = [j.of('duty-start')[0].mono, j.of('return')[0].mono] as const;
    const report = analyseCoverage(duty, segs.map((s) => [s.startMono, s.endMono] as const), pauses, 500 / 30);
    expect(report.coverage).toBeGreaterThanOrEqual(0.999);
    expect(report.gaps).toEqual([]);
    expect(report.overlaps).toBe(0);
    expect(j.of('day-night').map((e) => e.data.mode)).toEqual(['day', 'night']);
    expect(j.of('condensation').map((e) => e.data.state)).toEqual(['risk', 'clear']);
    expect(j.of('battery-swap').map((e) => e.data.event)).toEqual(['switched-to', 'removed', 'inserted']);
    expect(j.of('pause-end')[0].data.cause).toBe('expired');
    expect((await verifyChain(h.tb.cardSim, 'video', 'main')).problems).toEqual([]);
    expect(events.filter((e) => e.type === 'segment')).toHaveLength(segs.length);
    expect(events.filter((e) => e.type === 'state').map((e) => (e as { state: string }).state)).toEqual(['issued', 'on-duty', 'paused', 'on-duty', 'returned']);
    const summary = await h.fw.dutyEnded();
    expect(summary!.recordedMs + summary!.pausedMs).toBeGreaterThanOrEqual(3 * HOUR - 1);
    expect(h.fw.status()).toMatchObject({ state: 'returned', recording: { active: false } });
  });

  it('reports a status snapshot the shift runner and the dock can read', async () => {
    const h = await bootBodycam();
    await issueAndStart(h);
    await h.clock.runFor(10 * MIN);
    const s = h.fw.status();
    expect(s).toMatchObject({
      variant: 'bodycam',
      serial: SERIAL,
      inventoryNumber: INVENTORY,
      running: true,
      shutdown: null,
      state: 'on-duty',
      issue: { officer: 'Sgt. Abenov', plannedShiftHours: 8 },
      clock: { trusted: true },
      dayNight: 'day',
      recording: { active: true, paused: false },
    });
    expect(s.recording.cameras[0]).toMatchObject({ camera: 'main', segmentsClosed: 10, lostChunks: 0 });
    expect(s.recording.coverage!.coverage).toBe(1);
    expect(s.batteryHours).toBeGreaterThan(15);
    expect(s.storage.freeHours).toBeGreaterThan(1000);
    expect(s.alerts).toEqual([]);
    expect(JSON.parse(JSON.stringify(s))).toBeTruthy();
    // The mode lamp shows recording; the alert history shows the boot's unverified clock, then its sync.
    expect(h.tb.indicators.isOn('led-green')).toBe(true);
    expect(h.fw.alertHistory().map((a) => [a.event, a.kind])).toEqual([
      ['raised', 'clock-untrusted'],
      ['cleared', 'clock-untrusted'],
    ]);
  });

  it('refuses commands after power-off, and a stop never ends the duty', async () => {
    const h = await bootBodycam();
    await issueAndStart(h);
    await h.clock.runFor(MIN);
    await h.fw.stop();
    expect(h.fw.status()).toMatchObject({ running: false, shutdown: 'shutdown', state: 'on-duty' });
    expect(() => h.fw.mark()).toThrow(/off/);
    await expect(h.fw.startDuty()).rejects.toThrow(/off/);
    const chain = await verifyChain(h.tb.cardSim, 'video', 'main');
    expect(chain.problems).toEqual([]);
    expect(h.tb.journal.of('power-off').map((e) => e.data.reason)).toEqual(['shutdown']);
  });

  it('lets other areas handle their authorisations (card registration) through the same door', async () => {
    const h = await bootBodycam();
    const seen: string[] = [];
    h.fw.registerAuthorizationHandler('register-card', async ({ body, by }) => {
      seen.push(`${body.params.cid as string} by ${by.name}`);
      return 'registered';
    });
    const out = await h.fw.handleAuthorization(authorise(h.responsible, 'register-card', { cid: 'abc' }));
    expect(out).toMatchObject({ action: 'register-card', result: 'registered' });
    expect(seen).toEqual(['abc by Cpt. Responsible']);
    await expect(h.fw.handleAuthorization(authorise(h.responsible, 'journal-correction', {}))).rejects.toThrow(/does not handle/);
  });
});

describe('vehicle recorder (R-VEH-1)', () => {
  it('R-VEH-1: records three cameras, each in its own hash chain, and day/night drives all three', async () => {
    const h = await bootVehicle({ lux: (t) => (t < 5 * MIN ? 300 : 0.1) });
    await h.fw.handleAuthorization(authorise(h.duty, 'issue', { inventoryNumber: INVENTORY, vehicle: { boardNumber: '112', plate: '123 ABC 02' }, plannedShiftHours: 8 }));
    await h.fw.startDuty();
    await h.clock.runFor(12 * MIN);
    for (const cam of ['front-left', 'front-right', 'rear']) {
      const chain = await verifyChain(h.tb.cardSim, 'video', cam);
      expect(chain.problems, cam).toEqual([]);
      expect(chain.segments).toHaveLength(12);
    }
    for (const cam of [h.tb.camera, ...h.tb.extraCameras]) expect(cam.mode).toBe('night');
    expect(h.tb.journal.of('issue')[0].data.vehicle).toEqual({ boardNumber: '112', plate: '123 ABC 02' });
    expect(h.fw.status().recording.cameras.map((c) => c.camera)).toEqual(['front-left', 'front-right', 'rear']);
  });

  it('R-REC-5: the crew switches the IR lights off and on; journalled', async () => {
    const h = await bootVehicle({ lux: () => 0.05 });
    await h.clock.runFor(2_000);
    expect(h.tb.irLight.level).toBe(1);
    await h.fw.setIrLights(false);
    expect(h.tb.irLight.level).toBe(0);
    expect(h.fw.status().irLightsEnabled).toBe(false);
    await h.fw.setIrLights(true);
    expect(h.tb.irLight.level).toBe(1);
    expect(h.tb.journal.of('ir-lights').map((e) => e.data.enabled)).toEqual([false, true]);
  });

  it('R-VEH-1: an end of duty closes all three cameras at the end of the duty', async () => {
    const h = await bootVehicle();
    await issueAndStart(h);
    await h.clock.runFor(3 * MIN + 300);
    await endDuty(h);
    const byCam = new Map<string, number>();
    for (const e of h.tb.journal.of('segment-closed')) byCam.set(e.data.camera!, Math.max(byCam.get(e.data.camera!) ?? 0, e.data.endMono));
    const returnAt = h.tb.journal.of('return')[0].mono;
    for (const [cam, end] of byCam) {
      expect(end, cam).toBeGreaterThanOrEqual(returnAt);
      expect(end - returnAt, cam).toBeLessThan(2_000);
    }
    expect(byCam.size).toBe(3);
  });
});
