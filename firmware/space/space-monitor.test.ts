import { describe, expect, it } from 'vitest';
import { bootBodycam, issueAndStart } from '../../test/fakes/harness.ts';
import { makeGop } from '../../test/fakes/recorder-board.ts';

const MIN = 60_000;

describe('free space (R-REC-7)', () => {
  it('R-REC-7: reports free space in hours at the measured bitrate and warns below 1 h', async () => {
    // A card with room for about 80 minutes of what the fake camera writes (GOP + index line).
    const perSecond = (makeGop(1280, 720, 60, 8, 0).length + 110) / 2;
    // The encoder is asked for the bitrate the fake camera really produces.
    const h = await bootBodycam({ cardCapacityBytes: Math.round(perSecond * 80 * 60), config: { video: { bitrate: Math.round(perSecond * 8) } } });
    await issueAndStart(h);
    await h.clock.runFor(5 * MIN);
    const early = h.fw.status().storage;
    expect(early.measured).toBe(true);
    expect(early.freeHours).toBeCloseTo(early.freeBytes! / early.bytesPerSecond / 3600, 9);
    expect(early.freeHours).toBeGreaterThan(1);
    let minutes = 5;
    while (h.fw.status().storage.level === 'ok' && minutes < 80) {
      await h.clock.runFor(MIN);
      minutes += 1;
    }
    const s = h.fw.status().storage;
    expect(s.level).toBe('low');
    expect(s.freeHours).toBeLessThan(1);
    expect(s.freeHours).toBeGreaterThan(0.95);
    const [entry] = h.tb.journal.of('storage-alert');
    expect(entry.data).toMatchObject({ level: 'low', freeBytes: s.freeBytes });
    expect(h.fw.status().alerts.map((a) => a.kind)).toContain('storage-low');
    expect(h.fw.status().recording.active).toBe(true);
  });

  it('R-REC-7: a full card is a critical alert and recording stops are reported', async () => {
    const h = await bootBodycam({ cardCapacityBytes: 200_000 });
    await issueAndStart(h);
    await h.clock.runFor(10 * MIN);
    expect(h.fw.status().alerts.map((a) => a.kind)).toEqual(expect.arrayContaining(['storage-full', 'recording-stopped']));
    expect(h.tb.journal.of('recording-stopped').length).toBeGreaterThan(0);
  });
});
