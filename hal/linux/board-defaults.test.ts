/**
 * `createLinuxBoard` with its default drivers (hal/linux/factories.ts) on a whole fake Pi: every
 * part is the real driver over a faithful fake of its kernel interface, wired by the example
 * board files.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { firstValueFrom, take, toArray } from 'rxjs';
import { parseBoardFile, type BoardFile } from '../board-file.ts';
import type { Board } from '../board.ts';
import type { ButtonEvent } from '../buttons.ts';
import { DeviceNotFoundError, InvalidOptionsError } from '../errors.ts';
import { drive } from '../../sim/drive.ts';
import { createFakePi, type FakePi } from '../../test/fakes/fake-pi.ts';
import { REAL_CARDS } from '../../test/fixtures/real-sd-cids.ts';
import { createLinuxBoard, MissingDriverError } from './board.ts';
import { linuxDriverFactories } from './factories.ts';
import { isAbsent } from './absent.ts';
import { Veml7700 } from '../drivers/veml7700.ts';
import { Bh1750 } from '../drivers/bh1750.ts';
import { Max17048 } from '../drivers/max17048.ts';
import { Ds3231 } from '../drivers/ds3231.ts';
import { Sht31 } from '../drivers/sht31.ts';
import { GpioIndicators } from '../drivers/gpio-indicators.ts';
import { HBridgeIrCut } from '../drivers/ircut-hbridge.ts';
import { GpioIrLight } from '../drivers/gpio-ir-light.ts';
import { GpioCharger } from '../drivers/gpio-charger.ts';
import { GpioPowerPath } from '../drivers/gpio-power-path.ts';
import { NmeaGnss } from '../drivers/nmea-gnss.ts';
import { Ops243Radar } from '../drivers/ops243.ts';
import { nmeaSentence } from '../drivers/nmea.ts';
import { SysfsCardSlot } from './sysfs-card-slot.ts';
import { SerialLink } from './serial-link.ts';
import { VirtualClock } from '../../sim/virtual-clock.ts';
import { openPtyPair } from '../../test/pty-pair.ts';

const boardsDir = path.resolve(import.meta.dirname, '../../boards');
const loadBoard = (name: string): BoardFile => parseBoardFile(fs.readFileSync(path.join(boardsDir, name), 'utf8'), name);

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

async function fakePi(file: BoardFile, options?: Parameters<typeof createFakePi>[1]): Promise<FakePi> {
  const pi = await createFakePi(file, options);
  cleanups.push(() => pi.dispose());
  return pi;
}

async function open(pi: FakePi, extra: Parameters<FakePi['options']>[0] = {}): Promise<Board> {
  const board = await createLinuxBoard(pi.file, pi.options(extra));
  cleanups.push(() => board.close());
  return board;
}

describe('createLinuxBoard with the default drivers', () => {
  it('R-REC-5, R-PWR-1, R-TIME-1: the Pi 4 body camera runs every part on its real driver over the fakes', async () => {
    const file = loadBoard('bodycam-pi4-proto-b.yaml');
    const pi = await fakePi(file);
    // The dock port's driver comes with the dock protocol; until then it is a named stand-in.
    const board = await open(pi, { allowMissingDrivers: true });

    // I2C: chip drivers over LinuxI2cBus, the gauges behind the TCA9548A.
    expect(board.light).toBeInstanceOf(Veml7700);
    expect(board.batteries[0]).toBeInstanceOf(Max17048);
    expect(board.rtc).toBeInstanceOf(Ds3231);
    expect(board.climate).toBeInstanceOf(Sht31);
    const light = await drive(pi.clock, board.light.read());
    expect(light.lux).toBeGreaterThan(225);
    expect(light.lux).toBeLessThan(275);
    const [a, b] = await drive(pi.clock, Promise.all([board.batteries[0].read(), board.batteries[1].read()]));
    expect([a.present, a.voltage, a.socPercent]).toEqual([true, expect.closeTo(3.95, 3), expect.closeTo(82, 1)]);
    expect([b.present, b.voltage, b.socPercent]).toEqual([true, expect.closeTo(3.81, 3), expect.closeTo(64, 1)]);
    const climate = await drive(pi.clock, board.climate.read());
    expect(climate.celsius).toBeCloseTo(21.5, 0);
    const rtc = await drive(pi.clock, board.rtc.read());
    expect(rtc.oscillatorStopped).toBe(false);

    // GPIO: buttons (two debounce groups: 20 ms and the power button's 50 ms), indicators, IR.
    const events: ButtonEvent[] = [];
    board.buttons.events$.subscribe((e) => events.push(e));
    for (const [button, line, ms] of [['record', 17, 20], ['power', 6, 50]] as const) {
      const t0 = pi.clock.monotonic();
      pi.sysfs.drive(pi.gpio(line), 0);
      await pi.sysfs.flush();
      await pi.clock.runFor(ms + 5);
      expect(events.at(-1)).toEqual({ button, action: 'press', at: t0 + ms });
      expect(board.buttons.isPressed(button)).toBe(true);
      pi.sysfs.drive(pi.gpio(line), 1);
      await pi.sysfs.flush();
      await pi.clock.runFor(ms + 5);
    }
    expect(events.map((e) => `${e.button}:${e.action}`)).toEqual(['record:press', 'record:release', 'power:press', 'power:release']);

    expect(board.indicators).toBeInstanceOf(GpioIndicators);
    await board.indicators.set('led-amber', true);
    expect(pi.sysfs.physical(pi.gpio(21))).toBe(1);
    expect(board.irCut).toBeInstanceOf(HBridgeIrCut);
    const night = board.irCut.set('night');
    await pi.clock.runFor(1);
    // Night drives bridge input a (BCM 23), not b.
    expect([pi.sysfs.physical(pi.gpio(23)), pi.sysfs.physical(pi.gpio(24))]).toEqual([1, 0]);
    await pi.clock.runFor(100);
    await night;
    expect(board.irCut.position).toBe('night');
    expect(board.irLight).toBeInstanceOf(GpioIrLight);
    await board.irLight.set(1);
    expect(pi.sysfs.physical(pi.gpio(13))).toBe(1);

    // Charger and power path read their status pins (active-low, pulled up: all idle).
    expect(board.charger).toBeInstanceOf(GpioCharger);
    expect(await board.charger.read()).toEqual({ docked: false, externalPower: false, charging: [false, false] });
    pi.sysfs.drive(pi.gpio(7), 0); // dropped into the dock
    await pi.sysfs.flush();
    await pi.clock.runFor(60);
    expect((await board.charger.read()).docked).toBe(true);
    expect(board.powerPath).toBeInstanceOf(GpioPowerPath);
    for (const line of [4, 5]) pi.sysfs.drive(pi.gpio(line), 0); // both packs in their bays
    pi.sysfs.drive(pi.gpio(19), 0); // STAT2: pack B feeds
    expect(await board.powerPath.active()).toBe(1);
    await board.powerPath.select(1);
    expect(pi.sysfs.physical(pi.gpio(11))).toBe(1);

    // The card slot reads the CID from sysfs; the seal switch on BCM 25 closes to ground.
    expect(board.card).toBeInstanceOf(SysfsCardSlot);
    await pi.card.insert({ label: 'evidence', cid: REAL_CARDS[0].cid });
    expect(await board.card.status()).toEqual({ present: true, cid: REAL_CARDS[0].cid, sealClosed: false });
    pi.sysfs.drive(pi.gpio(25), 0);
    await pi.sysfs.flush();
    await pi.clock.runFor(25);
    expect((await board.card.status()).sealClosed).toBe(true);

    // GNSS over the serial link the transport opened for /dev/serial0.
    expect(board.gnss).toBeInstanceOf(NmeaGnss);
    const fix = firstValueFrom(board.gnss!.fixes$);
    const nmea = [nmeaSentence('GPGGA,123519,4807.038,N,01131.000,E,1,08,0.9,545.4,M,46.9,M,,'), nmeaSentence('GPRMC,123519,A,4807.038,N,01131.000,E,022.4,084.4,230394,003.1,W')];
    await pi.serial.get('/dev/serial0')!.write(new TextEncoder().encode(nmea.map((s) => `${s}\r\n`).join('')));
    expect((await fix).valid).toBe(true);
    expect(isAbsent(board.dockPort) || board.dockPort === null).toBe(true);

    // Camera: one GOP from the fake rpicam-vid.
    const gop = await firstValueFrom(board.camera.video({ width: 320, height: 240, fps: 30, bitrate: 500_000, keyframeInterval: 15 }));
    expect(gop.frames).toBe(15);

    await board.close();
    for (const line of [17, 6, 21, 23, 24, 13, 7, 4, 5, 19, 11, 25]) expect(pi.sysfs.isExported(pi.gpio(line)), `BCM ${line} released`).toBe(false);
  });

  it('reaches the Pi 5 radar parts: BH1750, SHT31 at 0x45, both gauges behind the multiplexer, the OPS243 on its serial link', async () => {
    const pi = await fakePi(loadBoard('radar-pi5-proto-a.yaml'));
    pi.world.cells[1] = null; // slot B empty: its gauge, powered by the cell, does not answer
    const board = await open(pi);
    expect(board.light).toBeInstanceOf(Bh1750);
    expect((await drive(pi.clock, board.climate.read())).humidity).toBeCloseTo(40, 0);
    const [a, b] = await drive(pi.clock, Promise.all([board.batteries[0].read(), board.batteries[1].read()]));
    expect(a.present).toBe(true);
    expect(b.present).toBe(false);
    expect(board.radar).toBeInstanceOf(Ops243Radar);
    expect(pi.serial.has('/dev/ttyACM0')).toBe(true);
    // No dock contact on the radar: the charger reads it as not docked, power good still counts.
    pi.sysfs.drive(pi.gpio(8), 0);
    await pi.sysfs.flush();
    await pi.clock.runFor(20);
    expect(await board.charger.read()).toEqual({ docked: false, externalPower: true, charging: [false, false] });
  });

  it('names the parts that still lack a driver: without a serial transport, GNSS and the dock port', async () => {
    const pi = await fakePi(loadBoard('bodycam-pi4-proto-b.yaml'));
    const err = await createLinuxBoard(pi.file, pi.options({ openSerial: null })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MissingDriverError);
    expect((err as MissingDriverError).missing).toEqual(['GNSS (/dev/serial0)', 'dock port (/dev/ttyGS0)']);
    expect(pi.sysfs.writes).toEqual([]);
  });

  it('refuses wiring its drivers cannot drive, before claiming a line', async () => {
    const raw = fs.readFileSync(path.join(boardsDir, 'bodycam-pi4-proto-b.yaml'), 'utf8');
    const file = parseBoardFile(raw.replace('irCut: { a: 23, b: 24, pulseMs: 100 }', 'irCut: { a: { line: 23, activeLow: true }, b: 24, pulseMs: 100 }'), 'odd.yaml');
    const pi = await fakePi(file);
    const err = await createLinuxBoard(file, pi.options({ allowMissingDrivers: true })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InvalidOptionsError);
    expect((err as Error).message).toBe('IR-cut filter: pins.irCut.a is active-low but pins.irCut.b is not; the driver drives these lines with one polarity');
    expect(pi.sysfs.isExported(pi.gpio(17))).toBe(false);
    const noSeal = parseBoardFile(raw.replace(/ {2}sealSwitch:.*\n/, ''), 'no-seal.yaml');
    const pi2 = await fakePi(noSeal);
    await expect(createLinuxBoard(noSeal, pi2.options({ allowMissingDrivers: true }))).rejects.toThrow('card slot: the board file has a card but no pins.sealSwitch');
  });

  it('validates its own options', () => {
    expect(() => linuxDriverFactories(null as never)).toThrow(InvalidOptionsError);
    expect(() => linuxDriverFactories({ openSerial: 'yes' as never })).toThrow(InvalidOptionsError);
    expect(Object.keys(linuxDriverFactories({ openSerial: null }))).not.toContain('gnss');
    expect(Object.keys(linuxDriverFactories())).toEqual(expect.arrayContaining(['gnss', 'radar']));
  });

  it('by default opens the serial port itself: NMEA written into a pty reaches the GNSS driver', async () => {
    const pty = await openPtyPair();
    cleanups.push(() => pty.close());
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'dozor-serial-board-'));
    cleanups.push(() => fs.rmSync(root, { recursive: true, force: true }));
    const file = parseBoardFile(
      ['name: serial-only', 'variant: bodycam', 'platform: raspberry-pi', `serial: { gnss: { device: ${pty.a}, baud: 9600 } }`, 'storage: { internal: /int, card: /card }'].join('\n'),
      'serial-only.yaml',
    );
    const board = await createLinuxBoard(file, { clock: new VirtualClock({ startEpochMs: 0 }), rootDir: root, allowMissingDrivers: true });
    cleanups.push(() => board.close());
    expect(board.gnss).toBeInstanceOf(NmeaGnss);
    const fix = firstValueFrom(board.gnss!.fixes$);
    const far = await SerialLink.open({ path: pty.b, baudRate: 9600 });
    cleanups.push(() => far.close());
    const nmea = [nmeaSentence('GPGGA,123519,4807.038,N,01131.000,E,1,08,0.9,545.4,M,46.9,M,,'), nmeaSentence('GPRMC,123519,A,4807.038,N,01131.000,E,022.4,084.4,230394,003.1,W')];
    await far.write(new TextEncoder().encode(nmea.map((l) => `${l}\r\n`).join('')));
    expect(await fix).toMatchObject({ valid: true, latitude: expect.closeTo(48.1173, 4) });
  });

  it('bring-up: with isolateFailures a serial module that is not there is a failing stand-in, the rest opens', async () => {
    const pi = await fakePi(loadBoard('radar-pi5-proto-a.yaml'));
    const unplugged = async () => {
      throw new DeviceNotFoundError('/dev/ttyACM0', 'no such serial device');
    };
    await expect(createLinuxBoard(pi.file, pi.options({ openSerial: unplugged }))).rejects.toBeInstanceOf(DeviceNotFoundError);
    const board = await open(pi, { openSerial: unplugged, isolateFailures: true });
    expect(isAbsent(board.radar)).toBe(true);
    expect(board.radar).toMatchObject({ failed: true, reason: 'failed to open: /dev/ttyACM0: no such serial device' });
    await expect(board.radar!.configure({ directions: 'both', minSpeedKmh: 0 })).rejects.toBeInstanceOf(DeviceNotFoundError);
    expect(board.light).toBeInstanceOf(Bh1750);
  });

  it('gives a camera GOP a continuous pts from the fake rpicam-vid (smoke test of the default camera)', async () => {
    const pi = await fakePi(loadBoard('radar-pi5-proto-a.yaml'));
    const board = await open(pi);
    const gops = await firstValueFrom(board.camera.video({ width: 160, height: 120, fps: 10, bitrate: 100_000, keyframeInterval: 5 }).pipe(take(2), toArray()));
    expect(gops.map((g) => g.durationMs)).toEqual([500, 500]);
  });
});
