/**
 * Splits a serial byte stream into text lines (LF or CR LF terminated), as the NMEA and OPS243
 * drivers need. A line longer than `maxLength` bytes (terminator included) is dropped whole and
 * counted, and framing resumes at the next LF, so a stuck or noisy line can never grow a buffer
 * without bound or swallow the good lines after it.
 */
export class LineFramer {
  private buf: Uint8Array;
  private len = 0;
  private discarding = false;
  /** Lines dropped for exceeding `maxLength`. */
  overlong = 0;

  constructor(
    private readonly maxLength: number,
    private readonly onLine: (line: string) => void,
  ) {
    this.buf = new Uint8Array(maxLength);
  }

  push(chunk: Uint8Array): void {
    for (let i = 0; i < chunk.length; i++) {
      const b = chunk[i];
      if (b === 0x0a) {
        if (this.discarding) {
          this.discarding = false;
        } else {
          let end = this.len;
          if (end > 0 && this.buf[end - 1] === 0x0d) end -= 1;
          this.len = 0;
          this.onLine(latin1(this.buf, end));
        }
        continue;
      }
      if (this.discarding) continue;
      // Room is kept for the LF itself, so `maxLength` counts the whole line as sent.
      if (this.len >= this.maxLength - 1) {
        this.discarding = true;
        this.len = 0;
        this.overlong += 1;
        continue;
      }
      this.buf[this.len++] = b;
    }
  }

  /** Bytes of an unfinished line (for diagnostics). */
  get pending(): number {
    return this.len;
  }
}

function latin1(bytes: Uint8Array, end: number): string {
  let s = '';
  for (let i = 0; i < end; i++) s += String.fromCharCode(bytes[i]);
  return s;
}
