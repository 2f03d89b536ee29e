/**
 * The doctor's target for a real prototype: the board file says which I2C parts sit where
 * (probed before the board opens), `createLinuxBoard` opens every part on its real driver —
 * with stand-ins naming a part whose driver this build lacks, so the rest is still checked —
 * and the serial devices the file names are looked for in /dev.
 */
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import type { Board } from '../../hal/board.ts';
import type { VideoOptions } from '../../hal/camera.ts';
import { PART_ROLE, listPins, type BoardFile } from '../../hal/board-file.ts';
import { createLinuxBoard, type LinuxBoardOptions } from '../../hal/linux/board.ts';
import { LinuxI2cBus } from '../../hal/linux/i2c-bus.ts';
import type { CheckResult, DoctorI2cBus, DoctorTarget, ExpectedI2cPart } from './target.ts';

export interface LinuxDoctorTargetOptions extends Omit<LinuxBoardOptions, 'allowMissingDrivers'> {
  file: BoardFile;
  /** Where the board file came from, for the report. */
  source: string;
  /** Runs work to completion (default: awaits it; tests on a virtual clock drive the clock). */
  run?: <T>(work: Promise<T>) => Promise<T>;
  /** Stream settings for the one-GOP camera check (default: the board file's camera). */
  videoOptions?: VideoOptions;
}

const ROLE_NAMES: Record<string, string> = { light: 'light sensor', rtc: 'real-time clock', climate: 'climate sensor', mux: 'I2C multiplexer' };

/** The parts a board file puts on each I2C bus, as the doctor expects them. */
export function expectedI2cParts(file: BoardFile): Array<{ bus: number; parts: ExpectedI2cPart[] }> {
  return file.i2c.map((b) => ({
    bus: b.bus,
    parts: b.devices.map((d) => ({
      role: PART_ROLE[d.part] === 'battery' ? `fuel gauge, battery ${d.slot === 1 ? 'B' : 'A'}` : ROLE_NAMES[PART_ROLE[d.part]],
      part: d.part,
      address: d.address,
      ...(d.mux ? { mux: d.mux } : {}),
    })),
  }));
}

export function createLinuxDoctorTarget(options: LinuxDoctorTargetOptions): DoctorTarget {
  const { file, source, run, videoOptions, ...boardOptions } = options;
  const buses: LinuxI2cBus[] = [];
  let board: Board | null = null;
  let closing: Promise<void> | null = null;
  const root = (p: string) => (boardOptions.rootDir ? path.join(boardOptions.rootDir, p) : p);
  const fitted = [
    file.i2c.length ? `${file.i2c.reduce((n, b) => n + b.devices.length, 0)} I2C parts on ${file.i2c.length} bus${file.i2c.length === 1 ? '' : 'es'}` : null,
    `${listPins(file).length} GPIO lines`,
    `${Object.values(file.serial).filter(Boolean).length} serial devices`,
    file.camera ? `${1 + file.extraCameras.length} camera${file.extraCameras.length ? 's' : ''}` : 'no camera',
  ].filter(Boolean);

  return {
    label: `${file.name}${file.description ? ` (${file.description})` : ''} — ${source}`,
    clock: options.clock,
    run: run ?? ((work) => work),
    videoOptions: videoOptions ?? file.camera?.video,
    preamble: [{ id: 'board file', part: 'board file', status: 'pass', detail: `${source} is valid: ${file.variant} on ${file.platform}${file.computer ? ` (${file.computer})` : ''}, ${fitted.join(', ')}` }],

    async i2cBuses(): Promise<DoctorI2cBus[]> {
      const out: DoctorI2cBus[] = [];
      for (const { bus, parts } of expectedI2cParts(file)) {
        const linux = await LinuxI2cBus.open({ bus, open: boardOptions.i2cOpen });
        buses.push(linux);
        out.push({ id: linux.id, bus: linux, parts });
      }
      return out;
    },

    async openBoard(): Promise<Board> {
      // The probes are done: give the buses back before the board's drivers take them.
      await Promise.allSettled(buses.splice(0).map((b) => b.close()));
      // Every part that can be had is checked: a missing driver or a part that fails to open
      // becomes a stand-in whose row says why.
      board = await createLinuxBoard(file, { ...boardOptions, allowMissingDrivers: true, isolateFailures: true });
      return board;
    },

    async extraChecks(): Promise<CheckResult[]> {
      const rows: CheckResult[] = [];
      for (const [role, spec] of Object.entries(file.serial)) {
        if (!spec) continue;
        const where = root(spec.device);
        const part = `serial device for ${role} (${spec.device})`;
        try {
          const st = await fsp.stat(where);
          rows.push(
            st.isCharacterDevice()
              ? { id: `serial ${role}`, part, status: 'pass', detail: `present (character device), ${spec.baud} baud` }
              : { id: `serial ${role}`, part, status: 'fail', detail: `${spec.device} exists but is not a character device` },
          );
        } catch {
          rows.push({ id: `serial ${role}`, part, status: 'fail', detail: `${spec.device} does not exist: module not plugged in, UART/overlay not enabled (docs/bring-up.md §2.2), or the wrong device name` });
        }
      }
      return rows;
    },

    close(): Promise<void> {
      closing ??= (async () => {
        await Promise.allSettled(buses.splice(0).map((b) => b.close()));
        await board?.close();
      })();
      return closing;
    },
  };
}
