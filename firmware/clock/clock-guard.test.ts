import { describe, expect, it } from 'vitest';
import { bootBodycam, SHIFT_START } from '../../test/fakes/harness.ts';
import { INVENTORY, authorise, makeSigner } from '../../test/fakes/keys.ts';
import { ANNOUNCEMENTS } from '../alerts/patterns.ts';
import { RecordingRefusedError } from '../common/errors.ts';
import { AuthorizationError } from '../../protocol/authorization.ts';

async function issued(o: Parameters<typeof bootBodycam>[0] = {}) {
  const h = await bootBodycam({ skipTimeSync: true, ...o });
  await h.fw.handleAuthorization(authorise(h.duty, 'issue', { inventoryNumber: INVENTORY, officer: 'Sgt. Abenov', plannedShiftHours: 8 }));
  return h;
}

describe('clock guard (R-TIME-1)', () => {
  it('R-TIME-1: an RTC whose oscillator stopped makes the clock untrusted: recording refuses to start, journal says why', async () => {
    const h = await issuedWithOsf();
    await expect(h.fw.startDuty()).rejects.toBeInstanceOf(RecordingRefusedError);
    expect(h.fw.status().clock).toMatchObject({ trusted: false, reason: 'oscillator-stopped' });
    expect(h.tb.journal.of('clock-untrusted').map((e) => e.data.reason)).toContain('oscillator-stopped');
    expect(h.tb.journal.of('recording-refused').at(-1)?.data.reason).toMatch(/oscillator-stopped/);
    expect(h.fw.status().state).toBe('issued');
    expect(h.tb.camera.subscriptions).toBe(0);
    // The record button is refused the same way.
    h.tb.buttons.press('record');
    await h.clock.runFor(0);
    expect(h.fw.status().state).toBe('issued');
    expect(h.tb.journal.of('recording-refused')).toHaveLength(2);
  });

  it('R-TIME-1: untrusted clock plays its own pattern (5 beeps), distinct from every battery alarm, every 20 s', async () => {
    const h = await issuedWithOsf();
    await h.clock.runFor(60_500);
    const beeps = h.tb.indicators.plays.filter((p) => p.output === 'buzzer');
    expect(beeps.map((b) => b.at)).toEqual([0, 20_000, 40_000, 60_000]);
    const pattern = ANNOUNCEMENTS['clock-untrusted'].outputs.buzzer!;
    expect(beeps[0].pattern).toEqual(pattern);
    expect(pattern.filter((_, i) => i % 2 === 0)).toHaveLength(5);
    for (const kind of ['battery-low', 'battery-critical', 'battery-empty'] as const) {
      expect(ANNOUNCEMENTS[kind].outputs.buzzer).not.toEqual(pattern);
    }
    expect(ANNOUNCEMENTS['clock-untrusted'].outputs.vibration).toBeUndefined();
  });

  it('R-TIME-1: a time outside the plausible window, or gone backwards, is untrusted', async () => {
    const h = await bootBodycam({ skipTimeSync: true });
    await h.fw.dockTimeSync(h.clock.trueTime());
    await h.fw.stop();
    h.tb.rtc.offsetMs = Date.UTC(2016, 0, 1) - h.clock.trueTime(); // fake-hwclock style 2016
    const old = await bootBodycam({ after: h, skipTimeSync: true });
    expect(old.fw.status().clock).toMatchObject({ trusted: false, reason: 'implausible' });
    await old.fw.stop();
    old.tb.rtc.offsetMs = -3 * 3_600_000; // three hours behind what the device saw last
    const back = await bootBodycam({ after: old, skipTimeSync: true });
    expect(back.fw.status().clock).toMatchObject({ trusted: false, reason: 'implausible' });
    expect(back.fw.status().clock.trusted ? '' : (back.fw.status().clock as { detail: string }).detail).toMatch(/went back/);
  });

  it('R-TIME-1: a clock not verified within the configured period is untrusted until a dock sync', async () => {
    const h = await bootBodycam({ skipTimeSync: true, config: { clock: { maxUnverifiedMs: 3_600_000 } } });
    expect(h.fw.status().clock).toMatchObject({ trusted: false, reason: 'not-verified' });
    await h.fw.dockTimeSync(h.clock.trueTime() + 1500);
    expect(h.fw.status().clock.trusted).toBe(true);
    expect(h.tb.journal.of('time-set').map((e) => e.data)).toEqual([{ oldTime: SHIFT_START, newTime: SHIFT_START + 1500, source: 'dock-sync' }]);
    await h.fw.stop();
    await h.clock.runFor(2 * 3_600_000);
    const later = await bootBodycam({ after: h, skipTimeSync: true, config: { clock: { maxUnverifiedMs: 3_600_000 } } });
    expect(later.fw.status().clock).toMatchObject({ trusted: false, reason: 'not-verified' });
    expect(later.tb.journal.of('clock-untrusted').at(-1)?.data.reason).toBe('not-verified');
  });

  it('R-TIME-1: a dock may correct small drift only; a large difference needs a signed time set', async () => {
    const h = await bootBodycam({ skipTimeSync: true });
    await expect(h.fw.dockTimeSync(h.clock.trueTime() + 10 * 60_000)).rejects.toThrow(/needs a signed time set|exceeds/);
    expect(h.fw.status().clock.trusted).toBe(false);
    expect(h.tb.journal.of('action-refused').map((e) => e.data.action)).toEqual(['dock-time-sync']);
    expect(h.tb.journal.of('time-drift')).toHaveLength(1);
  });

  it('R-TIME-1: the RTC failing to answer at power-on is untrusted (rtc-unreadable)', async () => {
    const h = await bootBodycam({ skipTimeSync: true });
    await h.fw.stop();
    h.tb.rtc.failing = true;
    const again = await bootBodycam({ after: h, skipTimeSync: true });
    expect(again.fw.status().clock).toMatchObject({ trusted: false, reason: 'rtc-unreadable' });
    expect(again.tb.journal.of('clock-untrusted').at(-1)?.data).toEqual({ reason: 'rtc-unreadable' });
  });
});

describe('time set (R-TIME-2)', () => {
  it('R-TIME-2: a time set signed by the responsible person sets RTC and clock, journals old and new, and trusts the clock', async () => {
    const h = await issuedWithOsf();
    const newTime = h.clock.trueTime();
    const old = h.fw.status().clock;
    expect(old.trusted).toBe(false);
    await h.fw.handleAuthorization(authorise(h.responsible, 'set-time', { time: newTime }));
    expect(h.fw.status().clock.trusted).toBe(true);
    expect(h.tb.rtc.sets).toEqual([newTime]);
    expect(h.tb.rtc.oscillatorStopped).toBe(false);
    const [set] = h.tb.journal.of('time-set');
    expect(set.data).toMatchObject({ newTime, source: 'authorised', by: { name: 'Cpt. Responsible', counter: 1 } });
    expect(set.data.oldTime).not.toBe(newTime);
    // Now duty can start and the alert stops.
    await h.fw.startDuty();
    expect(h.fw.status().state).toBe('on-duty');
    expect(h.fw.status().alerts.map((a) => a.kind)).not.toContain('clock-untrusted');
  });

  it('R-TIME-2: nobody else can set the time: a duty officer, a foreign key, a bad signature and a replay are refused and journalled', async () => {
    const h = await issuedWithOsf();
    const t = h.clock.trueTime();
    await expect(h.fw.handleAuthorization(authorise(h.duty, 'set-time', { time: t }))).rejects.toMatchObject({ reason: 'role-not-allowed' });
    const stranger = makeSigner('Mallory', 'responsible');
    await expect(h.fw.handleAuthorization(authorise(stranger, 'set-time', { time: t }))).rejects.toMatchObject({ reason: 'unknown-key' });
    const good = authorise(h.responsible, 'set-time', { time: t });
    const forged = { body: good.body, signature: Uint8Array.from(good.signature, (b, i) => (i === 0 ? b ^ 1 : b)) };
    await expect(h.fw.handleAuthorization(forged)).rejects.toMatchObject({ reason: 'bad-signature' });
    await expect(h.fw.handleAuthorization({ body: good.body } as never)).rejects.toBeInstanceOf(AuthorizationError);
    const otherDevice = authorise(h.responsible, 'set-time', { time: t }, { device: 'DZ-OTHER' });
    await expect(h.fw.handleAuthorization(otherDevice)).rejects.toMatchObject({ reason: 'wrong-device' });
    await h.fw.handleAuthorization(good);
    await expect(h.fw.handleAuthorization(good)).rejects.toMatchObject({ reason: 'replayed' });
    const refused = h.tb.journal.of('action-refused').map((e) => e.data.reason);
    expect(refused).toEqual(['role-not-allowed', 'unknown-key', 'bad-signature', 'malformed', 'wrong-device', 'replayed']);
    expect(h.tb.journal.of('time-set')).toHaveLength(1);
  });

  it('R-TIME-2: the replay guard survives a power cut: an old authorisation stays refused after reboot', async () => {
    const h = await issuedWithOsf();
    const auth = authorise(h.responsible, 'set-time', { time: h.clock.trueTime() });
    await h.fw.handleAuthorization(auth);
    h.tb.rail.cut();
    const again = await bootBodycam({ after: h, skipTimeSync: true });
    await expect(again.fw.handleAuthorization(auth)).rejects.toMatchObject({ reason: 'replayed' });
    expect(again.fw.status().clock.trusted).toBe(true); // the set survived too
  });

  it('R-TIME-2: a set time that is implausible is refused as a bad command', async () => {
    const h = await issuedWithOsf();
    await expect(h.fw.handleAuthorization(authorise(h.responsible, 'set-time', { time: Date.UTC(2001, 0, 1) }))).rejects.toThrow(/plausible/);
    await expect(h.fw.handleAuthorization(authorise(h.responsible, 'set-time', { when: 5 }))).rejects.toThrow(/set-time/);
    expect(h.fw.status().clock.trusted).toBe(false);
  });
});

/** A device booted with the RTC oscillator-stop flag set, already issued. */
async function issuedWithOsf() {
  const h = await bootBodycam({ skipTimeSync: true });
  await h.fw.stop();
  // What a DS3231 shows after losing both supplies: stopped, restarted from its reset value.
  h.tb.rtc.oscillatorStopped = true;
  h.tb.rtc.offsetMs = Date.UTC(2000, 0, 1) - h.clock.trueTime();
  return issued({ after: h });
}
