/**
 * What `dozor doctor` checks: a `DoctorTarget` hands the check engine a `Board` (the HAL devices
 * the firmware would use) plus what only that kind of board can offer — the I2C buses with the
 * parts its description says are there, and checks below the HAL (device nodes, kernel
 * interfaces). The engine (engine.ts) runs the same checks on a real prototype
 * (linux-target.ts) and on the simulated board.
 */
import type { Board } from '../../hal/board.ts';
import type { I2cPart } from '../../hal/board-file.ts';
import type { I2cBus } from '../../hal/bus/i2c.ts';
import type { VideoOptions } from '../../hal/camera.ts';
import type { Clock } from '../../hal/clock.ts';

export type CheckStatus = 'pass' | 'fail' | 'skip';

/** One row of the report. */
export interface CheckResult {
  /** Stable key for scripts: "i2c /dev/i2c-1 0x10", "light", "battery A", "camera", "output led-red". */
  id: string;
  /** What was checked, for the table: "light sensor (veml7700 at 0x10)". */
  part: string;
  status: CheckStatus;
  /** What was seen, or why it failed or was skipped. */
  detail: string;
}

/** A part the board should have on an I2C bus. */
export interface ExpectedI2cPart {
  /** What the board uses it for: "light sensor", "battery A", "I2C multiplexer". */
  role: string;
  part: I2cPart;
  address: number;
  /** The TCA9548A channel it sits behind, when it does. */
  mux?: { address: number; channel: number };
}

/** An I2C bus opened for probing, with the parts expected on it. */
export interface DoctorI2cBus {
  /** "/dev/i2c-1", or the simulated bus's id. */
  id: string;
  bus: I2cBus;
  parts: readonly ExpectedI2cPart[];
}

export interface DoctorTarget {
  /** Heading of the report: the board and what it runs on. */
  readonly label: string;
  /** Time base for timeouts and waits (the simulator's virtual clock, or the real one). */
  readonly clock: Clock;
  /**
   * Runs `work` to completion. On hardware this is `work` itself; the simulator advances its
   * virtual clock until `work` settles (sim/drive.ts), so waits and timeouts pass in no time.
   */
  run<T>(work: Promise<T>): Promise<T>;
  /** Rows the target knows before probing anything (the board file validated, the model). */
  readonly preamble?: readonly CheckResult[];
  /**
   * The I2C buses to probe, with the parts expected on each (empty when the board has none).
   * Called once, before `openBoard`; the probes leave every multiplexer with no channel
   * selected, which the board's TCA9548A driver recovers from by itself.
   */
  i2cBuses(): Promise<readonly DoctorI2cBus[]>;
  /** Opens the HAL board the device checks run on; the target owns it (closed by `close`). */
  openBoard(): Promise<Board>;
  /** Stream settings for the camera check (one GOP is captured); default 640×480, 15 fps, 1 s GOP. */
  readonly videoOptions?: VideoOptions;
  /** Checks below the HAL that only this target can make, appended to the report. */
  extraChecks?(board: Board | null): Promise<readonly CheckResult[]>;
  /** Releases the buses and the board. Idempotent. */
  close(): Promise<void>;
}

export interface DoctorOptions {
  /** Blink the LEDs, sound the buzzer, run the motor, light the IR ring, move the IR-cut filter. */
  outputs?: boolean;
  /** How long a sensor may take to answer (ms, default 5000). */
  sensorTimeoutMs?: number;
  /** How long the camera may take to deliver its first GOP (ms, default 20 000). */
  cameraTimeoutMs?: number;
  /** How long to listen for GNSS sentences (ms, default 3000). */
  gnssListenMs?: number;
}

export interface DoctorReport {
  target: string;
  rows: CheckResult[];
  summary: Record<CheckStatus, number>;
  /** No row failed (skipped rows do not count against it). */
  ok: boolean;
}
