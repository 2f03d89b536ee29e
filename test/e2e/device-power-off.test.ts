import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../../sim/virtual-clock.ts';
import { SeededRandom } from '../../sim/random.ts';
import { SimHardware } from '../../sim/hardware.ts';
import { bootDevice } from '../../firmware/device.ts';
import { readJournalFromStorage } from '../../firmware/journal/storage-reader.ts';
import { People, simulatedIdentity } from '../../tools/sim/people.ts';

describe('the device powering itself off', () => {
  it('R-LOG-1: when the firmware switches itself off (power button off duty), the journal and the card guard close cleanly: the journal ends sealed', async () => {
    const clock = new VirtualClock({ startEpochMs: Date.UTC(2026, 5, 15, 3, 0, 0) });
    const hw = new SimHardware({ clock, seed: 3 });
    const identity = simulatedIdentity(3, new People('BC-SIM-000003'), 'bodycam');
    const boot = await hw.boot();
    const device = await bootDevice({ board: boot.board, clock: boot.clock, random: new SeededRandom(3), identity });
    await clock.runFor(2_000);
    hw.press('power', 3_000);
    await clock.runFor(10_000);
    expect(device.firmware.status().running).toBe(false);
    const { report, records } = await readJournalFromStorage(hw.internal, { publicKey: identity.deviceKey.publicKey });
    expect(records.filter((r) => r.type === 'power-off').map((r) => r.data.reason)).toEqual(['user']);
    expect(report.problems).toEqual([]);
    expect(report.status).toBe('valid');
    expect(records.at(-1)?.type).toBe('checkpoint');
    expect(records.at(-1)?.data.reason).toBe('close');
  });
});
