/** The Microphone contract (hal/microphone.ts): level readings in dBFS with their times; typed errors. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Microphone } from '../../hal/microphone.ts';
import { DeviceClosedError, DeviceNotRespondingError } from '../../hal/errors.ts';

export interface MicrophoneFixture {
  microphone: Microphone;
  now(): number;
  advance(ms: number): Promise<void>;
  /** Makes the surroundings quiet or loud, if the fixture can. */
  surroundings?(kind: 'quiet' | 'loud'): Promise<void> | void;
  /** Makes the microphone stop answering, if the fixture can. */
  unplug?(): Promise<void> | void;
  cleanup(): Promise<void>;
}

export function describeMicrophoneContract(implementation: string, makeFixture: () => Promise<MicrophoneFixture>): void {
  describe(`Microphone contract: ${implementation}`, () => {
    let fx: MicrophoneFixture;
    beforeEach(async () => {
      fx = await makeFixture();
    });
    afterEach(async () => {
      await fx.microphone.close();
      await fx.cleanup();
    });

    /** Mean level (in power) of a minute of readings every 250 ms. */
    const minuteMean = async () => {
      let p = 0;
      for (let i = 0; i < 240; i++) {
        const s = await fx.microphone.level();
        p += 10 ** (s.dbfs / 10);
        await fx.advance(250);
      }
      return 10 * Math.log10(p / 240);
    };

    it('reads a level in dBFS (≤ 0) stamped with the time of the reading', async () => {
      await fx.advance(1000);
      for (let i = 0; i < 50; i++) {
        const s = await fx.microphone.level();
        expect(s.dbfs === -Infinity || (Number.isFinite(s.dbfs) && s.dbfs <= 0)).toBe(true);
        expect(Math.abs(s.at - fx.now())).toBeLessThanOrEqual(100);
        await fx.advance(100);
      }
    });

    it('a loud street reads louder than a quiet room', async (ctx) => {
      if (!fx.surroundings) return ctx.skip();
      await fx.surroundings('quiet');
      const quiet = await minuteMean();
      await fx.surroundings('loud');
      const loud = await minuteMean();
      expect(loud - quiet).toBeGreaterThan(15);
    });

    it('R-PWR-3: a microphone that stops answering rejects with DeviceNotRespondingError', async (ctx) => {
      if (!fx.unplug) return ctx.skip();
      await fx.unplug();
      await expect(fx.microphone.level()).rejects.toBeInstanceOf(DeviceNotRespondingError);
    });

    it('close is idempotent and refuses further reads', async () => {
      await fx.microphone.close();
      await fx.microphone.close();
      await expect(fx.microphone.level()).rejects.toBeInstanceOf(DeviceClosedError);
    });
  });
}
