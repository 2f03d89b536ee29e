import { describe, expect, it } from 'vitest';
import { bootBodycam, endDuty, issueAndStart } from '../../test/fakes/harness.ts';
import { INVENTORY, authorise } from '../../test/fakes/keys.ts';
import { verifyChain } from '../recorder/verify.ts';
import { InvalidCommandError, RecordingRefusedError } from '../common/errors.ts';

const MIN = 60_000;

describe('authorised pause (R-REC-2)', () => {
  it('R-REC-2: the pause button alone is refused and journalled; recording goes on', async () => {
    const h = await bootBodycam();
    await issueAndStart(h);
    await h.clock.runFor(MIN);
    h.tb.buttons.press('pause');
    await h.clock.runFor(MIN);
    expect(h.fw.status().state).toBe('on-duty');
    expect(h.tb.journal.of('action-refused').map((e) => e.data)).toEqual([
      { action: 'pause', reason: expect.stringMatching(/signed authorisation/), state: 'on-duty' },
    ]);
    expect(h.fw.status().recording.coverage).toMatchObject({ coverage: 1, gaps: [] });
  });

  it('R-REC-2: a signed pause (reason, authoriser, maximum) pauses, resumes by itself at the end, and journals both', async () => {
    const h = await bootBodycam();
    await issueAndStart(h);
    await h.clock.runFor(10 * MIN + 700);
    await h.fw.handleAuthorization(authorise(h.duty, 'pause', { reason: 'meal', maxMinutes: 30 }));
    expect(h.fw.status().state).toBe('paused');
    await h.clock.runFor(29 * MIN);
    expect(h.fw.status().recording.paused).toBe(true);
    await h.clock.runFor(2 * MIN);
    expect(h.fw.status().state).toBe('on-duty');
    const start = h.tb.journal.of('pause-start')[0];
    expect(start.data).toEqual({ reason: 'meal', maxMinutes: 30, by: { name: 'Lt. Duty Officer', keyId: h.duty.key.keyId, counter: 2 } });
    const end = h.tb.journal.of('pause-end')[0];
    expect(end.data.cause).toBe('expired');
    // What the pause left unrecorded is the 30 min window trimmed to GOP boundaries.
    expect(Math.abs(end.data.pausedMs - 30 * MIN)).toBeLessThanOrEqual(2_000);
    expect(h.tb.journal.of('shift-state').map((e) => e.data.event)).toEqual(['issue', 'duty-start', 'pause', 'resume']);
    const cov = h.fw.status().recording.coverage!;
    expect(cov.gaps).toEqual([]);
    expect(cov.coverage).toBe(1);
    expect(cov.pausedMs).toBeGreaterThan(28 * MIN);
  });

  it('R-REC-2: the officer may resume early with the record button', async () => {
    const h = await bootBodycam();
    await issueAndStart(h);
    await h.clock.runFor(5 * MIN);
    await h.fw.handleAuthorization(authorise(h.duty, 'pause', { reason: 'rest', maxMinutes: 15 }));
    await h.clock.runFor(4 * MIN);
    h.tb.buttons.press('record');
    await h.clock.runFor(10_000);
    expect(h.fw.status().state).toBe('on-duty');
    expect(h.tb.journal.of('pause-end')[0].data.cause).toBe('resumed');
  });

  it('R-REC-2: pauses without a valid authorisation, too long, or with a wrong reason are refused', async () => {
    const h = await bootBodycam();
    await issueAndStart(h);
    const replay = authorise(h.duty, 'pause', { reason: 'meal', maxMinutes: 10 });
    await h.fw.handleAuthorization(replay);
    await h.fw.handleAuthorization(authorise(h.duty, 'return', {}));
    await h.clock.runFor(10_000);
    // New duty on the same device.
    await h.fw.handleAuthorization(authorise(h.duty, 'issue', { inventoryNumber: INVENTORY, officer: 'x', plannedShiftHours: 1 })).catch(() => undefined);
    const again = await bootBodycam();
    await issueAndStart(again);
    await expect(again.fw.handleAuthorization(authorise(again.duty, 'pause', { reason: 'smoke', maxMinutes: 10 }))).rejects.toBeInstanceOf(InvalidCommandError);
    await expect(again.fw.handleAuthorization(authorise(again.duty, 'pause', { reason: 'meal', maxMinutes: 500 }))).rejects.toThrow(/limit/);
    const ok = authorise(again.duty, 'pause', { reason: 'meal', maxMinutes: 10 });
    await again.fw.handleAuthorization(ok);
    await again.fw.handleAuthorization(authorise(again.duty, 'pause', { reason: 'meal', maxMinutes: 10 })).catch(() => undefined);
    await again.clock.runFor(11 * MIN);
    await expect(again.fw.handleAuthorization(ok)).rejects.toMatchObject({ reason: 'replayed' });
    expect(again.fw.status().state).toBe('on-duty');
    expect(again.tb.journal.of('pause-start')).toHaveLength(1);
  });
});

describe('shift (R-REC-1, R-REC-6, R-LOG-1)', () => {
  it('R-LOG-1: every transition and action of a shift is journalled, in order', async () => {
    const h = await bootBodycam();
    await issueAndStart(h);
    await h.clock.runFor(2 * MIN);
    h.tb.buttons.press('marker');
    await h.clock.runFor(MIN);
    await h.fw.playback({ camera: 'main', segment: 0 });
    await h.fw.handleAuthorization(authorise(h.duty, 'pause', { reason: 'rest', maxMinutes: 1 }));
    await h.clock.runFor(2 * MIN);
    await endDuty(h);
    h.tb.charger.setDocked(true);
    await h.clock.runFor(1_000);
    await h.fw.markOffloaded();
    await h.fw.stop();
    expect(h.tb.journal.of('shift-state').map((e) => [e.data.from, e.data.to, e.data.event])).toEqual([
      ['stowed', 'issued', 'issue'],
      ['issued', 'on-duty', 'duty-start'],
      ['on-duty', 'paused', 'pause'],
      ['paused', 'on-duty', 'resume'],
      ['on-duty', 'returned', 'return'],
      ['returned', 'docked', 'dock'],
      ['docked', 'stowed', 'offloaded'],
    ]);
    const types = h.tb.journal.types();
    for (const t of ['power-on', 'issue', 'duty-start', 'recording-started', 'marker', 'playback', 'pause-start', 'pause-end', 'return', 'duty-end', 'segment-closed', 'power-off'] as const) {
      expect(types, t).toContain(t);
    }
    expect(types.indexOf('duty-end')).toBeGreaterThan(types.lastIndexOf('segment-closed'));
    const dutyEnd = h.tb.journal.of('duty-end')[0].data;
    const segs = h.tb.journal.of('segment-closed').map((e) => e.data);
    expect(dutyEnd.recordedMs).toBe(segs.reduce((n, s) => n + s.durationMs, 0));
  });

  it('R-REC-6: the record and power buttons cannot stop recording on duty; both refusals are journalled', async () => {
    const h = await bootBodycam();
    await issueAndStart(h);
    await h.clock.runFor(MIN);
    h.tb.buttons.press('record');
    h.tb.buttons.press('power');
    await h.clock.runFor(MIN);
    expect(h.fw.status()).toMatchObject({ state: 'on-duty', running: true });
    expect(h.tb.journal.of('action-refused').map((e) => e.data.action)).toEqual(['stop-recording', 'power-off']);
    expect(h.fw.status().recording.coverage!.gaps).toEqual([]);
  });

  it('R-REC-1: a reboot during duty (power cut) resumes recording at once and recovers the open segment', async () => {
    const h = await bootBodycam();
    await issueAndStart(h);
    await h.clock.runFor(90_500);
    h.tb.rail.cut();
    await h.clock.runFor(3_000);
    const again = await bootBodycam({ after: h });
    await again.clock.runFor(2 * MIN);
    expect(again.fw.status()).toMatchObject({ state: 'on-duty' });
    expect(again.fw.status().recording.active).toBe(true);
    expect(again.tb.journal.of('power-on').map((e) => e.data.reason)).toEqual(['cold', 'recovered']);
    expect(again.tb.journal.of('segment-recovered')).toHaveLength(1);
    const chain = await verifyChain(again.tb.cardSim, 'video', 'main');
    expect(chain.problems).toEqual([]);
    expect(chain.segments.map((s) => s.segment)).toEqual([0, 1, 2, 3]);
    expect(chain.segments[1].recovered).toBe(true);
  });

  it('R-REC-2: a pause that ran out while the device was off ends at power-on', async () => {
    const h = await bootBodycam();
    await issueAndStart(h);
    await h.fw.handleAuthorization(authorise(h.duty, 'pause', { reason: 'meal', maxMinutes: 5 }));
    await h.clock.runFor(MIN);
    await h.fw.stop();
    await h.clock.runFor(10 * MIN);
    const again = await bootBodycam({ after: h });
    await again.clock.runFor(10_000);
    expect(again.fw.status().state).toBe('on-duty');
    expect(again.fw.status().recording.active).toBe(true);
    expect(again.tb.journal.of('shift-state').at(-1)!.data).toEqual({ from: 'paused', to: 'on-duty', event: 'resume' });
  });

  it('R-REC-1: internal storage failing during duty is a fault; recording goes on', async () => {
    const h = await bootBodycam();
    await issueAndStart(h);
    await h.clock.runFor(MIN);
    h.tb.internalSim.setAvailable(false);
    await h.clock.runFor(3 * MIN);
    await h.fw.handleAuthorization(authorise(h.duty, 'pause', { reason: 'rest', maxMinutes: 1 })).catch(() => undefined);
    await h.clock.runFor(3 * MIN);
    expect(h.fw.status().faults.map((f) => f.device)).toContain('internal storage');
    expect(h.fw.status().recording.coverage!.gaps).toEqual([]);
    expect((await verifyChain(h.tb.cardSim, 'video', 'main')).problems).toEqual([]);
    expect(h.tb.journal.of('segment-closed').length).toBeGreaterThanOrEqual(6);
  });

  it('R-CARD-3: duty cannot start without a ready evidence card', async () => {
    const h = await bootBodycam();
    await h.fw.handleAuthorization(authorise(h.duty, 'issue', { inventoryNumber: INVENTORY, officer: 'x', plannedShiftHours: 8 }));
    h.tb.evidence.set('refused');
    await expect(h.fw.startDuty()).rejects.toBeInstanceOf(RecordingRefusedError);
    expect(h.tb.journal.of('recording-refused')[0].data.reason).toBe('evidence card refused');
  });

  it('R-CARD-1: an issue for another inventory number is refused', async () => {
    const h = await bootBodycam();
    await expect(h.fw.handleAuthorization(authorise(h.duty, 'issue', { inventoryNumber: 'INV-0000', officer: 'x', plannedShiftHours: 8 }))).rejects.toThrow(/inventory number/);
    await expect(h.fw.handleAuthorization(authorise(h.duty, 'issue', { inventoryNumber: INVENTORY, plannedShiftHours: 8 }))).rejects.toThrow(/officer or a vehicle/);
    expect(h.fw.status().state).toBe('stowed');
  });
});
