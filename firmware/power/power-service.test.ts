import { describe, expect, it } from 'vitest';
import { bootBodycam, issueAndStart } from '../../test/fakes/harness.ts';
import { INVENTORY, authorise } from '../../test/fakes/keys.ts';
import { IssueRefusedError } from '../common/errors.ts';
import { verifyChain } from '../recorder/verify.ts';
import type { AlertTransport, OutboundAlert } from '../alerts/outbound-queue.ts';
import { OUTBOUND_QUEUE_PATH } from '../alerts/outbound-queue.ts';

const MIN = 60_000;

class Transport implements AlertTransport {
  readonly channel = 'uplink' as const;
  readonly got: Array<OutboundAlert & { deliveredAt: number }> = [];
  constructor(private readonly now: () => number) {}
  async deliver(a: OutboundAlert): Promise<void> {
    this.got.push({ ...a, deliveredAt: this.now() });
  }
}

describe('power (R-PWR-1..4)', () => {
  it('R-PWR-1: drains one pack, switches to the other with no break in recording, and takes a swap while recording', async () => {
    const h = await bootBodycam();
    h.tb.power.packs[0].soc = 40;
    h.tb.power.packs[1].soc = 95;
    h.tb.power.drawPercentPerHour = 60; // a fast drain keeps the test short
    await issueAndStart(h, 1);
    await h.clock.runFor(10_000);
    expect(h.fw.status().power.activeSlot).toBe(0); // the emptier pack first
    await h.clock.runFor(40 * MIN);
    const swaps = h.tb.journal.of('battery-swap').map((e) => e.data);
    expect(swaps).toContainEqual(expect.objectContaining({ slot: 1, event: 'switched-to' }));
    expect(h.fw.status().power.activeSlot).toBe(1);
    expect(h.fw.status().alerts.map((a) => a.kind)).toContain('battery-swap-needed');
    // The officer swaps the flat pack while recording.
    h.tb.power.remove(0);
    await h.clock.runFor(30_000);
    h.tb.power.insert(0, 100);
    await h.clock.runFor(5 * MIN);
    expect(h.tb.journal.of('battery-swap').map((e) => [e.data.slot, e.data.event])).toEqual([
      [1, 'switched-to'],
      [0, 'removed'],
      [0, 'inserted'],
    ]);
    expect(h.fw.status().alerts.map((a) => a.kind)).not.toContain('battery-swap-needed');
    const cov = h.fw.status().recording.coverage!;
    expect(cov.gaps).toEqual([]);
    expect(cov.coverage).toBe(1);
    expect(h.tb.power.browns).toBe(0);
  });

  it('R-PWR-2: low alarm at ≤ 20 min left and critical at ≤ 5 min, each every 20 s by LED, buzzer and vibration; 5–30 min of recording after the low alarm', async () => {
    const h = await bootBodycam();
    h.tb.power.packs[0].soc = 10; // usable 9 % at 20 %/h: 27 min
    h.tb.power.remove(1);
    h.tb.power.drawPercentPerHour = 20;
    await h.fw.handleAuthorization(authorise(h.duty, 'issue', { inventoryNumber: INVENTORY, officer: 'x', plannedShiftHours: 0.1 }));
    await h.fw.startDuty();
    await h.clock.runFor(40 * MIN);
    const alerts = h.tb.journal.of('battery-alert');
    expect(alerts.map((e) => e.data.level)).toEqual(['low', 'critical', 'empty']);
    const [low, critical, empty] = alerts;
    expect(low.data.remainingMin).toBeLessThanOrEqual(20);
    expect(low.data.remainingMin).toBeGreaterThan(19.5);
    expect(critical.data.remainingMin).toBeLessThanOrEqual(5);
    expect(critical.data.remainingMin).toBeGreaterThan(4.5);
    // GA/T 947 window: after the under-voltage alarm, recording lasts 5..30 min.
    const lastSegment = h.tb.journal.of('segment-closed').at(-1)!;
    const afterLow = lastSegment.data.endMono - low.mono;
    expect(afterLow).toBeGreaterThanOrEqual(5 * MIN);
    expect(afterLow).toBeLessThanOrEqual(30 * MIN);
    // Repetition every 20 s on all three outputs while low, then the critical pattern.
    for (const out of ['led-amber', 'buzzer', 'vibration'] as const) {
      const times = h.tb.indicators.playsOf(out).filter((t) => t >= low.mono && t < critical.mono);
      expect(times.length).toBeGreaterThan(10);
      for (let i = 1; i < times.length; i++) expect(times[i] - times[i - 1]).toBeCloseTo(20_000, -2);
    }
    const redAfterCritical = h.tb.indicators.playsOf('led-red').filter((t) => t >= critical.mono && t < empty.mono);
    for (let i = 1; i < redAfterCritical.length; i++) expect(redAfterCritical[i] - redAfterCritical[i - 1]).toBeCloseTo(20_000, -2);
  });

  it('R-PWR-3: with no good pack left it closes the segment cleanly, journals, shuts down and reports the flat battery', async () => {
    const h = await bootBodycam({ config: { power: { issueReserveHours: 0 } } });
    const transport = new Transport(() => h.clock.monotonic());
    h.fw.attachAlertTransport(transport);
    h.tb.power.packs[0].soc = 4;
    h.tb.power.packs[1].soc = 3;
    h.tb.power.drawPercentPerHour = 30;
    await h.fw.handleAuthorization(authorise(h.duty, 'issue', { inventoryNumber: INVENTORY, officer: 'x', plannedShiftHours: 0.1 }));
    await h.fw.startDuty();
    await h.clock.runFor(30 * MIN);
    const status = h.fw.status();
    expect(status.running).toBe(false);
    expect(status.shutdown).toBe('battery-empty');
    expect(h.tb.journal.of('power-off').map((e) => e.data.reason)).toEqual(['battery-empty']);
    expect(h.tb.power.browns).toBe(0); // shut down before the packs gave out
    // Every segment is closed and verifies; nothing was left open.
    const chain = await verifyChain(h.tb.cardSim, 'video', 'main');
    expect(chain.problems).toEqual([]);
    expect((await h.tb.cardSim.list('video/')).filter((f) => f.path.endsWith('.part'))).toEqual([]);
    // The duty officer heard of it at once.
    const kinds = transport.got.map((a) => a.alert.kind);
    expect(kinds).toContain('battery-critical');
    expect(kinds).toContain('battery-empty');
    const emptyEntry = h.tb.journal.of('battery-alert').find((e) => e.data.level === 'empty')!;
    expect(transport.got.find((a) => a.alert.kind === 'battery-empty')!.deliveredAt).toBe(emptyEntry.mono);
    // The duty is not over: the next power-on resumes it.
    expect(status.state).toBe('on-duty');
  });

  it('R-PWR-3: a flat battery raised without any link stays queued through the shutdown and goes out on the next link', async () => {
    const h = await bootBodycam({ config: { power: { issueReserveHours: 0 } } });
    h.tb.power.packs[0].soc = 2.5;
    h.tb.power.remove(1);
    h.tb.power.drawPercentPerHour = 30;
    await h.fw.handleAuthorization(authorise(h.duty, 'issue', { inventoryNumber: INVENTORY, officer: 'x', plannedShiftHours: 0.01 }));
    await h.fw.startDuty();
    await h.clock.runFor(10 * MIN);
    expect(h.fw.status().shutdown).toBe('battery-empty');
    const stored = JSON.parse(new TextDecoder().decode(await h.tb.internalSim.read(OUTBOUND_QUEUE_PATH))) as { queue: OutboundAlert[] };
    expect(stored.queue.map((q) => q.alert.kind)).toContain('battery-empty');
    // Docked and charged, the device boots and the dock link carries the alert.
    h.tb.power.insert(1, 100);
    const again = await bootBodycam({ after: h });
    const transport = new Transport(() => again.clock.monotonic());
    again.fw.attachAlertTransport(transport);
    await again.clock.runFor(0);
    expect(transport.got.map((a) => a.alert.kind)).toContain('battery-empty');
    // And it resumes the duty it was on.
    await again.clock.runFor(10_000);
    expect(again.fw.status().recording.active).toBe(true);
  });

  it('R-PWR-3: a battery gauge that stops answering is a fault reported at once; recording goes on', async () => {
    const h = await bootBodycam();
    const transport = new Transport(() => h.clock.monotonic());
    h.fw.attachAlertTransport(transport);
    await issueAndStart(h);
    await h.clock.runFor(MIN);
    h.tb.power.gaugeFailing[1] = true;
    await h.clock.runFor(MIN);
    expect(h.fw.status().faults).toEqual([{ device: 'battery gauge B', detail: 'battery B: no ACK at 0x36' }]);
    expect(h.tb.journal.of('fault').map((e) => e.data)).toEqual([{ device: 'battery gauge B', state: 'raised', detail: 'battery B: no ACK at 0x36' }]);
    const faults = transport.got.filter((a) => a.alert.kind === 'device-fault');
    expect(faults.map((a) => a.event)).toEqual(['raised']);
    expect(faults[0].deliveredAt).toBe(h.tb.journal.of('fault')[0].mono);
    expect(h.fw.status().recording.coverage!.gaps).toEqual([]);
  });

  it('R-PWR-4: refuses to issue a device whose charge cannot cover the planned shift', async () => {
    const h = await bootBodycam();
    h.tb.power.packs[0].soc = 30;
    h.tb.power.remove(1);
    const issue = authorise(h.duty, 'issue', { inventoryNumber: INVENTORY, officer: 'Sgt. Abenov', plannedShiftHours: 8 });
    await expect(h.fw.handleAuthorization(issue)).rejects.toBeInstanceOf(IssueRefusedError);
    expect(h.fw.status().state).toBe('stowed');
    expect(h.tb.journal.of('issue-refused').map((e) => e.data)).toEqual([
      { reason: 'charge cannot cover the planned shift', plannedShiftHours: 8, batteryHours: 2.9 },
    ]);
    // With a charged second pack the same shift is fine.
    h.tb.power.insert(1, 100);
    await h.fw.handleAuthorization(authorise(h.duty, 'issue', { inventoryNumber: INVENTORY, officer: 'Sgt. Abenov', plannedShiftHours: 8 }));
    expect(h.fw.status().state).toBe('issued');
    expect(h.tb.journal.of('issue').at(-1)!.data).toMatchObject({ plannedShiftHours: 8, batteryHours: 12.8, officer: 'Sgt. Abenov' });
  });

  it('R-PWR-2: estimates the remaining time from the measured draw even when the gauge reports no rate', async () => {
    const h = await bootBodycam();
    h.tb.power.reportRate = false;
    h.tb.power.drawPercentPerHour = 14;
    await issueAndStart(h);
    await h.clock.runFor(20 * MIN);
    const p = h.fw.status().power;
    expect(p.drawMeasured).toBe(true);
    expect(p.drawPercentPerHour).toBeGreaterThan(12.5);
    expect(p.drawPercentPerHour).toBeLessThan(15.5);
    const usable = (h.tb.power.packs[0].soc - 1) + (h.tb.power.packs[1].soc - 1);
    expect(h.fw.status().batteryHours).toBeCloseTo(usable / p.drawPercentPerHour, 1);
  });

  it('on external power (docked) there is no remaining-time alarm', async () => {
    const h = await bootBodycam();
    h.tb.power.packs[0].soc = 3;
    h.tb.power.remove(1);
    h.tb.charger.setDocked(true);
    await h.clock.runFor(MIN);
    expect(h.fw.status().power).toMatchObject({ externalPower: true, remainingMin: null, level: 'ok' });
    expect(h.tb.journal.of('battery-alert')).toEqual([]);
  });

  it('R-LOG-1: a docked device journals one pack preference, not a "switch" at every gauge poll (the power path reports no active pack on external power)', async () => {
    const h = await bootBodycam();
    h.tb.power.packs[0].soc = 40;
    h.tb.charger.setDocked(true);
    await h.clock.runFor(30 * MIN);
    const switches = h.tb.journal.of('battery-swap').filter((e) => e.data.event === 'switched-to');
    expect(switches.length).toBeLessThanOrEqual(2);
    // Taken out of the dock, it drains the pack it preferred, with no further switch.
    h.tb.charger.setDocked(false);
    await h.clock.runFor(5 * MIN);
    expect(h.fw.status().power.activeSlot).toBe(0);
    expect(h.tb.journal.of('battery-swap').filter((e) => e.data.event === 'switched-to').length).toBe(switches.length);
  });
});
