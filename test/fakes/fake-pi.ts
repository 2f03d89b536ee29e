/**
 * A whole Raspberry Pi prototype made of fakes of its kernel interfaces, wired as a board file
 * says: sysfs GPIO (onoff over a fake /sys/class/gpio) with the board's pull-ups, one
 * `SimI2cBus` per I2C bus behind i2c-bus's `PromisifiedBus` fake with simworld's register-level
 * chip models at the board file's addresses (TCA9548A channels included), a fake
 * /sys/block/mmcblkN card tree with a mounts table, fake rpicam tools on PATH, and in-memory
 * serial links whose far ends the test plays (a GNSS module, a radar).
 *
 * `options()` gives the `LinuxBoardOptions` that make `createLinuxBoard` (and the doctor's
 * Linux target) open exactly these fakes with the real drivers.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { BoardFile, I2cDeviceSpec } from '../../hal/board-file.ts';
import { listPins } from '../../hal/board-file.ts';
import type { LinuxBoardOptions } from '../../hal/linux/board.ts';
import type { SerialContext } from '../../hal/linux/board.ts';
import type { ByteLink } from '../../hal/link.ts';
import { SimI2cBus, type I2cTarget, type SimI2cSegment } from '../../sim/i2c/bus.ts';
import { toPromisifiedBus } from '../../sim/i2c/promisified-bus.ts';
import { Veml7700Model } from '../../sim/i2c/veml7700.ts';
import { Bh1750Model } from '../../sim/i2c/bh1750.ts';
import { Ds3231Model } from '../../sim/i2c/ds3231.ts';
import { Sht31Model } from '../../sim/i2c/sht31.ts';
import { Tca9548aModel } from '../../sim/i2c/tca9548a.ts';
import { Max17048Model, type GaugedCell } from '../../sim/i2c/max17048.ts';
import { createLinkPair, type SimByteLink } from '../../sim/link.ts';
import { SeededRandom } from '../../sim/random.ts';
import { VirtualClock } from '../../sim/virtual-clock.ts';
import { RtcOscillator } from '../../sim/world/rtc.ts';
import { SimGnss } from '../../sim/gnss.ts';
import { SimOps243 } from '../../sim/radar-sensor.ts';
import { TrafficModel } from '../../sim/traffic.ts';
import { FakeGpioSysfs, PI_CHIPS, type FakeChipSpec } from './gpio-sysfs.ts';
import { FakeCameraTools } from './camera/index.ts';
import { FakeSysfsTree } from '../card/fake-sysfs.ts';

export interface FakePiWorld {
  lux: number;
  climate: { celsius: number; humidity: number };
  /** The pack in each slot (null = empty slot: the gauge, powered by the cell, does not answer). */
  cells: [GaugedCell | null, GaugedCell | null];
}

export interface FakePi {
  readonly file: BoardFile;
  readonly clock: VirtualClock;
  readonly sysfs: FakeGpioSysfs;
  /** sysfs number of a BCM line (the header chip's base added). */
  gpio(line: number): number;
  readonly cameras: FakeCameraTools;
  readonly card: FakeSysfsTree;
  /** Root the board file's absolute storage paths are placed under. */
  readonly rootDir: string;
  /** The simulated bus behind /dev/i2c-N. */
  readonly buses: ReadonlyMap<number, SimI2cBus>;
  /** Where each board-file I2C part sits (a bus or a multiplexer channel), by board-file path. */
  segmentOf(spec: I2cDeviceSpec): SimI2cSegment;
  readonly oscillator: RtcOscillator;
  readonly world: FakePiWorld;
  /** The far end of each serial device the board opened (the module side), by device path. */
  readonly serial: Map<string, SimByteLink>;
  /** Everything `createLinuxBoard` needs to open these fakes with the default drivers. */
  options(extra?: Partial<LinuxBoardOptions>): LinuxBoardOptions;
  dispose(): Promise<void>;
}

export interface FakePiOptions {
  chips?: FakeChipSpec[];
  startEpochMs?: number;
  /** Leave these I2C parts (by part name) off their bus: unplugged or never fitted. */
  missing?: ReadonlyArray<I2cDeviceSpec['part']>;
  /**
   * Put the modules on the far end of the serial links: a GNSS receiver sending NMEA every
   * second (sim/gnss.ts) and an OPS243 answering its serial API (sim/radar-sensor.ts).
   */
  modules?: boolean;
  /** Serial devices (paths) whose /dev node is missing (a module not plugged in). */
  absentDevices?: readonly string[];
}

export async function createFakePi(file: BoardFile, options: FakePiOptions = {}): Promise<FakePi> {
  const chips = options.chips ?? (file.computer === 'pi5' ? PI_CHIPS.pi5 : PI_CHIPS.pi4Kernel66);
  const base = chips.find((c) => /^pinctrl-(rp1|bcm2711|bcm2835)$/.test(c.label))?.base ?? 0;
  const clock = new VirtualClock({ startEpochMs: options.startEpochMs ?? Date.UTC(2026, 2, 2, 9, 0, 0) });
  const sysfs = new FakeGpioSysfs(chips);
  const cameras = new FakeCameraTools();
  const card = await FakeSysfsTree.create(file.card?.device ?? 'mmcblk0', (file.storage.card || '/media/card').replace(/^\/+/, ''));
  const rootDir = card.root;
  fs.mkdirSync(path.join(rootDir, file.storage.internal), { recursive: true });

  // The board's pull-ups, as config.txt `gpio=…=ip,pu` sets them at boot.
  for (const pin of listPins(file)) if (pin.direction === 'in' && pin.pull === 'up') sysfs.drive(base + pin.line, 1);

  const world: FakePiWorld = {
    lux: 250,
    climate: { celsius: 21.5, humidity: 40 },
    cells: [
      { voltage: 3.95, socPercent: 82, ratePercentPerHour: -9, insertion: 1 },
      { voltage: 3.81, socPercent: 64, ratePercentPerHour: 0, insertion: 1 },
    ],
  };
  const oscillator = new RtcOscillator({ clock, driftPpm: 1.2, initialErrorMs: 0 });
  const buses = new Map<number, SimI2cBus>();
  const muxes = new Map<string, Tca9548aModel>();
  const missing = new Set(options.missing ?? []);
  const model = (spec: I2cDeviceSpec): I2cTarget => {
    switch (spec.part) {
      case 'veml7700':
        return new Veml7700Model({ clock, lux: () => world.lux, seed: 7 });
      case 'bh1750':
        return new Bh1750Model({ clock, lux: () => world.lux, seed: 8 });
      case 'ds3231':
        return new Ds3231Model({ clock, oscillator });
      case 'sht31':
        return new Sht31Model({ clock, climate: () => world.climate, seed: 9 });
      case 'max17048': {
        const slot = spec.slot ?? 0;
        return new Max17048Model({ clock, cell: () => world.cells[slot] });
      }
      case 'tca9548a':
        return new Tca9548aModel(`tca9548a ${spec.path}`);
    }
  };
  const segments = new Map<string, SimI2cSegment>();
  for (const b of file.i2c) {
    const bus = new SimI2cBus({ id: `/dev/i2c-${b.bus}`, clock, random: new SeededRandom(100 + b.bus) });
    buses.set(b.bus, bus);
    for (const d of b.devices.filter((x) => x.part === 'tca9548a')) {
      const mux = model(d) as Tca9548aModel;
      muxes.set(`${b.bus}/${d.address}`, mux);
      segments.set(d.path, bus);
      if (!missing.has(d.part)) bus.attach(d.address, mux);
    }
    for (const d of b.devices.filter((x) => x.part !== 'tca9548a')) {
      const segment = d.mux ? muxes.get(`${b.bus}/${d.mux.address}`)!.channel(d.mux.channel) : bus;
      segments.set(d.path, segment);
      if (!missing.has(d.part)) segment.attach(d.address, model(d));
    }
  }

  // The serial device nodes: /dev/null stands in for a character device.
  for (const spec of Object.values(file.serial)) {
    if (!spec || options.absentDevices?.includes(spec.device)) continue;
    const node = path.join(rootDir, spec.device);
    fs.mkdirSync(path.dirname(node), { recursive: true });
    fs.symlinkSync('/dev/null', node);
  }

  const serial = new Map<string, SimByteLink>();
  const modules: Array<{ close(): Promise<void> }> = [];
  const openSerial = async (ctx: SerialContext): Promise<ByteLink> => {
    const [device, module] = createLinkPair({ name: ctx.serial.device });
    serial.set(ctx.serial.device, module);
    if (options.modules && ctx.serial.device === file.serial.gnss?.device) {
      modules.push(new SimGnss({ link: module, clock, random: new SeededRandom(31), latitude: 43.2389, longitude: 76.8897 }));
    }
    if (options.modules && ctx.serial.device === file.serial.radar?.device) {
      const random = new SeededRandom(37);
      const traffic = new TrafficModel({ random, lanes: [{ lane: 1, direction: 'inbound', flowPerHour: 600, meanSpeedKmh: 60, sdSpeedKmh: 8 }] });
      modules.push(new SimOps243({ link: module, clock, random, traffic, lane: 1, mountingAngleDeg: 20 }));
    }
    return device;
  };

  return {
    file,
    clock,
    sysfs,
    gpio: (line) => base + line,
    cameras,
    card,
    rootDir,
    buses,
    segmentOf: (spec) => segments.get(spec.path)!,
    oscillator,
    world,
    serial,
    options: (extra = {}) => ({
      clock,
      rootDir,
      sysfsGpioRoot: sysfs.root,
      onoff: sysfs.loadOnoff(),
      env: cameras.env(),
      i2cOpen: async (n) => {
        const bus = buses.get(n);
        if (!bus) throw Object.assign(new Error(`ENOENT: no such file or directory, open '/dev/i2c-${n}'`), { code: 'ENOENT' });
        return toPromisifiedBus(bus);
      },
      sysfsRoot: card.sysfsRoot,
      mountsFile: card.mountsFile,
      openSerial,
      ...extra,
    }),
    dispose: async () => {
      await Promise.allSettled(modules.map((m) => m.close()));
      sysfs.dispose();
      cameras.dispose();
      await card.cleanup();
    },
  };
}
