/**
 * The evidence index on the card is an append-only text log, one record per line:
 *
 *     <JSON record> TAB <MAC: 32 lower-case hex digits> LF
 *
 * MAC = the first 16 bytes of HMAC-SHA256(indexKey, previous line's MAC (hex; "" for the first) ‖
 * LF ‖ JSON). Chaining makes lines impossible to insert, reorder or copy between cards; only the
 * tail can be cut, which can only ever *lose* a receipt (making a file undeletable), never add
 * one. JSON never holds a raw LF or TAB (JSON.stringify escapes them).
 *
 * Appending one line and syncing costs O(1) per event, so a shift of segments never rewrites
 * the index. On load a line without its LF is a torn tail (power cut) and is cut off; a complete
 * line whose MAC or schema fails means corruption or tampering.
 */
import { createHmac } from 'node:crypto';

const LF = 0x0a;
const enc = new TextEncoder();
const dec = new TextDecoder('utf-8', { fatal: true });

export interface ParsedLog<T> {
  records: T[];
  /** Bytes from the start that hold verified lines. */
  goodBytes: number;
  /** MAC of the last good line ("" when none). */
  lastMac: string;
  /** Bytes after the last LF (a torn tail). */
  tornBytes: number;
  /** The first complete line that failed, if any (everything from it on is untrusted). */
  bad: { offset: number; reason: string } | null;
}

export class IndexLogCodec {
  constructor(private readonly key: Uint8Array) {
    if (!(key instanceof Uint8Array) || key.length < 32) throw new RangeError('evidence index key must be at least 32 bytes');
  }

  mac(prevMac: string, json: string): string {
    return createHmac('sha256', this.key).update(prevMac).update('\n').update(json).digest('hex').slice(0, 32);
  }

  encode(record: unknown, prevMac: string): { line: Uint8Array; mac: string } {
    const json = JSON.stringify(record);
    const mac = this.mac(prevMac, json);
    return { line: enc.encode(`${json}\t${mac}\n`), mac };
  }

  parse<T>(bytes: Uint8Array, validate: (value: unknown) => T): ParsedLog<T> {
    const records: T[] = [];
    let prev = '';
    let pos = 0;
    while (pos < bytes.length) {
      const end = bytes.indexOf(LF, pos);
      if (end < 0) return { records, goodBytes: pos, lastMac: prev, tornBytes: bytes.length - pos, bad: null };
      const fail = (reason: string): ParsedLog<T> => ({ records, goodBytes: pos, lastMac: prev, tornBytes: 0, bad: { offset: pos, reason } });
      let line: string;
      try {
        line = dec.decode(bytes.subarray(pos, end));
      } catch {
        return fail('not UTF-8');
      }
      const tab = line.lastIndexOf('\t');
      if (tab < 0) return fail('no MAC');
      const json = line.slice(0, tab);
      const mac = line.slice(tab + 1);
      if (mac !== this.mac(prev, json)) return fail('MAC does not verify (edited, inserted or from another device)');
      let record: T;
      try {
        record = validate(JSON.parse(json));
      } catch (err) {
        return fail(`record invalid: ${(err as Error).message.slice(0, 120)}`);
      }
      records.push(record);
      prev = mac;
      pos = end + 1;
    }
    return { records, goodBytes: pos, lastMac: prev, tornBytes: 0, bad: null };
  }
}
