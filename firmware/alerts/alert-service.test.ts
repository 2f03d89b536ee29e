import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../../sim/virtual-clock.ts';
import { SimStorage } from '../../sim/storage.ts';
import { SeededRandom } from '../../sim/random.ts';
import { FakeIndicators, MemoryJournal, PowerRail, RailStorage } from '../../test/fakes/recorder-board.ts';
import { ServiceJournal } from '../common/journal.ts';
import { DEFAULT_RECORDER_CONFIG } from '../app/config.ts';
import { AlertService } from './alert-service.ts';
import { OUTBOUND_QUEUE_PATH, type AlertTransport, type OutboundAlert } from './outbound-queue.ts';
import { ANNOUNCEMENTS } from './patterns.ts';

function rig(storage?: SimStorage, rail = new PowerRail(), clock = new VirtualClock({ startEpochMs: Date.UTC(2026, 10, 23, 9) })) {
  const sim = storage ?? new SimStorage({ name: 'internal', capacityBytes: 1 << 20, random: new SeededRandom(3) });
  const internal = new RailStorage(sim, rail);
  const memory = new MemoryJournal(clock, rail);
  const indicators = new FakeIndicators(clock);
  const alerts = new AlertService({ clock, indicators, internal, journal: new ServiceJournal(memory), device: 'DZ-1', config: DEFAULT_RECORDER_CONFIG.alerts });
  return { clock, sim, internal, rail, memory, indicators, alerts };
}

class TestTransport implements AlertTransport {
  readonly channel = 'dock' as const;
  readonly delivered: OutboundAlert[] = [];
  up = true;
  attempts = 0;
  async deliver(a: OutboundAlert): Promise<void> {
    this.attempts += 1;
    if (!this.up) throw new Error('link down');
    this.delivered.push(a);
  }
}

describe('alert service (R-PWR-2, R-PWR-3)', () => {
  it('R-PWR-2: repeats a standing battery alarm every 20 s on LED, buzzer and vibration until cleared', async () => {
    const r = rig();
    await r.alerts.load();
    r.alerts.raise({ kind: 'battery-low', severity: 'warning', message: 'battery low: 19 min left' });
    await r.clock.runFor(100_500);
    for (const out of ['led-amber', 'buzzer', 'vibration'] as const) {
      expect(r.indicators.playsOf(out)).toEqual([0, 20_000, 40_000, 60_000, 80_000, 100_000]);
    }
    expect(r.indicators.plays.find((p) => p.output === 'buzzer')!.pattern).toEqual(ANNOUNCEMENTS['battery-low'].outputs.buzzer);
    r.alerts.clear('battery-low');
    await r.clock.runFor(60_000);
    expect(r.indicators.playsOf('buzzer')).toHaveLength(6);
  });

  it('R-PWR-2: two standing alarms never overlap on an output; each still repeats', async () => {
    const r = rig();
    await r.alerts.load();
    r.alerts.raise({ kind: 'battery-critical', severity: 'critical', message: 'critical' });
    r.alerts.raise({ kind: 'clock-untrusted', severity: 'critical', message: 'clock' });
    await r.clock.runFor(43_000);
    const buzz = r.indicators.plays.filter((p) => p.output === 'buzzer');
    for (let i = 1; i < buzz.length; i++) {
      const prevEnd = buzz[i - 1].at + buzz[i - 1].pattern.reduce((a, b) => a + b, 0);
      expect(buzz[i].at).toBeGreaterThanOrEqual(prevEnd);
    }
    const critical = ANNOUNCEMENTS['battery-critical'].outputs.buzzer;
    expect(buzz.filter((b) => b.pattern === critical)).toHaveLength(3);
    expect(buzz.filter((b) => b.pattern === ANNOUNCEMENTS['clock-untrusted'].outputs.buzzer)).toHaveLength(3);
  });

  it('R-PWR-3: queues alerts for the duty officer and delivers them in order once a link is attached', async () => {
    const r = rig();
    await r.alerts.load();
    r.alerts.raise({ kind: 'battery-empty', severity: 'critical', message: 'flat' });
    r.alerts.raise({ kind: 'device-fault', severity: 'critical', message: 'light sensor' });
    r.alerts.raise({ kind: 'condensation-risk', severity: 'info', message: 'info only stays on the device' });
    expect(r.alerts.pendingOutbound().map((a) => a.alert.kind)).toEqual(['battery-empty', 'device-fault']);
    const t = new TestTransport();
    r.alerts.attachTransport(t);
    await r.clock.runFor(0);
    expect(t.delivered.map((a) => [a.id, a.alert.kind, a.device])).toEqual([
      [1, 'battery-empty', 'DZ-1'],
      [2, 'device-fault', 'DZ-1'],
    ]);
    expect(r.alerts.pendingOutbound()).toHaveLength(0);
    expect(r.memory.of('alert-sent').map((e) => e.data)).toEqual([
      { alert: 'raised:battery-empty', queuedAt: Date.UTC(2026, 10, 23, 9), channel: 'dock' },
      { alert: 'raised:device-fault', queuedAt: Date.UTC(2026, 10, 23, 9), channel: 'dock' },
    ]);
    // A clearing is reported too.
    r.alerts.clear('device-fault');
    await r.clock.runFor(0);
    expect(t.delivered.at(-1)).toMatchObject({ event: 'cleared', alert: { kind: 'device-fault' } });
  });

  it('R-PWR-3: keeps undelivered alerts across a power cut and retries until the link works', async () => {
    const r = rig();
    await r.alerts.load();
    r.alerts.raise({ kind: 'battery-critical', severity: 'critical', message: 'critical: 4 min left' });
    await r.clock.runFor(0);
    await r.alerts.outbound.flushed();
    r.rail.cut();
    r.rail.restore();
    const after = rig(r.sim, r.rail, r.clock);
    expect(await after.alerts.load()).toBeNull();
    expect(after.alerts.pendingOutbound().map((a) => a.alert.message)).toEqual(['critical: 4 min left']);
    const t = new TestTransport();
    t.up = false;
    after.alerts.attachTransport(t);
    await after.clock.runFor(100_000);
    expect(t.attempts).toBeGreaterThanOrEqual(3);
    expect(after.alerts.pendingOutbound()).toHaveLength(1);
    t.up = true;
    await after.clock.runFor(60_000);
    expect(t.delivered.map((a) => a.alert.kind)).toEqual(['battery-critical']);
    expect(after.alerts.pendingOutbound()).toHaveLength(0);
    // New ids continue after the restored ones.
    after.alerts.raise({ kind: 'storage-low', severity: 'warning', message: 'x' });
    await after.clock.runFor(0);
    expect(t.delivered.at(-1)!.id).toBeGreaterThan(t.delivered[0].id);
  });

  it('an unreadable queue file does not stop the device: it starts empty and says why', async () => {
    const r = rig();
    await r.sim.writeAtomic(OUTBOUND_QUEUE_PATH, new TextEncoder().encode('{not json'));
    expect(await r.alerts.load()).toMatch(/not JSON/);
    expect(r.alerts.pendingOutbound()).toHaveLength(0);
  });

  it('re-raising a standing alert with a new message informs the officer but does not restart its rhythm', async () => {
    const r = rig();
    await r.alerts.load();
    r.alerts.raise({ kind: 'battery-low', severity: 'warning', message: '19 min' });
    await r.clock.runFor(10_000);
    r.alerts.raise({ kind: 'battery-low', severity: 'warning', message: '15 min' });
    r.alerts.raise({ kind: 'battery-low', severity: 'warning', message: '15 min' });
    await r.clock.runFor(15_000);
    expect(r.indicators.playsOf('buzzer')).toEqual([0, 20_000]);
    expect(r.alerts.pendingOutbound().map((a) => a.alert.message)).toEqual(['19 min', '15 min']);
  });
});
