/** Driver details beyond the contracts: datasheet vectors, ranging, options, recovery. */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { BusError, DeviceNotFoundError, InvalidOptionsError, ChecksumError } from '../errors.ts';
import { SimI2cBus } from '../../sim/i2c/bus.ts';
import { Max17048Model, type GaugedCell } from '../../sim/i2c/max17048.ts';
import { Veml7700Model } from '../../sim/i2c/veml7700.ts';
import { Ds3231Model } from '../../sim/i2c/ds3231.ts';
import { Sht31Model } from '../../sim/i2c/sht31.ts';
import { Tca9548aModel } from '../../sim/i2c/tca9548a.ts';
import { drive } from '../../sim/drive.ts';
import { SeededRandom } from '../../sim/random.ts';
import { VirtualClock } from '../../sim/virtual-clock.ts';
import { RtcOscillator } from '../../sim/world/rtc.ts';
import { Bh1750, bh1750NextStep } from './bh1750.ts';
import { DS3231_MAX_TIME, DS3231_MIN_TIME, Ds3231, decodeDs3231Time, encodeDs3231Time, fromBcd, toBcd } from './ds3231.ts';
import { Max17048 } from './max17048.ts';
import { Sht31, crc8 } from './sht31.ts';
import { Tca9548a } from './tca9548a.ts';
import { VEML7700_LADDER, Veml7700, veml7700Conf, veml7700CorrectLux, veml7700NextStep } from './veml7700.ts';

function rig() {
  const clock = new VirtualClock({ startEpochMs: Date.UTC(2026, 0, 15, 8, 0, 0) });
  const bus = new SimI2cBus({ id: 'i2c-1', clock, random: new SeededRandom(3) });
  return { clock, bus, run: <T>(p: Promise<T>) => drive(clock, p) };
}

describe('option validation (before the bus is touched)', () => {
  const { clock, bus } = rig();
  it.each([
    ['no options', () => new Veml7700(undefined as never)],
    ['no bus', () => new Veml7700({ clock } as never)],
    ['a bus that is not an I2cBus', () => new Sht31({ bus: {} as never, clock })],
    ['no clock', () => new Ds3231({ bus } as never)],
    ['an address the part cannot have', () => new Sht31({ bus, clock, address: 0x46 })],
    ['a reserved address', () => new Bh1750({ bus, clock, address: 0x78 })],
    ['an empty name', () => new Ds3231({ bus, clock, name: '' })],
    ['a gauge without a slot', () => new Max17048({ bus, clock } as never)],
    ['an empty alert beyond 32 %', () => new Max17048({ bus, clock, slot: 0, emptyAlertPercent: 40 })],
    ['an unknown repeatability', () => new Sht31({ bus, clock, repeatability: 'ultra' as never })],
    ['a multiplexer outside 0x70–0x77', () => new Tca9548a({ bus, address: 0x60 })],
  ])('rejects %s with InvalidOptionsError', (_what, make) => {
    expect(make).toThrow(InvalidOptionsError);
    expect(bus.stats.transfers).toBe(0);
  });
});

describe('MAX17048 driver', () => {
  function gauge(cell: GaugedCell | null, version?: number) {
    const r = rig();
    let c = cell;
    const model = new Max17048Model({ clock: r.clock, cell: () => c, version });
    r.bus.attach(0x36, model);
    return { ...r, model, gauge: new Max17048({ bus: r.bus, clock: r.clock, slot: 1 }), set: (x: GaugedCell | null) => (c = x) };
  }

  it('decodes the datasheet vectors: 0xD000 → 4.160 V, 0x3280 → 50.5 %, −48 → −9.98 %/h', async () => {
    const { gauge: g, run } = gauge({ voltage: 4.16, socPercent: 50.5, ratePercentPerHour: -9.984, insertion: 1 });
    const r = await run(g.read());
    expect(r.voltage).toBe(0xd000 * 78.125e-6);
    expect(r.voltage).toBeCloseTo(4.16, 12);
    expect(r.socPercent).toBe(50.5);
    expect(r.ratePercentPerHour).toBeCloseTo(-9.984, 12);
    expect(g.name).toBe('battery B');
  });

  it('configures a new pack: HIBRT off, ATHD for the empty alert, RI cleared', async () => {
    const { gauge: g, bus, run } = gauge({ voltage: 3.9, socPercent: 70, ratePercentPerHour: -5, insertion: 1 });
    await run(g.read());
    expect(await bus.readWord(0x36, 0x0a)).toBe(0x0000);
    expect(await bus.readWord(0x36, 0x0c)).toBe(0x1c97); // CONFIG 0x971C on the wire: RCOMP 0x97, ATHD 28 (4 %)
    expect(await bus.readByte(0x36, 0x1a)).toBe(0x00);
  });

  it('reconfigures after the gauge reset itself (STATUS.RI), e.g. a brief contact bounce', async () => {
    const { gauge: g, bus, run } = gauge({ voltage: 3.9, socPercent: 70, ratePercentPerHour: -5, insertion: 1 });
    await run(g.read());
    await bus.writeWord(0x36, 0xfe, 0x0054).catch(() => {}); // POR: HIBRT back to 0x8030, RI set
    await run(g.read());
    expect(await bus.readWord(0x36, 0x0a)).toBe(0x0000);
    expect(await bus.readByte(0x36, 0x1a)).toBe(0x00);
  });

  it('refuses a chip whose VERSION is not a MAX17048 (a MAX17043 reads 0x0003)', async () => {
    const { gauge: g, run } = gauge({ voltage: 3.9, socPercent: 70, ratePercentPerHour: 0, insertion: 1 }, 0x0003);
    await expect(run(g.read())).rejects.toBeInstanceOf(DeviceNotFoundError);
  });
});

describe('TCA9548A driver', () => {
  function twoGauges() {
    const r = rig();
    const mux = new Tca9548aModel();
    r.bus.attach(0x70, mux);
    const cells: GaugedCell[] = [
      { voltage: 4.1, socPercent: 90, ratePercentPerHour: -7, insertion: 1 },
      { voltage: 3.7, socPercent: 30, ratePercentPerHour: 0, insertion: 1 },
    ];
    for (const slot of [0, 1] as const) mux.channel(slot).attach(0x36, new Max17048Model({ clock: r.clock, cell: () => cells[slot] }));
    const driver = new Tca9548a({ bus: r.bus });
    const gauges = [0, 1].map((slot) => new Max17048({ bus: driver.channel(slot), clock: r.clock, slot: slot as 0 | 1 }));
    return { ...r, mux, driver, gauges };
  }

  it('two gauges at 0x36 read concurrently never see each other’s pack', async () => {
    const { gauges, run } = twoGauges();
    const reads = await run(Promise.all(Array.from({ length: 20 }, (_, i) => gauges[i % 2].read())));
    reads.forEach((r, i) => expect(r.socPercent).toBe(i % 2 === 0 ? 90 : 30));
  });

  it('recovers when the multiplexer was reset behind its back (lost selection)', async () => {
    const { gauges, mux, run } = twoGauges();
    await run(gauges[1].read());
    mux.powerOnReset();
    expect((await run(gauges[1].read())).socPercent).toBe(30);
    expect(mux.controlRegister).toBe(0b10);
  });

  it('a multiplexer that does not answer is a BusError naming it', async () => {
    const { gauges, bus, run } = twoGauges();
    bus.unplug(0x70);
    const err = await run(gauges[0].read()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BusError);
    expect(String(err)).toMatch(/multiplexer at 0x70/);
  });
});

describe('VEML7700 driver', () => {
  it('ranges like the app note: dim readings climb the ladder, bright ones step down, saturation jumps to the bottom', () => {
    const last = VEML7700_LADDER.length - 1;
    expect(veml7700NextStep(2, 0)).toBe(last); // darkness at the start setting: straight to ×2, 800 ms
    expect(veml7700NextStep(2, 5_000)).toBe(2); // within 100…10 000 counts: stay
    expect(veml7700NextStep(2, 20_000)).toBe(1); // 10.75 klx: ×1/8 at 50 ms gives exactly 10 000 counts
    expect(veml7700NextStep(2, 30_000)).toBe(0); // 16.1 klx: ×1/8 at 25 ms (7 500 counts)
    expect(veml7700NextStep(last, 65_535)).toBe(0);
    expect(veml7700NextStep(0, 65_535)).toBe(0); // nowhere further down: report saturation
    const s = veml7700NextStep(2, 50); // ≈27 lx → the least sensitive step giving ≥ 200 counts
    expect(27 / VEML7700_LADDER[s].resolution).toBeGreaterThanOrEqual(200);
    expect(27 / VEML7700_LADDER[s - 1].resolution).toBeLessThan(200);
  });

  it('writes ALS_CONF per the register map: gain ×1/8 → 0b10 in bits 12:11, IT 100 ms → 0000 in bits 9:6', () => {
    expect(veml7700Conf(VEML7700_LADDER[2])).toBe(0x1000);
    expect(veml7700Conf(VEML7700_LADDER[8])).toBe(0x0800 | (0b0011 << 6));
    // The research's resolution table (R_max 0.0042 lx/count).
    const table = [2.1504, 1.0752, 0.5376, 0.2688, 0.0672, 0.0336, 0.0168, 0.0084, 0.0042];
    VEML7700_LADDER.forEach((step, i) => expect(step.resolution).toBeCloseTo(table[i], 12));
  });

  it('the non-linearity correction is the app-note polynomial (≈ identity at low light)', () => {
    expect(veml7700CorrectLux(0)).toBe(0);
    expect(veml7700CorrectLux(100)).toBeCloseTo(101.05, 1);
    expect(veml7700CorrectLux(10_000)).toBeCloseTo(14_793, -1);
  });

  it('reports saturation from a part that hits 65 535 counts at its least sensitive setting', async () => {
    const { clock, bus, run } = rig();
    bus.attach(0x10, new Veml7700Model({ clock, lux: () => 200_000, nonLinear: false }));
    const s = await run(new Veml7700({ bus, clock }).read());
    expect(s.saturated).toBe(true);
  });

  it('notices a silent reset (configuration lost without a NACK) and configures the sensor again', async () => {
    const { clock, bus, run } = rig();
    const model = new Veml7700Model({ clock, lux: () => 40, noise: 0 });
    bus.attach(0x10, model);
    const sensor = new Veml7700({ bus, clock });
    expect((await run(sensor.read())).lux).toBeCloseTo(40, 0);
    model.powerOnReset();
    clock.advance(10_000); // the driver reads ALS_CONF back every 10 s
    const before = bus.stats.transfers;
    expect((await run(sensor.read())).lux).toBeCloseTo(40, 0);
    expect(bus.stats.transfers - before).toBe(4); // ALS_CONF check, PSM + ALS_CONF rewrite, ALS
    expect(await bus.readWord(0x10, 0x00)).toBe(veml7700Conf(sensor.setting));
  });

  it('close() shuts the sensor down (ALS_SD)', async () => {
    const { clock, bus, run } = rig();
    bus.attach(0x10, new Veml7700Model({ clock, lux: () => 40 }));
    const sensor = new Veml7700({ bus, clock });
    await run(sensor.read());
    await sensor.close();
    expect((await bus.readWord(0x10, 0)) & 1).toBe(1);
  });
});

describe('BH1750 driver', () => {
  it('ranges between MTreg 31, 69 and H-res2 at 254 with hysteresis', () => {
    expect(bh1750NextStep(1, 65_535)).toBe(0);
    expect(bh1750NextStep(1, 30_000)).toBe(1); // 25 klx: fine at MTreg 69
    expect(bh1750NextStep(1, 4_100)).toBe(1); // 3.4 klx: H-res2 would read > 30 000
    expect(bh1750NextStep(1, 3_000)).toBe(2);
    expect(bh1750NextStep(2, 59_000)).toBe(2);
    expect(bh1750NextStep(2, 61_000)).toBe(1);
    expect(bh1750NextStep(0, 20_000)).toBe(0); // 37 klx would read 44 500 at MTreg 69: stay
    expect(bh1750NextStep(0, 10_000)).toBe(1); // 18.5 klx → 22 300 counts at MTreg 69
  });
});

describe('DS3231 encoding', () => {
  it('BCD round-trips every value 0–99', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 99 }), (n) => {
        expect(fromBcd(toBcd(n))).toBe(n);
      }),
    );
    expect(fromBcd(0x1a)).toBeNaN();
  });

  it('time registers round-trip every whole second from 2000 to 2199 (century bit included)', () => {
    fc.assert(
      fc.property(fc.integer({ min: DS3231_MIN_TIME / 1000, max: Math.floor(DS3231_MAX_TIME / 1000) }), (s) => {
        const regs = encodeDs3231Time(s * 1000);
        expect(decodeDs3231Time(regs)).toBe(s * 1000);
        expect((regs[5] & 0x80) !== 0).toBe(new Date(s * 1000).getUTCFullYear() >= 2100);
      }),
    );
  });

  it('decodes 12-hour registers and rejects impossible dates', () => {
    expect(decodeDs3231Time([0x30, 0x15, 0x40 | 0x20 | 0x09, 1, 0x15, 0x01, 0x26])).toBe(Date.UTC(2026, 0, 15, 21, 15, 30));
    expect(decodeDs3231Time([0, 0, 0x40 | 0x12, 1, 0x15, 0x01, 0x26])).toBe(Date.UTC(2026, 0, 15, 0, 0, 0));
    expect(decodeDs3231Time([0, 0, 0, 1, 0x31, 0x02, 0x26])).toBeNaN(); // 31 February
    expect(decodeDs3231Time([0x60, 0, 0, 1, 0x01, 0x01, 0x26])).toBeNaN(); // 60 seconds
  });

  it('garbled time registers are a BusError, not a wrong time', async () => {
    const { clock, bus, run } = rig();
    const regs = [0x00, 0x00, 0x08, 0x05, 0x3f, 0x01, 0x26, ...new Array(12).fill(0)]; // date 0x3F is not BCD
    let pointer = 0;
    bus.attach(0x68, {
      write: (d) => void (pointer = d[0]),
      read: (n) => Uint8Array.from({ length: n }, (_, i) => regs[(pointer + i) % regs.length]),
    });
    await expect(run(new Ds3231({ bus, clock }).read())).rejects.toBeInstanceOf(BusError);
  });

  it('set() writes on the whole second, clears EOSC, then OSF', async () => {
    const { clock, bus, run } = rig();
    const osc = new RtcOscillator({ clock, driftPpm: 0, firstPowerUp: true });
    bus.attach(0x68, new Ds3231Model({ clock, oscillator: osc }));
    await bus.writeByte(0x68, 0x0e, 0x9c);
    const rtc = new Ds3231({ bus, clock });
    clock.advance(400);
    const before = clock.monotonic();
    await run(rtc.set(clock.trueTime()));
    expect(clock.monotonic() - before).toBe(600);
    expect(osc.error()).toBe(0); // exact: written at the boundary
    expect(await bus.readByte(0x68, 0x0e)).toBe(0x1c);
    expect((await run(rtc.read())).oscillatorStopped).toBe(false);
  });
});

describe('SHT31 driver', () => {
  it('CRC-8 test vector: 0xBE 0xEF → 0x92', () => {
    expect(crc8([0xbe, 0xef])).toBe(0x92);
    expect(crc8([0x00, 0xbe, 0xef, 0x00], 1, 2)).toBe(0x92);
  });

  it('flags a CRC mismatch in either word as ChecksumError', async () => {
    for (let attempt = 0; attempt < 8; attempt++) {
      const { clock, bus, run } = rig();
      bus.attach(0x44, new Sht31Model({ clock, climate: () => ({ celsius: 20, humidity: 50 }) }));
      const s = new Sht31({ bus, clock, repeatability: 'medium' });
      await run(s.read());
      bus.corruptNextRead(0x44, 1 + attempt);
      const err = await run(s.read()).catch((e: unknown) => e);
      // An even number of flips in one word can cancel out only if they land in the same bit.
      if (!(err instanceof ChecksumError)) expect(attempt % 2).toBe(1);
    }
  });

  it('with the heater on, reads the warmed sensor', async () => {
    const { clock, bus, run } = rig();
    bus.attach(0x45, new Sht31Model({ clock, climate: () => ({ celsius: 5, humidity: 90 }) }));
    const s = await run(new Sht31({ bus, clock, address: 0x45, heater: true, repeatability: 'low' }).read());
    expect(s.celsius).toBeCloseTo(8, 0);
    expect(s.humidity).toBeLessThan(90);
  });
});
