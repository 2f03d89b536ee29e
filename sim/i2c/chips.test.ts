/** Register-level behaviour of the chip models, checked against datasheet numbers. */
import { describe, expect, it } from 'vitest';
import { DeviceNotRespondingError } from '../../hal/errors.ts';
import { SeededRandom } from '../random.ts';
import { VirtualClock } from '../virtual-clock.ts';
import { RtcOscillator } from '../world/rtc.ts';
import { SimI2cBus } from './bus.ts';
import { Bh1750Model } from './bh1750.ts';
import { Ds3231Model } from './ds3231.ts';
import { Max17048Model, type GaugedCell } from './max17048.ts';
import { Sht31Model, sensirionCrc8 } from './sht31.ts';
import { Veml7700Model } from './veml7700.ts';

function rig(start = Date.UTC(2026, 0, 15, 8, 0, 0)) {
  const clock = new VirtualClock({ startEpochMs: start });
  const bus = new SimI2cBus({ clock, random: new SeededRandom(1) });
  return { clock, bus };
}

const wire = (word: number) => [word & 0xff, word >> 8]; // bytes in the order they crossed the bus

describe('MAX17048 model', () => {
  function gauge() {
    const r = rig();
    let cell: GaugedCell | null = { voltage: 4.16, socPercent: 50.5, ratePercentPerHour: -9.98, insertion: 1 };
    const model = new Max17048Model({ clock: r.clock, cell: () => cell });
    r.bus.attach(0x36, model);
    return { ...r, model, set: (c: GaugedCell | null) => (cell = c) };
  }

  it('datasheet vectors: VCELL 0xD000 = 4.160 V, SOC 0x3280 = 50.5 %, CRATE −48 = −9.98 %/h, VERSION 0x0012 (MSB first)', async () => {
    const { bus } = gauge();
    expect(wire(await bus.readWord(0x36, 0x02))).toEqual([0xd0, 0x00]);
    expect(wire(await bus.readWord(0x36, 0x04))).toEqual([0x32, 0x80]);
    expect(wire(await bus.readWord(0x36, 0x16))).toEqual([0xff, 0xd0]);
    expect(wire(await bus.readWord(0x36, 0x08))).toEqual([0x00, 0x12]);
    expect(wire(await bus.readWord(0x36, 0x0c))).toEqual([0x97, 0x1c]);
    expect(await bus.readByte(0x36, 0x1a)).toBe(0x01); // RI after power-up
  });

  it('does not ACK with no pack in the slot; a newly inserted pack power-cycles it (RI)', async () => {
    const { bus, set } = gauge();
    await bus.writeWord(0x36, 0x1a, 0xff00); // host clears RI (STATUS is the first byte on the wire)
    expect(await bus.readByte(0x36, 0x1a)).toBe(0);
    set(null);
    await expect(bus.readWord(0x36, 0x02)).rejects.toBeInstanceOf(DeviceNotRespondingError);
    expect(await bus.scan()).toEqual([]);
    set({ voltage: 3.9, socPercent: 70, ratePercentPerHour: 0, insertion: 2 });
    expect(await bus.readByte(0x36, 0x1a)).toBe(0x01);
  });

  it('CMD 0x5400 resets the chip, which NACKs the command', async () => {
    const { bus, model } = gauge();
    await bus.writeWord(0x36, 0x0c, 0x1f97); // CONFIG = 0x971F (ATHD 1 %), LSB first on the wire
    const before = model.resets;
    await expect(bus.writeWord(0x36, 0xfe, 0x0054)).rejects.toBeInstanceOf(DeviceNotRespondingError);
    expect(model.resets).toBe(before + 1);
    expect(wire(await bus.readWord(0x36, 0x0c))).toEqual([0x97, 0x1c]);
  });

  it('latches the empty alert (HD + CONFIG.ALRT) when SOC falls below 32 − ATHD', async () => {
    const { bus, clock, set } = gauge();
    await bus.writeWord(0x36, 0x0a, 0x0000); // no hibernation: sample every 250 ms
    set({ voltage: 3.68, socPercent: 3.5, ratePercentPerHour: -10, insertion: 1 });
    clock.advance(1_000);
    expect(await bus.readByte(0x36, 0x1a)).toBe(0x01 | 0x10);
    expect((await bus.readByte(0x36, 0x0d)) & 0x20).toBe(0x20);
    set({ voltage: 3.7, socPercent: 5, ratePercentPerHour: 0, insertion: 1 });
    clock.advance(1_000);
    expect(await bus.readByte(0x36, 0x1a)).toBe(0x11); // latched until cleared
  });

  it('updates every 250 ms when active and every 45 s in hibernate', async () => {
    const { bus, clock, set } = gauge();
    const vcell = async () => {
      const w = await bus.readWord(0x36, 0x02);
      return (((w & 0xff) << 8) | (w >> 8)) * 78.125e-6;
    };
    await bus.writeWord(0x36, 0x0a, 0xffff); // always hibernate; samples 4.160 V now
    set({ voltage: 4.0, socPercent: 40, ratePercentPerHour: -1, insertion: 1 });
    clock.advance(44_999);
    expect(await vcell()).toBeCloseTo(4.16, 4);
    clock.advance(1);
    expect(await vcell()).toBeCloseTo(4.0, 4);
    await bus.writeWord(0x36, 0x0a, 0x0000); // never hibernate
    set({ voltage: 3.8, socPercent: 40, ratePercentPerHour: -1, insertion: 1 });
    clock.advance(250);
    expect(await vcell()).toBeCloseTo(3.8, 4);
    set({ voltage: 3.7, socPercent: 40, ratePercentPerHour: -1, insertion: 1 });
    clock.advance(249);
    expect(await vcell()).toBeCloseTo(3.8, 4);
    clock.advance(1);
    expect(await vcell()).toBeCloseTo(3.7, 4);
  });
});

describe('DS3231 model', () => {
  function rtc(options: { firstPowerUp?: boolean; start?: number } = {}) {
    const r = rig(options.start);
    const osc = new RtcOscillator({ clock: r.clock, driftPpm: 0, firstPowerUp: options.firstPowerUp, temperature: () => -5.25 });
    r.bus.attach(0x68, new Ds3231Model({ clock: r.clock, oscillator: osc }));
    const block = async (reg: number, n: number) => {
      const b = Buffer.alloc(n);
      await r.bus.readI2cBlock(0x68, reg, n, b);
      return [...b];
    };
    return { ...r, osc, block };
  }

  it('holds BCD time registers (Thursday 2026-01-15 08:00:00 → 00 00 08 05 15 01 26, Sunday = 1)', async () => {
    const { block, clock } = rtc();
    expect(await block(0, 7)).toEqual([0x00, 0x00, 0x08, 0x05, 0x15, 0x01, 0x26]);
    clock.advance(3_723_000);
    expect(await block(0, 3)).toEqual([0x03, 0x02, 0x09]);
  });

  it('12-hour mode: hours read back as 12-h BCD with the PM bit', async () => {
    const { bus, block } = rtc({ start: Date.UTC(2026, 0, 15, 21, 5, 0) });
    await bus.writeByte(0x68, 0x02, 0x40 | 0x20 | 0x09); // 9 PM, 12-h mode
    expect((await block(0, 3))[2]).toBe(0x69);
    await bus.writeByte(0x68, 0x02, 0x40 | 0x12); // 12 AM = midnight
    expect((await block(0, 3))[2]).toBe(0x52);
  });

  it('sets the century bit when the year passes 2099 and counts on into 2100', async () => {
    const { bus, block, clock } = rtc();
    await bus.writeI2cBlock(0x68, 0, 7, Buffer.from([0x58, 0x59, 0x23, 0x05, 0x31, 0x12, 0x99]));
    clock.advance(2_000);
    expect(await block(0, 7)).toEqual([0x00, 0x00, 0x00, 0x06, 0x01, 0x81, 0x00]);
  });

  it('raises OSF at first power-up (time 2000-01-01); only writing 0 clears it', async () => {
    const { bus, block } = rtc({ firstPowerUp: true });
    expect(await block(0, 7)).toEqual([0x00, 0x00, 0x00, 0x07, 0x01, 0x01, 0x00]);
    expect((await bus.readByte(0x68, 0x0f)) & 0x80).toBe(0x80);
    await bus.writeByte(0x68, 0x0f, 0x88);
    expect((await bus.readByte(0x68, 0x0f)) & 0x80).toBe(0x80);
    await bus.writeByte(0x68, 0x0f, 0x08);
    expect(await bus.readByte(0x68, 0x0f)).toBe(0x08);
  });

  it('temperature registers: −5.25 °C is 10-bit two\'s complement −21 quarter degrees → 0xFA 0xC0; pointer wraps after 0x12', async () => {
    const { block } = rtc();
    expect(await block(0x11, 3)).toEqual([0xfa, 0xc0, 0x00]);
    expect(await block(0x0e, 1)).toEqual([0x1c]);
  });

  it('aging offset and EOSC reach the oscillator', async () => {
    const { bus, osc } = rtc();
    await bus.writeByte(0x68, 0x10, 0xf6); // −10 LSB → +1 ppm
    expect(osc.ppm).toBeCloseTo(1, 12);
    await bus.writeByte(0x68, 0x0e, 0x9c);
    osc.powerLost();
    expect(osc.oscillatorRunning).toBe(false);
  });
});

describe('SHT31 model', () => {
  function sht() {
    const r = rig();
    r.bus.attach(0x44, new Sht31Model({ clock: r.clock, climate: () => ({ celsius: 23.5, humidity: 41.2 }) }));
    const cmd = (c: number) => r.bus.i2cWrite(0x44, 2, Buffer.from([c >> 8, c & 0xff]));
    const read = async (n: number) => {
      const b = Buffer.alloc(n);
      await r.bus.i2cRead(0x44, n, b);
      return [...b];
    };
    return { ...r, cmd, read };
  }

  it('CRC-8 (poly 0x31, init 0xFF) of 0xBE 0xEF is 0x92', () => {
    expect(sensirionCrc8([0xbe, 0xef])).toBe(0x92);
  });

  it('single shot: NACKs until the measurement is done, then returns T, CRC, RH, CRC once', async () => {
    const { clock, cmd, read } = sht();
    await cmd(0x2400);
    clock.advance(10);
    await expect(read(6)).rejects.toBeInstanceOf(DeviceNotRespondingError);
    clock.advance(5);
    const b = await read(6);
    expect(sensirionCrc8(b.slice(0, 2))).toBe(b[2]);
    expect(sensirionCrc8(b.slice(3, 5))).toBe(b[5]);
    expect(-45 + (175 * ((b[0] << 8) | b[1])) / 65535).toBeCloseTo(23.5, 0);
    expect((100 * ((b[3] << 8) | b[4])) / 65535).toBeCloseTo(41.2, 0);
    await expect(read(6)).rejects.toBeInstanceOf(DeviceNotRespondingError); // nothing pending
  });

  it('status after power-up is 0x8010 (with CRC); the heater shows in it and warms the reading by ≈3 °C', async () => {
    const { clock, cmd, read } = sht();
    await cmd(0xf32d);
    const s = await read(3);
    expect(s).toEqual([0x80, 0x10, sensirionCrc8([0x80, 0x10])]);
    await cmd(0x306d);
    await cmd(0xf32d);
    expect((await read(3))[0] & 0x20).toBe(0x20);
    await cmd(0x2c06); // clock stretching: readable at once
    const b = await read(6);
    expect(-45 + (175 * ((b[0] << 8) | b[1])) / 65535).toBeCloseTo(26.5, 0);
    clock.advance(1);
  });
});

describe('VEML7700 model', () => {
  function veml(lux: number, nonLinear = true) {
    const r = rig();
    r.bus.attach(0x10, new Veml7700Model({ clock: r.clock, lux: () => lux, noise: 0, nonLinear }));
    return r;
  }

  it('is shut down at power-up; counts = lux / resolution (gain ×1, 100 ms: 0.0672 lx/count)', async () => {
    const { bus, clock } = veml(100);
    expect(await bus.readWord(0x10, 0x00)).toBe(0x0001);
    await bus.writeWord(0x10, 0x00, 0x0000); // gain ×1, IT 100 ms, on
    clock.advance(50);
    expect(await bus.readWord(0x10, 0x04)).toBe(0); // stale until the first integration ends
    clock.advance(60);
    expect(await bus.readWord(0x10, 0x04)).toBe(Math.floor(100 / 0.0672));
    expect(await bus.readWord(0x10, 0x05)).toBe(Math.floor(Math.floor(100 / 0.0672) * 1.25));
  });

  it('keeps the old result (scaled for the old setting) until an integration at the new one finishes', async () => {
    const { bus, clock } = veml(10);
    await bus.writeWord(0x10, 0x00, 0x0000);
    clock.advance(200);
    const atGain1 = await bus.readWord(0x10, 0x04);
    await bus.writeWord(0x10, 0x00, (0b01 << 11) | (0b0011 << 6)); // gain ×2, 800 ms
    clock.advance(700);
    expect(await bus.readWord(0x10, 0x04)).toBe(atGain1);
    clock.advance(101);
    expect(await bus.readWord(0x10, 0x04)).toBe(Math.floor(10 / 0.0042));
  });

  it('a linear part saturates at 65535 counts above ≈141 klx at gain ×1/8, 25 ms', async () => {
    const { bus, clock } = veml(150_000, false);
    await bus.writeWord(0x10, 0x00, (0b10 << 11) | (0b1100 << 6));
    clock.advance(30);
    expect(await bus.readWord(0x10, 0x04)).toBe(65535);
  });

  it('interrupt status: high-threshold flag after PERS results above ALS_WH, cleared by reading', async () => {
    const { bus, clock } = veml(100);
    await bus.writeWord(0x10, 0x01, 1000); // ALS_WH
    await bus.writeWord(0x10, 0x00, 0x0002 | (0b01 << 4)); // INT_EN, persistence 2
    clock.advance(250);
    expect(await bus.readWord(0x10, 0x06)).toBe(0x4000);
    expect(await bus.readWord(0x10, 0x06)).toBe(0);
  });
});

describe('BH1750 model', () => {
  it('H mode, MTreg 69: 100 lx → 120 counts after 120 ms; H-res2 at MTreg 254 → 883 counts', async () => {
    const { bus, clock } = rig();
    bus.attach(0x23, new Bh1750Model({ clock, lux: () => 100, noise: 0 }));
    const read = async () => {
      const b = Buffer.alloc(2);
      await bus.i2cRead(0x23, 2, b);
      return (b[0] << 8) | b[1];
    };
    await bus.sendByte(0x23, 0x01);
    await bus.sendByte(0x23, 0x10);
    clock.advance(119);
    expect(await read()).toBe(0);
    clock.advance(2);
    expect(await read()).toBe(120);
    await bus.sendByte(0x23, 0x40 | (254 >> 5));
    await bus.sendByte(0x23, 0x60 | (254 & 0x1f));
    await bus.sendByte(0x23, 0x11);
    clock.advance(450);
    expect(await read()).toBe(Math.floor(100 * 1.2 * (254 / 69) * 2));
    expect(Math.floor(100 * 1.2 * (254 / 69) * 2)).toBe(883);
  });

  it('one-time mode measures once and powers down, holding the result', async () => {
    const { bus, clock } = rig();
    let lux = 50;
    bus.attach(0x5c, new Bh1750Model({ clock, lux: () => lux, noise: 0 }));
    await bus.sendByte(0x5c, 0x20);
    clock.advance(130);
    const b = Buffer.alloc(2);
    await bus.i2cRead(0x5c, 2, b);
    const first = (b[0] << 8) | b[1];
    expect(first).toBe(60);
    lux = 500;
    clock.advance(1_000);
    await bus.i2cRead(0x5c, 2, b);
    expect((b[0] << 8) | b[1]).toBe(first);
  });
});
