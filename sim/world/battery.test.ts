import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { BatteryPack, OCV_TABLE, ocvAt, socForOcv, usableFactor } from './battery.ts';

describe('Li-ion pack model', () => {
  it('OCV follows the research table at its points and interpolates between them', () => {
    for (const [soc, v] of OCV_TABLE) expect(ocvAt(soc / 100)).toBeCloseTo(v, 12);
    expect(ocvAt(0.475)).toBeCloseTo((3.787 + 3.805) / 2, 12);
    expect(ocvAt(-0.05)).toBeLessThan(3.4); // below empty keeps falling
  });

  it('socForOcv inverts ocvAt over the whole curve', () => {
    fc.assert(
      fc.property(fc.double({ min: -0.1, max: 1, noNaN: true }), (s) => {
        expect(socForOcv(ocvAt(s))).toBeCloseTo(s, 9);
      }),
    );
    expect(socForOcv(4.3)).toBe(1);
  });

  it('loses usable capacity and gains resistance in the cold (research §3 suggestion)', () => {
    expect(usableFactor(25)).toBe(1);
    expect(usableFactor(0)).toBeCloseTo(0.85, 12);
    expect(usableFactor(-20)).toBeCloseTo(0.55, 12);
    const p = new BatteryPack();
    expect(p.resistance(-20) / p.resistance(25)).toBeCloseTo(2.5, 12);
  });

  it('a full pack reads 4.185 V open-circuit at any temperature; the cold hides the bottom of it', () => {
    const p = new BatteryPack({ capacityMah: 1000, chargePercent: 100 });
    expect(p.openCircuitVoltage(25)).toBeCloseTo(4.185, 12);
    expect(p.openCircuitVoltage(-20)).toBeCloseTo(4.185, 12);
    const half = new BatteryPack({ capacityMah: 1000, chargePercent: 50 });
    expect(half.effectiveSoc(25)).toBeCloseTo(0.5, 12);
    expect(half.effectiveSoc(-20)).toBeCloseTo((500 - 450) / 550, 12);
  });

  it('under load the terminal voltage sags by I·R; cut-off charge rises with the current', () => {
    const p = new BatteryPack({ internalResistanceOhm: 0.2 });
    expect(p.openCircuitVoltage(25) - p.terminalVoltage(1000, 25)).toBeCloseTo(0.2, 12);
    expect(p.terminalVoltage(-1000, 25)).toBeGreaterThan(p.openCircuitVoltage(25));
    fc.assert(
      fc.property(fc.double({ min: 0, max: 3000, noNaN: true }), fc.double({ min: -30, max: 45, noNaN: true }), (i, t) => {
        expect(p.cutoffCharge(i + 100, t, 3.3)).toBeGreaterThanOrEqual(p.cutoffCharge(i, t, 3.3));
      }),
    );
  });

  it('rejects impossible packs', () => {
    expect(() => new BatteryPack({ capacityMah: 0 })).toThrow(RangeError);
    expect(() => new BatteryPack({ chargePercent: 101 })).toThrow(RangeError);
    expect(() => new BatteryPack({ internalResistanceOhm: -1 })).toThrow(RangeError);
  });
});
