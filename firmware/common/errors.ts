/** Typed refusals of the recorder firmware: each says what was refused and why, with a stable code. */
import { DozorError } from '../../hal/errors.ts';

/** A shift transition that the table does not allow (e.g. stopping recording on duty, R-REC-6). */
export class ForbiddenTransitionError extends DozorError {
  constructor(
    readonly from: string,
    readonly event: string,
    detail?: string,
  ) {
    super('EFORBIDDEN', `${event} is not allowed while ${from}${detail ? `: ${detail}` : ''}`);
  }
}

export type RecordingRefusal = 'clock-untrusted' | 'card-not-ready' | 'shut-down';

/** Recording may not start (untrusted clock R-TIME-1, no registered card, device shutting down). */
export class RecordingRefusedError extends DozorError {
  constructor(
    readonly reason: RecordingRefusal,
    detail: string,
  ) {
    super('ERECREFUSED', `recording refused (${reason}): ${detail}`);
  }
}

/** Issue refused: the packs cannot cover the planned shift (R-PWR-4), or the wrong device. */
export class IssueRefusedError extends DozorError {
  constructor(
    readonly reason: string,
    readonly batteryHours: number,
    readonly plannedShiftHours: number,
  ) {
    super('EISSUEREFUSED', `issue refused: ${reason} (battery ${batteryHours.toFixed(2)} h, planned ${plannedShiftHours} h)`);
  }
}

/** A command or authorisation whose parameters do not make sense. */
export class InvalidCommandError extends DozorError {
  constructor(message: string) {
    super('EBADCOMMAND', message);
  }
}

/** A command that is valid in itself but refused in the present situation. */
export class CommandRefusedError extends DozorError {
  constructor(
    readonly action: string,
    readonly reason: string,
  ) {
    super('EREFUSED', `${action} refused: ${reason}`);
  }
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
