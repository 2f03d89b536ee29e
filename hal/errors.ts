/**
 * Typed errors shared by every layer. Each has a stable `code` so callers (and the journal, and
 * the CLI's exit codes) can tell failures apart without parsing messages.
 */
export class DozorError extends Error {
  constructor(
    readonly code: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** A constructor or method got options that cannot work; raised before any hardware is touched. */
export class InvalidOptionsError extends DozorError {
  constructor(message: string) {
    super('EINVALOPTS', message);
  }
}

/** The device was closed; only `close()` may be called again. */
export class DeviceClosedError extends DozorError {
  constructor(readonly device: string) {
    super('ECLOSED', `${device} is closed`);
  }
}

/** The device did not answer (no ACK on the bus, timeout, unplugged). */
export class DeviceNotRespondingError extends DozorError {
  constructor(
    readonly device: string,
    detail = 'no response',
    options?: { cause?: unknown },
  ) {
    super('ENORESPONSE', `${device}: ${detail}`, options);
  }
}

/** A device, line, bus or executable that should exist is absent. */
export class DeviceNotFoundError extends DozorError {
  constructor(readonly device: string, detail = 'not found') {
    super('ENODEV', `${device}: ${detail}`);
  }
}

/** Data failed its integrity check (CRC, checksum, hash). */
export class ChecksumError extends DozorError {
  constructor(readonly what: string, detail = 'checksum mismatch') {
    super('ECHECKSUM', `${what}: ${detail}`);
  }
}

/** A bus-level transfer failed for a reason other than a missing device. */
export class BusError extends DozorError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('EBUS', message, options);
  }
}

/** The device or backend cannot do what was asked (e.g. analog read on a board with no ADC). */
export class UnsupportedError extends DozorError {
  constructor(message: string) {
    super('EUNSUPPORTED', message);
  }
}

/** Storage failures. */
export class StorageError extends DozorError {}

export class FileNotFoundError extends StorageError {
  constructor(readonly path: string) {
    super('ENOENT', `no such file: ${path}`);
  }
}

export class StorageFullError extends StorageError {
  constructor(readonly path: string, readonly needed: number, readonly free: number) {
    super('ENOSPC', `no space for ${needed} bytes on ${path} (${free} free)`);
  }
}

/** The medium is gone (card pulled, volume unmounted) or failed. */
export class StorageUnavailableError extends StorageError {
  constructor(readonly volume: string, detail = 'medium not present') {
    super('EUNAVAILABLE', `${volume}: ${detail}`);
  }
}

/** Evidence may not be deleted: no server receipt for its exact hash (R-REC-6, R-CARD-4, R-OFF-2). */
export class DeletionRefusedError extends StorageError {
  constructor(readonly path: string, reason: string) {
    super('EDELETEREFUSED', `refused to delete ${path}: ${reason}`);
  }
}

export class InvalidPathError extends StorageError {
  constructor(readonly path: string, reason: string) {
    super('EINVALPATH', `invalid path ${JSON.stringify(path)}: ${reason}`);
  }
}
