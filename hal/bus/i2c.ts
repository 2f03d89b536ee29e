/**
 * An I2C bus, shaped after i2c-bus's `PromisifiedBus` so the Linux backend is a thin
 * pass-through and the simulator can put register-level chip models behind the same calls.
 * Chip drivers (hal/drivers/*) take an `I2cBus` and an address and never know which it is.
 *
 * SMBus words are little-endian on the wire (first byte = LSB); MSB-first parts (MAX17048,
 * BH1750, SHT31) must swap (see `swap16`).
 * A missing device (no ACK) rejects with `DeviceNotRespondingError`.
 */
export interface I2cBus {
  /** Bus number (/dev/i2c-N) or a label, for errors and the doctor report. */
  readonly id: string;
  readByte(address: number, command: number): Promise<number>;
  readWord(address: number, command: number): Promise<number>;
  writeByte(address: number, command: number, byte: number): Promise<void>;
  writeWord(address: number, command: number, word: number): Promise<void>;
  readI2cBlock(address: number, command: number, length: number, buffer: Buffer): Promise<{ bytesRead: number; buffer: Buffer }>;
  writeI2cBlock(address: number, command: number, length: number, buffer: Buffer): Promise<{ bytesWritten: number; buffer: Buffer }>;
  /** Plain I2C read (no command byte). */
  i2cRead(address: number, length: number, buffer: Buffer): Promise<{ bytesRead: number; buffer: Buffer }>;
  /** Plain I2C write (no command byte). */
  i2cWrite(address: number, length: number, buffer: Buffer): Promise<{ bytesWritten: number; buffer: Buffer }>;
  sendByte(address: number, byte: number): Promise<void>;
  receiveByte(address: number): Promise<number>;
  /** Addresses that ACK, in ascending order. */
  scan(): Promise<number[]>;
  close(): Promise<void>;
}

export function swap16(word: number): number {
  return ((word & 0xff) << 8) | ((word >> 8) & 0xff);
}
