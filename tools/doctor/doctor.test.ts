/**
 * `dozor doctor` on real-board targets made of fakes (test/fakes/fake-pi.ts): the real drivers,
 * the real Linux target and the CLI code path, with one part broken at a time.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { parseBoardFile, type BoardFile } from '../../hal/board-file.ts';
import type { Board } from '../../hal/board.ts';
import type { VirtualClock } from '../../sim/virtual-clock.ts';
import { drive } from '../../sim/drive.ts';
import { createFakePi, type FakePi, type FakePiOptions } from '../../test/fakes/fake-pi.ts';
import { CameraPacer } from '../../test/fakes/camera/paced.ts';
import { REAL_CARDS } from '../../test/fixtures/real-sd-cids.ts';
import { main } from '../cli.ts';
import { doctorCommand, type DoctorCliDeps } from '../cli/doctor.ts';
import { createLinuxDoctorTarget } from './linux-target.ts';
import { runDoctor } from './engine.ts';
import { probeI2cBus } from './i2c-probe.ts';
import type { CheckResult, DoctorTarget } from './target.ts';

const boardsDir = path.resolve(import.meta.dirname, '../../boards');
const BODYCAM = 'boards/bodycam-pi4-proto-b.yaml';
const load = (name: string): BoardFile => parseBoardFile(fs.readFileSync(path.join(boardsDir, name), 'utf8'), name);

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

const hop = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * Settles `work` on the fake Pi's virtual clock, one due event at a time; while the camera runs,
 * the clock only moves as far as the fake rpicam-vid has produced video (CameraPacer).
 */
async function pacedDrive<T>(clock: VirtualClock, pacer: () => CameraPacer | null, inflight: Set<Promise<unknown>>, work: Promise<T>): Promise<T> {
  let settled = false;
  work.then(
    () => (settled = true),
    () => (settled = true),
  );
  await hop();
  while (!settled) {
    // Real file reads (the card slot's sysfs) finish before virtual time moves on.
    while (inflight.size) await Promise.allSettled([...inflight]);
    if (settled) break;
    const due = clock.nextDue();
    if (due === undefined) {
      await hop();
      continue;
    }
    const p = pacer();
    if (p) await p.advance(due - clock.monotonic());
    else await clock.runUntil(due);
  }
  return work;
}

interface Rig {
  pi: FakePi;
  target: DoctorTarget;
}

/** The body camera prototype on fakes, in working order: packs in, card in, seal closed, modules answering. */
async function rig(options: FakePiOptions = {}, prepare?: (pi: FakePi) => Promise<void> | void, file = load('bodycam-pi4-proto-b.yaml')): Promise<Rig> {
  const pi = await createFakePi(file, { modules: true, ...options });
  cleanups.push(() => pi.dispose());
  await pi.card.insert({ label: 'evidence', cid: REAL_CARDS[1].cid });
  pi.sysfs.drive(pi.gpio(25), 0); // the seal closed
  for (const line of [4, 5]) pi.sysfs.drive(pi.gpio(line), 0); // both packs in their bays
  pi.sysfs.drive(pi.gpio(18), 0); // pack A feeds
  await prepare?.(pi);
  let pacer: CameraPacer | null = null;
  const inflight = new Set<Promise<unknown>>();
  const track = <T>(p: Promise<T>): Promise<T> => {
    inflight.add(p);
    const done = () => inflight.delete(p);
    p.then(done, done);
    return p;
  };
  const linux = createLinuxDoctorTarget({
    ...pi.options(),
    file,
    source: BODYCAM,
    run: (work) => pacedDrive(pi.clock, () => pacer, inflight, work),
    videoOptions: { width: 160, height: 120, fps: 10, bitrate: 100_000, keyframeInterval: 10 },
  });
  const target: DoctorTarget = {
    ...linux,
    openBoard: async (): Promise<Board> => {
      const board = await linux.openBoard();
      pacer = new CameraPacer(board.camera, pi.clock);
      // The card slot reads sysfs files: real I/O the virtual clock must wait for.
      const card = Object.create(board.card, { status: { value: () => track(board.card.status()) } }) as Board['card'];
      return { ...board, camera: pacer.camera, card, close: () => board.close() };
    },
  };
  cleanups.push(() => target.close());
  return { pi, target };
}

const row = (rows: CheckResult[], id: string) => {
  const r = rows.find((x) => x.id === id);
  if (!r) throw new Error(`no row ${id} in ${rows.map((x) => x.id).join(', ')}`);
  return r;
};

/** Runs the CLI path (doctorCommand) on a prepared target; returns the exit code and the output. */
async function cli(target: DoctorTarget, flags: { outputs?: boolean; json?: boolean } = {}): Promise<{ code: number; out: string }> {
  let out = '';
  const deps: DoctorCliDeps = { linux: () => target };
  const code = await doctorCommand({ board: path.join(boardsDir, 'bodycam-pi4-proto-b.yaml'), ...flags }, deps, (t) => (out += t));
  return { code, out };
}

describe('dozor doctor on a real board (the body camera prototype over fakes of its kernel interfaces)', () => {
  it('R-TIME-1, R-REC-1: every part answers: the table passes every check and the exit code is 0', async () => {
    const { target } = await rig();
    const { code, out } = await cli(target);
    expect(out).toMatch(/^dozor doctor: dozor-bodycam-proto-b \(Raspberry Pi 4 B, .*\) — boards\/bodycam-pi4-proto-b\.yaml\n/);
    expect(out).not.toContain('FAIL  ');
    expect(out).toMatch(/\n\d+ passed, 0 failed, \d+ skipped: OK\n$/);
    expect(code).toBe(0);
    for (const line of [
      /PASS {2}board file +boards\/bodycam-pi4-proto-b\.yaml is valid: bodycam on raspberry-pi \(pi4\), 6 I2C parts on 1 bus, 22 GPIO lines, 2 serial devices, 1 camera/,
      /PASS {2}I2C \/dev\/i2c-1: light sensor \(veml7700 at 0x10\) +answers: ALS_CONF 0x[0-9a-f]{4}/,
      /PASS {2}I2C \/dev\/i2c-1: climate sensor \(sht31 at 0x44\) +answers: status 0x8010, CRC ok/,
      /PASS {2}I2C \/dev\/i2c-1: real-time clock \(ds3231 at 0x68\) +answers: status 0x[0-7][0-9a-f]/,
      /PASS {2}I2C \/dev\/i2c-1: fuel gauge, battery B \(max17048 at 0x36 behind 0x70 channel 1\) +answers: VERSION 0x0012/,
      /PASS {2}I2C \/dev\/i2c-1: scan for unknown devices +receive-byte answers from 0x10 0x68 0x70; nothing the board file does not list/,
      /PASS {2}light sensor +2\d\d lx/,
      /PASS {2}fuel gauge, battery A +3\.9\d\d V, 8[12]\.\d %/,
      /PASS {2}real-time clock +2026-03-02T09:0\d:\d\d\.000Z, oscillator ran throughout, die \d+\.\d\d °C; [+-]\d\.\d s against this computer's clock/,
      /PASS {2}climate sensor +21\.\d °C, 40\.\d %RH, CRC-8 ok/,
      /PASS {2}card slot +CID 035344534e35313280fff7b17b015700 — manufacturer 0x03 "SD", "SN512" rev 8\.0, serial 0xfff7b17b, 2021-07; seal closed/,
      /PASS {2}camera \(one GOP\) +10 frames 160×120 in \d+ KiB, starts with SPS\/PPS \+ IDR/,
      /PASS {2}buttons at rest +record, marker, pause, power released/,
      /PASS {2}charger and dock contact +not docked, no external power, not charging/,
      /PASS {2}power path +pack A feeds the device/,
      /PASS {2}GNSS +\d+ sentences in 3 s, no satellite fix yet/,
      /skip {2}dock link +no dock link on this board \(or no driver in this build\)/,
      /skip {2}LEDs, buzzer, motor, IR ring, IR-cut +not exercised; run with --outputs/,
      /PASS {2}serial device for gnss \(\/dev\/serial0\) +present \(character device\), 9600 baud/,
    ]) {
      expect(out).toMatch(line);
    }
  });

  it('R-REC-5: a missing light sensor is named twice — no I2C answer, no reading — and the exit code is 1', async () => {
    const { target } = await rig({ missing: ['veml7700'] });
    const { code, out } = await cli(target);
    expect(code).toBe(1);
    expect(out).toMatch(/FAIL {2}I2C \/dev\/i2c-1: light sensor \(veml7700 at 0x10\) +no answer at 0x10: not fitted, wrong address strap, no power, or SDA\/SCL swapped/);
    expect(out).toMatch(/FAIL {2}light sensor +light sensor: no answer at 0x10 on \/dev\/i2c-1/);
    expect(out).toMatch(/\d+ passed, 2 failed, \d+ skipped: FAILED \(I2C \/dev\/i2c-1: light sensor \(veml7700 at 0x10\); light sensor\)\n$/);
    // Everything else was still checked.
    expect(out).toMatch(/PASS {2}climate sensor/);
    expect(out).toMatch(/PASS {2}camera \(one GOP\)/);
  });

  it('R-TIME-1: a DS3231 whose oscillator stopped fails: its time is not trustworthy', async () => {
    const { target } = await rig({}, (pi) => {
      pi.oscillator.stop();
      pi.oscillator.start();
    });
    const report = await runDoctor(target);
    expect(report.ok).toBe(false);
    expect(row(report.rows, 'rtc')).toMatchObject({ status: 'fail', detail: expect.stringMatching(/^oscillator-stop flag set: the time \(.*\) is not trustworthy until an authorised time set \(R-TIME-1\); check the coin cell/) });
    expect(row(report.rows, 'i2c /dev/i2c-1 0x68').detail).toMatch(/\(OSF set\)$/);
  });

  it('R-PWR-1: an empty battery bay is skipped with its reason, not failed', async () => {
    const { target } = await rig({}, (pi) => {
      pi.world.cells[1] = null;
    });
    const report = await runDoctor(target);
    expect(row(report.rows, 'i2c /dev/i2c-1 0x70:1/0x36')).toMatchObject({ status: 'skip', detail: 'no answer at 0x36: no pack in the slot? (the gauge runs from its cell)' });
    expect(row(report.rows, 'battery B')).toMatchObject({ status: 'skip', detail: 'no pack in the slot (the gauge runs from its cell)' });
    expect(report.ok).toBe(true);
  });

  it('names a stuck button, a missing serial device and an absent card', async () => {
    const { target } = await rig({ absentDevices: ['/dev/serial0'] }, async (pi) => {
      pi.sysfs.drive(pi.gpio(27), 0); // marker held down (or activeLow wrong)
      await pi.card.remove();
    });
    const report = await runDoctor(target);
    expect(row(report.rows, 'buttons')).toMatchObject({ status: 'fail', detail: 'marker reads pressed with nobody touching: a stuck button, or activeLow/pull wrong in the board file' });
    expect(row(report.rows, 'serial gnss')).toMatchObject({ status: 'fail', detail: expect.stringMatching(/^\/dev\/serial0 does not exist: module not plugged in/) });
    expect(row(report.rows, 'card')).toMatchObject({ status: 'fail', detail: 'no card in the slot (seal closed)' });
    expect(report.summary.fail).toBe(3);
  });

  it('R-PWR-2: --outputs blinks and beeps every output, pulses the IR ring and moves the IR-cut filter', async () => {
    const { pi, target } = await rig();
    const { code, out } = await cli(target, { outputs: true, json: true });
    expect(code).toBe(0);
    const report = JSON.parse(out) as { rows: CheckResult[]; ok: boolean; summary: Record<string, number> };
    expect(report.ok).toBe(true);
    for (const o of ['led-red', 'led-green', 'led-amber', 'buzzer', 'vibration']) expect(row(report.rows, `output ${o}`).status).toBe('pass');
    expect(row(report.rows, 'output ir-cut')).toMatchObject({ status: 'pass', detail: 'moved to night and back to day (two clicks)' });
    // The LEDs really toggled on their lines: three "on" writes each.
    const ons = (line: number) => pi.sysfs.writes.filter((w) => w === `gpio${pi.gpio(line)}/value=1`).length;
    expect([16, 20, 21, 12, 26].map(ons)).toEqual([3, 3, 3, 3, 3]);
    expect(pi.sysfs.writes).toContain(`gpio${pi.gpio(13)}/value=1`); // IR ring
  });

  it('checks the radar prototype: its OPS243 answers, both gauges behind the multiplexer', async () => {
    const file = load('radar-pi5-proto-a.yaml');
    const { target } = await rig({}, undefined, file);
    const report = await runDoctor(target);
    expect(row(report.rows, 'radar')).toMatchObject({ status: 'pass', detail: 'answered the configuration and its unit query (km/h)' });
    expect(row(report.rows, 'i2c /dev/i2c-1 0x23').status).toBe('pass');
    expect(row(report.rows, 'i2c /dev/i2c-1 0x70:0/0x36').status).toBe('pass');
    expect(report.rows.filter((r) => r.status === 'fail')).toEqual([]);
  });

  it('a bus that is not there (i2c_arm off) is one failed row, its parts skipped', async () => {
    const enoent = () => Promise.reject(Object.assign(new Error("ENOENT: no such file or directory, open '/dev/i2c-1'"), { code: 'ENOENT' }));
    // i2c-bus opens /dev/i2c-N lazily: every transfer fails with ENOENT, its scan() finds nothing.
    const missingBus = new Proxy({}, { get: (_t, prop) => (prop === 'then' ? undefined : prop === 'scan' ? async () => [] : prop === 'close' ? async () => {} : enoent) });
    const pi = await createFakePi(load('bodycam-pi4-proto-b.yaml'));
    cleanups.push(() => pi.dispose());
    const target = createLinuxDoctorTarget({ ...pi.options({ i2cOpen: async () => missingBus as never }), file: pi.file, source: BODYCAM });
    cleanups.push(() => target.close());
    const [bus] = await target.i2cBuses();
    const rows = await probeI2cBus(bus);
    expect(rows[0]).toEqual({ id: 'i2c /dev/i2c-1', part: 'I2C /dev/i2c-1', status: 'fail', detail: '/dev/i2c-1: no such I2C bus (enable it: dtparam=i2c_arm=on for bus 1, an i2cN overlay for others)' });
    expect(rows.slice(1).map((r) => [r.status, r.detail])).toEqual(Array(6).fill(['skip', 'the bus is not there']));
  });

  it('a part whose line an overlay holds fails its own row; the rest of the board is still checked', async () => {
    const { target } = await rig({}, (pi) => {
      pi.sysfs.kernelClaimed.add(pi.gpio(17)); // an overlay holds the record button's line
    });
    const report = await runDoctor(target);
    expect(row(report.rows, 'board').status).toBe('pass');
    expect(row(report.rows, 'buttons')).toEqual({
      id: 'buttons',
      part: 'buttons at rest',
      status: 'fail',
      detail: 'failed to open: GPIO 17 (sysfs gpio529 on pinctrl-bcm2711): line is in use (a device-tree overlay or another process holds it)',
    });
    expect(row(report.rows, 'light').status).toBe('pass');
    expect(report.summary.fail).toBe(1);
  });

  it('a board whose GPIO cannot be had fails one row and still reports the I2C parts', async () => {
    const pi = await createFakePi(load('bodycam-pi4-proto-b.yaml'));
    cleanups.push(() => pi.dispose());
    const target = createLinuxDoctorTarget({ ...pi.options({ sysfsGpioRoot: '/nonexistent/gpio', env: { PATH: '/nonexistent' } }), file: pi.file, source: BODYCAM, run: (w) => drive(pi.clock, w) });
    cleanups.push(() => target.close());
    const report = await runDoctor(target);
    expect(row(report.rows, 'board')).toMatchObject({ status: 'fail', detail: expect.stringMatching(/^does not open: GPIO: /) });
    expect(row(report.rows, 'i2c /dev/i2c-1 0x10').status).toBe('pass');
    expect(report.rows.some((r) => r.id === 'light')).toBe(false);
  });
});

describe('dozor doctor command line', () => {
  async function runCli(...args: string[]): Promise<{ code: number; out: string; err: string }> {
    let out = '';
    let err = '';
    const o = vi.spyOn(process.stdout, 'write').mockImplementation((s: string | Uint8Array) => ((out += String(s)), true));
    const e = vi.spyOn(process.stderr, 'write').mockImplementation((s: string | Uint8Array) => ((err += String(s)), true));
    try {
      return { code: await main(['node', 'dozor', 'doctor', ...args]), out, err };
    } finally {
      o.mockRestore();
      e.mockRestore();
      process.exitCode = undefined;
    }
  }

  it('an invalid board file is reported as failed checks, one per problem, with exit code 1', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dozor-doctor-'));
    cleanups.push(() => fs.rmSync(dir, { recursive: true, force: true }));
    const file = path.join(dir, 'bad.yaml');
    fs.writeFileSync(file, fs.readFileSync(path.join(boardsDir, 'bodycam-pi4-proto-b.yaml'), 'utf8').replace('buzzer: 12', 'buzzer: 17'));
    const { code, out } = await runCli('--board', file, '--json');
    expect(code).toBe(1);
    expect(JSON.parse(out).rows).toEqual([{ id: 'board file', part: 'board file: pins.buzzer', status: 'fail', detail: 'BCM 17 is already used by pins.buttons.record' }]);
  });

  it('refuses what it cannot do with exit code 2: an unreadable file, sim options on a board file, --board sim before the simulator provides it', async () => {
    expect((await runCli('--board', '/nonexistent/board.yaml')).code).toBe(2);
    const wrong = await runCli('--board', path.join(boardsDir, 'bodycam-pi4-proto-b.yaml'), '--fault', 'light');
    expect(wrong.code).toBe(2);
    expect(wrong.err).toContain('--variant and --fault apply to --board sim only');
    const sim = await runCli('--board', 'sim', '--fault', 'light');
    expect(sim.code).toBe(2);
    expect(sim.err).toContain('--board sim: the simulated board is not part of this build yet');
  });

  it('hands --board sim, the variant and the faults to the simulator target', async () => {
    const seen: unknown[] = [];
    const target: DoctorTarget = {
      label: 'stand-in for the simulated board',
      clock: { wallTime: () => 0 } as never,
      run: (w) => w,
      i2cBuses: async () => [],
      openBoard: async () => {
        throw new Error('simulated board refused to open');
      },
      close: async () => {},
    };
    const code = await doctorCommand({ board: 'sim', variant: 'radar', fault: ['light', 'rtc'] }, { linux: () => target, sim: (req) => (seen.push(req), target) }, () => {});
    expect(seen).toEqual([{ variant: 'radar', faults: ['light', 'rtc'] }]);
    expect(code).toBe(1);
  });
});
