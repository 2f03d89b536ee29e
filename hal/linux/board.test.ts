import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { NEVER } from 'rxjs';
import { VirtualClock } from '../../sim/virtual-clock.ts';
import { FakeGpioSysfs, PI_CHIPS } from '../../test/fakes/gpio-sysfs.ts';
import { FakePromisifiedBus, RegisterDevice, type FakeI2cDevice } from '../../test/fakes/i2c-bus.ts';
import { FakeCameraTools } from '../../test/fakes/camera/index.ts';
import { TestFirmata } from '../../test/fakes/firmata.ts';
import { parseBoardFile, type BoardFile } from '../board-file.ts';
import { DeviceBase } from '../device.ts';
import { DeviceNotFoundError, StorageUnavailableError } from '../errors.ts';
import { swap16, type I2cBus } from '../bus/i2c.ts';
import type { DigitalInput, DigitalOutput } from '../bus/gpio.ts';
import type { AmbientLightSensor } from '../light.ts';
import type { BatteryGauge, SlotIndex } from '../battery.ts';
import type { Buttons } from '../buttons.ts';
import type { IrCutFilter } from '../ir.ts';
import type { Board } from '../board.ts';
import { createLinuxBoard, MissingDriverError, type I2cMux, type I2cPartContext, type LinuxBoardFactories, type LinuxBoardOptions } from './board.ts';
import { isAbsent } from './absent.ts';
import { RpicamCamera } from './rpicam-camera.ts';
import { FsStorage } from './fs-storage.ts';
import { SysfsGpioController } from './gpio-sysfs.ts';
import { FirmataButtons } from '../firmata/buttons.ts';
import { FirmataIndicators } from '../firmata/indicators.ts';
import { FirmataLdrLight } from '../firmata/ldr-light.ts';

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

const boardsDir = path.resolve(import.meta.dirname, '../../boards');
const loadBoard = (name: string): BoardFile => parseBoardFile(fs.readFileSync(path.join(boardsDir, name), 'utf8'), name);

/** Minimal drivers that do real bus/GPIO work, so the wiring they receive can be checked. */
class WordLight extends DeviceBase implements AmbientLightSensor {
  constructor(readonly ctx: I2cPartContext) {
    super(ctx.name);
  }
  async read() {
    return { lux: await this.ctx.bus.readWord(this.ctx.address, 0x04), saturated: false, at: this.ctx.clock.monotonic() };
  }
}

class VcellGauge extends DeviceBase implements BatteryGauge {
  constructor(
    readonly ctx: I2cPartContext,
    readonly slot: SlotIndex,
  ) {
    super(ctx.name);
  }
  async read() {
    const raw = swap16(await this.ctx.bus.readWord(this.ctx.address, 0x02));
    return { present: true, voltage: raw * 78.125e-6, socPercent: 0, ratePercentPerHour: 0, at: this.ctx.clock.monotonic() };
  }
}

class LineButtons extends DeviceBase implements Buttons {
  readonly events$ = NEVER;
  constructor(readonly inputs: DigitalInput[]) {
    super('buttons');
  }
  isPressed() {
    return false;
  }
  protected override async onClose() {
    await Promise.all(this.inputs.map((i) => i.close()));
  }
}

class PulseIrCut extends DeviceBase implements IrCutFilter {
  position: 'day' | 'night' | 'unknown' = 'unknown';
  constructor(
    readonly a: DigitalOutput,
    readonly b: DigitalOutput,
  ) {
    super('IR-cut filter');
  }
  async set(mode: 'day' | 'night') {
    await (mode === 'night' ? this.a : this.b).write(1);
    await (mode === 'night' ? this.a : this.b).write(0);
    this.position = mode;
  }
  protected override async onClose() {
    await this.a.close();
    await this.b.close();
  }
}

/** A TCA9548A on the fake bus: its control register selects which channel's devices answer. */
class FakeTca9548a implements FakeI2cDevice {
  control = 0;
  write(bytes: Uint8Array) {
    this.control = bytes[bytes.length - 1];
  }
  read() {
    return Uint8Array.of(this.control);
  }
  /** The device at one address on each channel, routed by the control register. */
  behind(channels: Record<number, FakeI2cDevice>): FakeI2cDevice {
    const pick = () => {
      const on = Object.keys(channels).map(Number).filter((c) => this.control & (1 << c));
      if (on.length !== 1) throw new Error(`mux: ${on.length} channels enabled`);
      return channels[on[0]];
    };
    return { write: (b) => pick().write(b), read: (n) => pick().read(n) };
  }
}

/** The smallest honest mux driver: select the channel, then transfer. */
function testMux(ctx: I2cPartContext): I2cMux {
  const select = (n: number) => ctx.bus.sendByte(ctx.address, 1 << n);
  return {
    channel: (n: number): I2cBus =>
      new Proxy(ctx.bus, {
        get(target, prop, recv) {
          const v = Reflect.get(target, prop, recv);
          if (prop === 'id') return `${target.id} mux ${ctx.address.toString(16)}:${n}`;
          return typeof v === 'function' && prop !== 'close' ? async (...args: unknown[]) => (await select(n), v.apply(target, args)) : v;
        },
      }),
  };
}

function testFactories(log: string[]): LinuxBoardFactories {
  return {
    mux: (ctx) => {
      log.push(`mux ${ctx.where}`);
      return testMux(ctx);
    },
    light: (ctx) => {
      log.push(`light ${ctx.where}`);
      return new WordLight(ctx);
    },
    batteryGauge: (ctx) => {
      log.push(`gauge ${ctx.slot} ${ctx.where}`);
      return new VcellGauge(ctx, ctx.slot);
    },
    rtc: (ctx) => (log.push(`rtc ${ctx.where}`), stub(ctx.name)),
    climate: (ctx) => (log.push(`climate ${ctx.where}`), stub(ctx.name)),
    buttons: async (ctx) => {
      log.push(`buttons ${Object.keys(ctx.buttons).join(',')}`);
      return new LineButtons(await Promise.all(Object.values(ctx.buttons).map((b) => ctx.gpio.input({ line: b.line, activeLow: b.activeLow, edge: 'both', debounceMs: b.debounceMs }))));
    },
    indicators: (ctx) => (log.push(`indicators ${Object.entries(ctx.outputs).map(([k, v]) => `${k}=${v.line}`).join(',')}`), stub(ctx.name)),
    irCut: async (ctx) => {
      log.push(`irCut a=${ctx.a.line} b=${ctx.b.line} pulse=${ctx.pulseMs}`);
      return new PulseIrCut(await ctx.gpio.output({ line: ctx.a.line }), await ctx.gpio.output({ line: ctx.b.line }));
    },
    irLight: (ctx) => (log.push(`irLight ${ctx.pin.line}`), stub(ctx.name)),
    charger: (ctx) => (log.push(`charger dock=${ctx.dockPresence?.line} pg=${ctx.powerGood?.line} stat=${ctx.chargeStatus?.map((s) => s.line)}`), stub(ctx.name)),
    powerPath: (ctx) => (log.push(`powerPath select=${ctx.select.line} present=${ctx.present.map((p) => p.line)} active=${ctx.active.map((p) => p.line)} gauges=${ctx.gauges.map((g) => g.name)}`), stub(ctx.name)),
    card: (ctx) => (log.push(`card ${ctx.device} seal=${ctx.sealSwitch?.line} mount=${ctx.mountPoint}`), stub(ctx.name)),
    gnss: (ctx) => (log.push(`gnss ${ctx.serial.device}@${ctx.serial.baud}`), stub(ctx.name)),
    radar: (ctx) => (log.push(`radar ${ctx.model} ${ctx.serial.device}@${ctx.serial.baud}`), stub(ctx.name)),
    dockPort: (ctx) => (log.push(`dock ${ctx.serial.device}@${ctx.serial.baud}`), stub(ctx.name)),
  };
}

/** A device whose only job in these tests is to have been built and closed. */
class Stub extends DeviceBase {
  constructor(name: string) {
    super(name);
  }
}
function stub<T>(name: string): T {
  return new Stub(name) as unknown as T;
}

function piEnvironment(chips = PI_CHIPS.pi4Kernel66) {
  const sysfs = new FakeGpioSysfs(chips);
  const cameras = new FakeCameraTools();
  const rootDir = fs.mkdtempSync(path.join(os.tmpdir(), 'dozor-board-'));
  const buses = new Map<number, FakePromisifiedBus>();
  cleanups.push(() => sysfs.dispose(), () => cameras.dispose(), () => fs.rmSync(rootDir, { recursive: true, force: true }));
  const bus = (n: number) => {
    if (!buses.has(n)) buses.set(n, new FakePromisifiedBus());
    return buses.get(n)!;
  };
  const options = (extra: Partial<LinuxBoardOptions> = {}): LinuxBoardOptions => ({
    clock: new VirtualClock({ startEpochMs: 0 }),
    rootDir,
    sysfsGpioRoot: sysfs.root,
    onoff: sysfs.loadOnoff(),
    env: cameras.env(),
    i2cOpen: async (n) => bus(n),
    ...extra,
  });
  return { sysfs, cameras, rootDir, bus, options };
}

async function build(file: BoardFile, options: LinuxBoardOptions): Promise<Board> {
  const board = await createLinuxBoard(file, options);
  cleanups.push(() => board.close());
  return board;
}

describe('createLinuxBoard', () => {
  it('assembles the Pi 4 body camera: every part gets the bus, address and lines its board file names', async () => {
    const env = piEnvironment();
    fs.mkdirSync(path.join(env.rootDir, 'var/lib/dozor'), { recursive: true });
    env.bus(1).attach(0x10, new RegisterDevice({ 0x04: 0x34, 0x05: 0x12 }));
    const mux = new FakeTca9548a();
    env.bus(1).attach(0x70, mux);
    // 4.160 V in slot A (channel 0), 3.840 V in slot B (channel 1).
    env.bus(1).attach(0x36, mux.behind({ 0: new RegisterDevice({ 0x02: 0xd0, 0x03: 0x00 }), 1: new RegisterDevice({ 0x02: 0xc0, 0x03: 0x00 }) }));
    const log: string[] = [];
    const board = await build(loadBoard('bodycam-pi4-proto-b.yaml'), env.options({ factories: testFactories(log) }));

    expect(board.variant).toBe('bodycam');
    expect(board.model).toMatch(/^dozor-bodycam-proto-b \(Raspberry Pi 4 B/);
    expect(log).toEqual([
      'mux tca9548a at 0x70 on /dev/i2c-1',
      'light veml7700 at 0x10 on /dev/i2c-1',
      'rtc ds3231 at 0x68 on /dev/i2c-1',
      'climate sht31 at 0x44 on /dev/i2c-1',
      'gauge 0 max17048 at 0x36 on /dev/i2c-1 behind mux 0x70 channel 0',
      'gauge 1 max17048 at 0x36 on /dev/i2c-1 behind mux 0x70 channel 1',
      'buttons record,marker,pause,power',
      'indicators led-red=16,led-green=20,led-amber=21,buzzer=12,vibration=26',
      'irCut a=23 b=24 pulse=100',
      'irLight 13',
      'charger dock=7 pg=8 stat=9,10',
      'powerPath select=11 present=4,5 active=18,19 gauges=battery A,battery B',
      `card mmcblk0 seal=25 mount=${path.join(env.rootDir, 'media/dozor-card')}`,
      'gnss /dev/serial0@9600',
      'dock /dev/ttyGS0@115200',
    ]);
    // Reads go to the right chip on the right bus.
    expect((await board.light.read()).lux).toBe(0x1234);
    expect((await board.batteries[0].read()).voltage).toBeCloseTo(4.16, 3);
    expect((await board.batteries[1].read()).voltage).toBeCloseTo(3.84, 3);
    // GPIO went through sysfs with the Pi 4 kernel 6.6 base.
    expect(env.sysfs.state(512 + 17)).toMatchObject({ direction: 'in', activeLow: true, edge: 'both' });
    await board.irCut.set('night');
    expect(env.sysfs.writes).toContain('gpio535/value=1');
    // Own drivers: camera over rpicam, internal storage on the (rooted) filesystem.
    expect(board.camera).toBeInstanceOf(RpicamCamera);
    expect(board.internal).toBeInstanceOf(FsStorage);
    await board.internal.writeAtomic('hello.txt', new TextEncoder().encode('hi'));
    expect(fs.readFileSync(path.join(env.rootDir, 'var/lib/dozor/hello.txt'), 'utf8')).toBe('hi');
    expect(board.radar).toBeNull();
    expect(isAbsent(board.microphone)).toBe(true);

    await board.close();
    await board.close();
    expect(env.sysfs.isExported(512 + 17)).toBe(false);
    expect(env.sysfs.isExported(512 + 23)).toBe(false);
    expect(env.bus(1).closed).toBe(true);
  });

  it('reaches both fuel gauges of the Pi 5 radar through the TCA9548A channels', async () => {
    const env = piEnvironment(PI_CHIPS.pi5);
    const mux = new FakeTca9548a();
    env.bus(1).attach(0x70, mux);
    env.bus(1).attach(0x36, mux.behind({ 0: new RegisterDevice({ 0x02: 0xd0 }), 1: new RegisterDevice({ 0x02: 0xb0 }) }));
    const log: string[] = [];
    const board = await build(loadBoard('radar-pi5-proto-a.yaml'), env.options({ factories: testFactories(log) }));
    expect(log.slice(0, 6)).toEqual([
      'mux tca9548a at 0x70 on /dev/i2c-1',
      'light bh1750 at 0x23 on /dev/i2c-1',
      'rtc ds3231 at 0x68 on /dev/i2c-1',
      'climate sht31 at 0x45 on /dev/i2c-1',
      'gauge 0 max17048 at 0x36 on /dev/i2c-1 behind mux 0x70 channel 0',
      'gauge 1 max17048 at 0x36 on /dev/i2c-1 behind mux 0x70 channel 1',
    ]);
    expect(log).toContain('radar ops243 /dev/ttyACM0@19200');
    expect((await board.batteries[0].read()).voltage).toBeCloseTo(4.16, 3);
    expect((await board.batteries[1].read()).voltage).toBeCloseTo(3.52, 3);
    expect(mux.control).toBe(0b10);
    // The RP1 header chip at 571.
    expect(env.sysfs.isExported(571 + 17)).toBe(true);
    expect(board.gnss).not.toBeNull();
  });

  it('refuses to build when a listed part has no driver, before touching any hardware', async () => {
    const env = piEnvironment();
    const err = await createLinuxBoard(loadBoard('bodycam-pi4-proto-b.yaml'), env.options({ factories: {} })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MissingDriverError);
    expect((err as MissingDriverError).missing).toEqual([
      'veml7700 at 0x10 on /dev/i2c-1',
      'ds3231 at 0x68 on /dev/i2c-1',
      'sht31 at 0x44 on /dev/i2c-1',
      'tca9548a at 0x70 on /dev/i2c-1',
      'max17048 at 0x36 on /dev/i2c-1 behind mux 0x70 channel 0',
      'max17048 at 0x36 on /dev/i2c-1 behind mux 0x70 channel 1',
      'buttons (GPIO)',
      'indicators (GPIO)',
      'IR-cut filter (H-bridge on GPIO)',
      'IR illuminator (GPIO)',
      'charger (GPIO)',
      'power path (GPIO)',
      'card slot (mmcblk0)',
      'GNSS (/dev/serial0)',
      'dock port (/dev/ttyGS0)',
    ]);
    expect(env.sysfs.writes).toEqual([]);
  });

  it('with allowMissingDrivers, stand-ins fail loudly and name the missing driver; own drivers still work', async () => {
    const env = piEnvironment();
    const board = await build(loadBoard('bodycam-pi4-proto-b.yaml'), env.options({ allowMissingDrivers: true, factories: { light: (ctx) => new WordLight(ctx) } }));
    env.bus(1).attach(0x10, new RegisterDevice({ 0x04: 7 }));
    expect((await board.light.read()).lux).toBe(7);
    const err = await board.rtc.read().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DeviceNotFoundError);
    expect((err as Error).message).toBe('real-time clock: no driver for ds3231 at 0x68 on /dev/i2c-1 wired in this build');
    await expect(board.batteries[1].read()).rejects.toThrow('battery B: no driver for max17048 at 0x36 on /dev/i2c-1 behind mux 0x70 channel 1 wired in this build');
    await expect(board.card.storage.list()).rejects.toBeInstanceOf(StorageUnavailableError);
    expect(board.buttons.isPressed('record')).toBe(false);
    expect(isAbsent(board.buttons) && isAbsent(board.indicators)).toBe(true);
    expect(board.gnss).toBeNull();
    expect(board.camera).toBeInstanceOf(RpicamCamera);
  });

  it('builds the Firmata rig: buttons, indicators and the LDR on johnny-five, IR-cut through the Firmata GPIO', async () => {
    const clock = new VirtualClock({ startEpochMs: 0 });
    const io = new TestFirmata(clock);
    const rootDir = fs.mkdtempSync(path.join(os.tmpdir(), 'dozor-rig-'));
    cleanups.push(() => fs.rmSync(rootDir, { recursive: true, force: true }));
    const log: string[] = [];
    const building = createLinuxBoard(loadBoard('firmata-test-rig.yaml'), { clock, firmataIo: io, rootDir, factories: testFactories(log) });
    io.handshake();
    const board = await building;
    cleanups.push(() => board.close());
    expect(board.buttons).toBeInstanceOf(FirmataButtons);
    expect(board.indicators).toBeInstanceOf(FirmataIndicators);
    expect(board.light).toBeInstanceOf(FirmataLdrLight);
    expect(log).toEqual(['irCut a=12 b=13 pulse=100', 'irLight 6']);
    await board.irCut.set('day');
    expect(io.writes.filter(([, pin]) => pin === 13).map(([, , v]) => v)).toEqual([0, 1, 0]);
    io.reportAnalog(0, 465);
    expect((await board.light.read()).lux).toBeGreaterThan(5);
    // Nothing else is fitted on the rig.
    await expect(board.batteries[0].read()).rejects.toThrow('battery A: not fitted on this board (see the board file)');
    expect(isAbsent(board.camera)).toBe(true);
  });

  it('closes what it opened when a driver fails during assembly', async () => {
    const env = piEnvironment();
    const log: string[] = [];
    const factories = testFactories(log);
    factories.irLight = () => {
      throw new Error('IR driver exploded');
    };
    await expect(createLinuxBoard(loadBoard('bodycam-pi4-proto-b.yaml'), env.options({ factories }))).rejects.toThrow('IR driver exploded');
    // The buttons were claimed before the failure and are released again.
    expect(env.sysfs.writes).toContain('export=529');
    expect(env.sysfs.isExported(529)).toBe(false);
    expect(env.bus(1).closed).toBe(true);
  });

  it('uses the gpio controller it opened for the board file backend', async () => {
    const env = piEnvironment();
    let seen: unknown = null;
    const factories = { ...testFactories([]), irLight: (ctx: { gpio: unknown; name: string }) => ((seen = ctx.gpio), stub<never>(ctx.name)) };
    await build(loadBoard('bodycam-pi4-proto-b.yaml'), env.options({ factories }));
    expect(seen).toBeInstanceOf(SysfsGpioController);
    expect((seen as SysfsGpioController).chip.base).toBe(512);
  });
});
