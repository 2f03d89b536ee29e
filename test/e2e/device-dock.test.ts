/**
 * The full simulated body camera (firmware/device.ts on SimHardware) docked to the real dock
 * station: offload of a shift's segments with signed receipts, time sync through the clock
 * guard, and signed commands through the device's one authorisation gate.
 */
import { describe, expect, it } from 'vitest';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { firstValueFrom, filter } from 'rxjs';
import { VirtualClock } from '../../sim/virtual-clock.ts';
import { SeededRandom } from '../../sim/random.ts';
import { SimHardware } from '../../sim/hardware.ts';
import { SIM_VIDEO_DEFAULTS } from '../../sim/camera.ts';
import { bootDevice } from '../../firmware/device.ts';
import { People, simulatedIdentity } from '../../tools/sim/people.ts';
import { EvidenceStore } from '../../tools/evidence/store.ts';
import { DockStation } from '../../tools/dock/station.ts';
import { hostClock, drive } from '../dock-harness.ts';
import { sha256Hex } from '../../protocol/crypto.ts';

const START = Date.parse('2026-03-02T08:00:00+05:00');

describe('the full simulated device at the dock', () => {
  it('R-OFF-1, R-OFF-2, R-TIME-2: offloads every segment with a receipt, syncs time, and runs signed commands through one gate', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'dozor-device-dock-'));
    const clock = new VirtualClock({ startEpochMs: START });
    try {
      const people = new People('');
      const identity0 = simulatedIdentity(3, people, 'bodycam');
      const signers = new People(identity0.serial);
      const identity = { ...identity0, trustedKeys: signers.trusted() };
      const hw = new SimHardware({ clock, seed: 3, rtc: { initialErrorMs: 20_000 } });
      hw.dock();
      const boot = await hw.boot();
      const device = await bootDevice({ board: boot.board, clock: boot.clock, random: new SeededRandom(3), identity, config: { video: SIM_VIDEO_DEFAULTS } });
      await clock.runFor(1000);
      const sign = (who: 'responsible' | 'duty-officer' | 'stranger', action: Parameters<People['sign']>[1], params: Record<string, unknown>) => signers.sign(who, action, params, clock.trueTime());

      // The dock: its own store on disk, its key provisioned on the device.
      const store = await EvidenceStore.open(path.join(dir, 'store'));
      const station = new DockStation({ store, key: signers.people.dock.key, name: 'dock-1', clock: hostClock(clock), keepaliveMs: 0, statusIntervalMs: 60_000 });
      const firstDocking = drive(clock, station.attach(boot.dockPort.connect()));
      await drive(clock, station.waitDocked(identity.serial, 30_000));
      // The dock's time attestation corrected the RTC's 20 s error through the clock guard.
      await clock.runFor(5_000);
      expect(Math.abs(boot.clock.wallTime() - clock.trueTime())).toBeLessThan(1000);
      expect(device.firmware.status().clock.trusted).toBe(true);

      // Provision the card and issue the device through the dock (signed, forwarded by the station).
      const cid = (await boot.cardSlot.status()).cid!;
      await drive(clock, station.forward(identity.serial, sign('responsible', 'register-card', { cid, inventoryNumber: 'CARD-3' })));
      await drive(clock, station.forward(identity.serial, sign('responsible', 'reseal', {})));
      await drive(clock, station.forward(identity.serial, sign('responsible', 'issue', { inventoryNumber: identity.inventoryNumber, officer: 'Sgt. Test', plannedShiftHours: 1 })));
      // A stranger's command is refused by the same gate.
      await expect(drive(clock, station.forward(identity.serial, sign('stranger', 'set-time', { time: clock.trueTime() })))).rejects.toThrow();

      // Duty: out of the dock, record for 20 minutes, back in.
      hw.undock();
      hw.press('record', 300);
      await clock.runFor(20 * 60_000);
      await device.handleAuthorization(sign('responsible', 'return', {}));
      await clock.runFor(5_000);
      hw.dock();
      await firstDocking.catch(() => undefined);
      const done = firstValueFrom(station.offloaded$.pipe(filter((e) => e.device === identity.serial)));
      const second = station.attach(boot.dockPort.connect());
      const { summary } = await drive(clock, done, 200);
      expect(summary.failed).toEqual([]);

      const files = await device.card.evidence.files();
      const segments = files.filter((f) => f.kind === 'video');
      // Twenty minutes of one-minute segments, each with its frame index.
      expect(segments.length).toBeGreaterThanOrEqual(19);
      expect(files.filter((f) => f.kind === 'metadata').length).toBe(segments.length);
      expect(await device.card.evidence.pending()).toEqual([]);
      for (const f of files) {
        expect(f.receipt, f.path).not.toBeNull();
        // The dock holds the exact bytes under their hash.
        expect(sha256Hex(new Uint8Array(await readFile(store.objectPath(f.sha256))))).toBe(f.sha256);
      }
      await device.shutdown();
      await station.close();
      await second.catch(() => undefined);
      // Exactly one offload-receipt entry per file, and the journal verifies.
      const { readJournalFromStorage } = await import('../../firmware/journal/storage-reader.ts');
      const { report, records } = await readJournalFromStorage(hw.internal, { publicKey: identity.deviceKey.publicKey });
      expect(report.status).toBe('valid');
      const receipts = records.filter((r) => r.type === 'offload-receipt').map((r) => r.data.path);
      expect(new Set(receipts).size).toBe(receipts.length);
      expect(receipts.length).toBe(files.length);
      const refused = records.filter((r) => r.type === 'action-refused');
      expect(refused.some((r) => String(r.data.reason) === 'unknown-key')).toBe(true);
      store.close();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
