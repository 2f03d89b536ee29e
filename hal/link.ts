/**
 * A byte link: a serial port (dock cable, GNSS, radar), a USB CDC-ACM gadget, or a TCP socket.
 * Protocols and drivers sit on this, never on a concrete transport.
 */
import type { Observable } from 'rxjs';
import type { Device } from './device.ts';

export interface ByteLink extends Device {
  /** Bytes as they arrive; completes when the link closes, errors when it fails. */
  readonly data$: Observable<Uint8Array>;
  /**
   * Writes all bytes or rejects (`DeviceClosedError` after close, `BusError` on I/O failure).
   * The link may use `data` only until the promise settles; the caller may then reuse the buffer.
   */
  write(data: Uint8Array): Promise<void>;
  /** True while the link can carry data (a TCP peer connected, a port open). */
  readonly isOpen: boolean;
}

/**
 * Where links come from: the dock connector (a link per docking), a TCP listener, a modem.
 * Each emission is a freshly connected link; the consumer closes it when done.
 */
export interface LinkPort extends Device {
  readonly links$: Observable<ByteLink>;
}
