/** The IrIlluminator contract (hal/ir.ts): level 0 is dark, any level > 0 lights it; bad levels are refused. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { IrIlluminator } from '../../hal/ir.ts';
import { DeviceClosedError, InvalidOptionsError } from '../../hal/errors.ts';

export interface IrLightFixture {
  light: IrIlluminator;
  /** The LEDs emit now (as the world sees them). */
  lit(): boolean;
  cleanup(): Promise<void>;
}

export function describeIrLightContract(implementation: string, makeFixture: () => Promise<IrLightFixture>): void {
  describe(`IrIlluminator contract: ${implementation}`, () => {
    let fx: IrLightFixture;
    beforeEach(async () => {
      fx = await makeFixture();
    });
    afterEach(async () => {
      await fx.light.close();
      await fx.cleanup();
    });

    it('R-REC-5: starts dark; on at full power, off again at 0', async () => {
      expect(fx.lit()).toBe(false);
      expect(fx.light.level).toBe(0);
      await fx.light.set(1);
      expect(fx.lit()).toBe(true);
      expect(fx.light.level).toBe(1);
      await fx.light.set(0);
      expect(fx.lit()).toBe(false);
      expect(fx.light.level).toBe(0);
    });

    it('a partial level lights it; level reads back what the hardware does (the fraction with PWM, 1 without)', async () => {
      await fx.light.set(0.25);
      expect(fx.lit()).toBe(true);
      expect([0.25, 1]).toContain(fx.light.level);
    });

    it('refuses levels outside 0..1 and keeps its state', async () => {
      await fx.light.set(1);
      for (const bad of [-0.1, 1.5, Number.NaN, Infinity, '1']) {
        await expect(fx.light.set(bad as never)).rejects.toBeInstanceOf(InvalidOptionsError);
      }
      expect(fx.lit()).toBe(true);
    });

    it('close switches it off, is idempotent, and refuses further use', async () => {
      await fx.light.set(1);
      await fx.light.close();
      await fx.light.close();
      expect(fx.lit()).toBe(false);
      await expect(fx.light.set(1)).rejects.toBeInstanceOf(DeviceClosedError);
    });
  });
}
