/**
 * Typed errors of the dock protocol. Every rejection has a stable wire code (the `code` of the
 * error, also sent in `error` messages), so a peer, a test and the conformance kit can tell
 * failures apart without parsing text. `docs/protocol.md` §7 lists them.
 */
import { DozorError } from '../hal/errors.ts';

/** Error codes that travel in `error` messages (and the `code` of the matching error class). */
export const WIRE_ERROR_CODES = {
  // framing (sent only as unsolicited notices: a bad frame has no trustworthy sequence number)
  EFRAME_CRC: 'a frame failed its CRC-32',
  EFRAME_TOO_LARGE: 'a frame exceeded the receiver’s maximum body size',
  EFRAME_COBS: 'a frame is not valid COBS (a block runs past the delimiter)',
  EFRAME_SHORT: 'a frame is shorter than an envelope header plus CRC',
  // envelope and payload
  EVERSION: 'unsupported envelope version or protocol version',
  EFLAGS: 'reserved envelope flags are set',
  EUNKNOWN_TYPE: 'unknown message type',
  EPAYLOAD: 'payload is not exactly one MessagePack map',
  EINVALID: 'a payload field is missing, of the wrong type or out of range',
  EUNEXPECTED: 'a known message this side does not accept (wrong direction, or a reply without a request)',
  ESTATE: 'not allowed in the current session state (e.g. before hello)',
  // offload
  ENOENT: 'no such file on the device',
  ERANGE: 'requested range lies outside the file',
  EMISMATCH: 'the file on the device does not have the size / SHA-256 the request names',
  EIO: 'the device could not read its storage',
  ECHUNK_CRC: 'a chunk’s CRC-32 does not match its data',
  // privileged commands (signed authorisations)
  EAUTH_UNSIGNED: 'a privileged command without a signature',
  EAUTH_MALFORMED: 'the authorisation body does not match its schema',
  EAUTH_UNKNOWN_KEY: 'the signing key is not provisioned on the device',
  EAUTH_BAD_SIGNATURE: 'the signature does not verify',
  EAUTH_WRONG_DEVICE: 'the authorisation names another device',
  EAUTH_ROLE_NOT_ALLOWED: 'the signer’s role may not authorise this action',
  EAUTH_REPLAYED: 'the counter was already used with this key',
  EAUTH_EXPIRED: 'the authorisation is past its notAfter',
  EAUTH_WRONG_ACTION: 'the authorisation is for a different action',
  EREFUSED: 'the device refused an authorised action by its own rules',
  EBATTERY: 'issue refused: the battery cannot cover the planned shift (R-PWR-4)',
  EUNSUPPORTED: 'the device does not implement this action',
  // receipts
  ERECEIPT_MALFORMED: 'the receipt body does not match its schema',
  ERECEIPT_UNKNOWN_KEY: 'the receipt is signed by a key the device does not trust as a dock',
  ERECEIPT_BAD_SIGNATURE: 'the receipt signature does not verify',
  ERECEIPT_ROLE_NOT_ALLOWED: 'the receipt is signed by a provisioned key whose role is not dock',
  ERECEIPT_WRONG_DEVICE: 'the receipt names another device',
  ERECEIPT_MISMATCH: 'the receipt’s path, size or SHA-256 does not match the device’s file',
  // general
  EBUSY: 'the peer is busy; retry later',
  EINTERNAL: 'unexpected failure inside the peer',
} as const;

export type WireErrorCode = keyof typeof WIRE_ERROR_CODES;

export function isWireErrorCode(code: string): code is WireErrorCode {
  return Object.prototype.hasOwnProperty.call(WIRE_ERROR_CODES, code);
}

/** Base of every protocol rejection; `code` is a wire error code. */
export class ProtocolError extends DozorError {
  constructor(
    readonly wireCode: WireErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(wireCode, message, options);
  }
}

/** A frame was rejected by the framing layer. The stream resynchronises at the next delimiter. */
export class FramingError extends ProtocolError {}

export class FrameChecksumError extends FramingError {
  constructor(
    readonly expected: number,
    readonly actual: number,
  ) {
    super('EFRAME_CRC', `frame CRC-32 mismatch: frame says ${hex32(expected)}, body has ${hex32(actual)}`);
  }
}

export class FrameTooLargeError extends FramingError {
  constructor(readonly limit: number) {
    super('EFRAME_TOO_LARGE', `frame larger than the ${limit}-byte body limit; discarded up to the next delimiter`);
  }
}

export class FrameEncodingError extends FramingError {
  constructor(detail: string) {
    super('EFRAME_COBS', `frame is not valid COBS: ${detail}`);
  }
}

export class FrameTooShortError extends FramingError {
  constructor(readonly length: number) {
    super('EFRAME_SHORT', `frame of ${length} decoded bytes is shorter than an envelope header plus CRC`);
  }
}

/** An envelope or payload was rejected; `seq` is known when the header could be read. */
export class MessageError extends ProtocolError {
  constructor(
    wireCode: WireErrorCode,
    message: string,
    readonly seq?: number,
    readonly type?: number,
    options?: { cause?: unknown },
  ) {
    super(wireCode, message, options);
  }
}

/** The peer answered a request with an `error` message; `code` is the peer's code, verbatim. */
export class RemoteError extends DozorError {
  constructor(
    code: string,
    readonly remoteMessage: string,
    readonly requestType: string,
  ) {
    super(code, `${requestType} refused by peer: ${code}: ${remoteMessage}`);
  }
}

/** A request got no answer after its retries, or the session ended while it was pending. */
export class SessionError extends DozorError {
  constructor(
    code: 'ETIMEOUT' | 'ESESSION_CLOSED' | 'EHANDSHAKE',
    message: string,
    options?: { cause?: unknown },
  ) {
    super(code, message, options);
  }
}

/** A transfer could not be completed or verified. */
export class TransferError extends DozorError {
  constructor(
    code: 'ETRANSFER_HASH' | 'ETRANSFER_SIZE' | 'ETRANSFER_STALLED' | 'ETRANSFER_ABORTED',
    message: string,
    readonly path: string,
    options?: { cause?: unknown },
  ) {
    super(code, message, options);
  }
}

export function hex32(n: number): string {
  return `0x${(n >>> 0).toString(16).padStart(8, '0')}`;
}
