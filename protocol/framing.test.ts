import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { cobsDecode, cobsEncode, cobsEncodeParts } from './cobs.ts';
import { FrameDecoder, encodeFrame, maxFrameLength } from './framing.ts';
import { crc32, crc32Combine } from './crc32.ts';
import { FrameChecksumError, FrameEncodingError, FrameTooLargeError, FrameTooShortError, FramingError } from './errors.ts';
import { fromHex, toHex } from './crypto.ts';

const seq = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);
const hex = (bytes: number[]) => toHex(new Uint8Array(bytes));

describe('COBS', () => {
  // The reference examples (Cheshire & Baker; the table on Wikipedia's COBS page).
  const examples: Array<[number[], number[]]> = [
    [[], [0x01]],
    [[0x00], [0x01, 0x01]],
    [[0x00, 0x00], [0x01, 0x01, 0x01]],
    [[0x00, 0x11, 0x00], [0x01, 0x02, 0x11, 0x01]],
    [[0x11, 0x22, 0x00, 0x33], [0x03, 0x11, 0x22, 0x02, 0x33]],
    [[0x11, 0x22, 0x33, 0x44], [0x05, 0x11, 0x22, 0x33, 0x44]],
    [[0x11, 0x00, 0x00, 0x00], [0x02, 0x11, 0x01, 0x01, 0x01]],
    [seq(0x01, 0xfe), [0xff, ...seq(0x01, 0xfe)]],
    [[0x00, ...seq(0x01, 0xfe)], [0x01, 0xff, ...seq(0x01, 0xfe)]],
    [seq(0x01, 0xff), [0xff, ...seq(0x01, 0xfe), 0x02, 0xff]],
    [[...seq(0x02, 0xff), 0x00], [0xff, ...seq(0x02, 0xff), 0x01, 0x01]],
    [[...seq(0x03, 0xff), 0x00, 0x01], [0xfe, ...seq(0x03, 0xff), 0x02, 0x01]],
  ];
  for (const [raw, enc] of examples) {
    it(`encodes ${hex(raw).slice(0, 16)}${raw.length > 8 ? '…' : ''} (${raw.length} B) canonically and decodes it back`, () => {
      expect(toHex(cobsEncode(new Uint8Array(raw)))).toBe(hex(enc));
      expect(toHex(cobsDecode(new Uint8Array(enc)))).toBe(hex(raw));
    });
  }

  it('accepts the non-canonical trailing 0x01 after a final 0xFF block', () => {
    expect(toHex(cobsDecode(new Uint8Array([0xff, ...seq(0x01, 0xfe), 0x01])))).toBe(hex(seq(0x01, 0xfe)));
  });

  it('round-trips long runs, dense zeros and every length around the 254-byte block size', () => {
    for (let n = 0; n < 800; n++) {
      for (const fill of [(i: number) => (i % 255) + 1, (i: number) => (i % 3 === 0 ? 0 : 7), () => 0]) {
        const data = Uint8Array.from({ length: n }, (_, i) => fill(i));
        const enc = cobsEncode(data);
        expect(enc.includes(0)).toBe(false);
        expect(toHex(cobsDecode(enc))).toBe(toHex(data));
      }
    }
  });

  it('round-trips any data split into any parts, never emits 0x00, and stays within the overhead bound', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 700 }), { maxLength: 5 }), fc.double({ min: 0, max: 1, noNaN: true }), (parts, zeroRate) => {
        const sparse = parts.map((p) => p.map((b, i) => ((i * 2654435761) % 1000) / 1000 < zeroRate ? 0 : b));
        const all = Buffer.concat(sparse);
        const enc = cobsEncodeParts(sparse, false);
        expect(enc.includes(0)).toBe(false);
        expect(enc.length).toBeLessThanOrEqual(all.length + Math.max(1, Math.ceil(all.length / 254)));
        expect(toHex(enc)).toBe(toHex(cobsEncode(all)));
        expect(toHex(cobsDecode(enc))).toBe(toHex(all));
      }),
    );
  });

  it('rejects a block that runs past the end with a typed error', () => {
    expect(() => cobsDecode(new Uint8Array([0x05, 0x11, 0x22]))).toThrow(FrameEncodingError);
  });
});

describe('framing', () => {
  it('uses CRC-32/ISO-HDLC (check value 0xCBF43926)', () => {
    expect(crc32(new TextEncoder().encode('1234'), new TextEncoder().encode('56789'))).toBe(0xcbf43926);
  });

  it('combines CRCs like zlib crc32_combine, and a frame built from a known part CRC is identical', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 2000 }), fc.uint8Array({ maxLength: 2000 }), (a, b) => {
        expect(crc32Combine(crc32(a), crc32(b), b.length)).toBe(crc32(a, b));
        expect(toHex(encodeFrame([a, b], [undefined, crc32(b)]))).toBe(toHex(encodeFrame([a, b])));
      }),
    );
    // zlib.crc32 forgets its running value on an empty view of an empty ArrayBuffer; ours does not.
    expect(crc32(new Uint8Array([1, 2]), new Uint8Array(new ArrayBuffer(0)))).toBe(crc32(new Uint8Array([1, 2])));
  });

  it('frames a body as COBS(body ‖ CRC-32 LE) ‖ 0x00', () => {
    const body = fromHex('01030000010000000000000080');
    // ping, seq 1: blocks [01 03] [] [01] [] × 6, then [80 ‖ CRC 94 da bf 5f], then the delimiter
    expect(crcHex(body)).toBe('94dabf5f');
    expect(toHex(encodeFrame([body]))).toBe('030103010201010101010101068094dabf5f00');
    const dec = new FrameDecoder({ maxBody: 100 });
    const out: unknown[] = [];
    dec.push(encodeFrame([body]), (r) => out.push(r));
    expect(out.map((r) => toHex(r as Uint8Array))).toEqual([toHex(body)]);
  });

  it('decodes frames split at every possible point and ignores empty frames', () => {
    const bodies = [new Uint8Array(20).fill(7), fromHex('0100000000000000000000000000'), new Uint8Array(600).map((_, i) => i & 0xff)];
    const stream = Buffer.concat([Buffer.from([0, 0]), ...bodies.map((b) => Buffer.from(encodeFrame([b])))]);
    for (let cut = 0; cut <= stream.length; cut += 7) {
      const dec = new FrameDecoder({ maxBody: 1000 });
      const got: string[] = [];
      const sink = (r: Uint8Array | FramingError) => got.push(r instanceof Uint8Array ? toHex(r) : r.code);
      dec.push(stream.subarray(0, cut), sink);
      dec.push(stream.subarray(cut), sink);
      expect(got).toEqual(bodies.map(toHex));
    }
  });

  it('rejects bad CRC, short frames and oversize frames with typed errors and resynchronises', () => {
    const good = new Uint8Array(30).fill(1);
    const frame = encodeFrame([good]);
    const corrupted = frame.slice();
    corrupted[5] ^= 0x40;
    const tiny = Buffer.from([...cobsEncode(new Uint8Array(10)), 0]);
    const huge = encodeFrame([new Uint8Array(5000).fill(9)]);
    const dec = new FrameDecoder({ maxBody: 1000 });
    const got: unknown[] = [];
    for (const part of [corrupted, frame, tiny, frame, huge, frame]) dec.push(part, (r) => got.push(r));
    expect(got[0]).toBeInstanceOf(FrameChecksumError);
    expect(toHex(got[1] as Uint8Array)).toBe(toHex(good));
    expect(got[2]).toBeInstanceOf(FrameTooShortError);
    expect(got[4]).toBeInstanceOf(FrameTooLargeError);
    expect(toHex(got[5] as Uint8Array)).toBe(toHex(good));
    expect(dec.stats.rejected).toEqual({ EFRAME_CRC: 1, EFRAME_SHORT: 1, EFRAME_TOO_LARGE: 1 });
  });

  it('fuzz: random bytes never crash the decoder, every rejection is a typed error, memory stays bounded', () => {
    const maxBody = 512;
    const bound = maxFrameLength(maxBody);
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 3000 }), { maxLength: 20 }), (chunks) => {
        const dec = new FrameDecoder({ maxBody });
        for (const c of chunks) {
          dec.push(c, (r) => {
            if (r instanceof Uint8Array) expect(r.length).toBeLessThanOrEqual(maxBody);
            else expect(r).toBeInstanceOf(FramingError);
          });
          expect(dec.bufferedBytes).toBeLessThanOrEqual(bound);
        }
      }),
      { numRuns: 500 },
    );
  });

  it('fuzz: mutated frames (bit flips, dropped, inserted, duplicated bytes) never yield a wrong body', () => {
    const mutation = fc.oneof(
      fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), bit: fc.integer({ min: 0, max: 7 }) }),
      fc.record({ kind: fc.constant('drop' as const), at: fc.nat() }),
      fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), value: fc.integer({ min: 0, max: 255 }) }),
      fc.record({ kind: fc.constant('dup' as const), at: fc.nat() }),
    );
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ minLength: 16, maxLength: 400 }), { minLength: 1, maxLength: 6 }), fc.array(mutation, { maxLength: 4 }), (bodies, mutations) => {
        const bytes = [...Buffer.concat(bodies.map((b) => Buffer.from(encodeFrame([b]))))];
        for (const m of mutations) {
          const at = m.at % bytes.length;
          if (m.kind === 'flip') bytes[at] ^= 1 << m.bit;
          else if (m.kind === 'drop') bytes.splice(at, 1);
          else if (m.kind === 'insert') bytes.splice(at, 0, m.value);
          else bytes.splice(at, 0, bytes[at]);
        }
        const dec = new FrameDecoder({ maxBody: 400 });
        const valid = new Set(bodies.map(toHex));
        let accepted = 0;
        dec.push(new Uint8Array(bytes), (r) => {
          if (r instanceof Uint8Array) {
            expect(valid.has(toHex(r))).toBe(true);
            accepted += 1;
          } else expect(r).toBeInstanceOf(FramingError);
        });
        // Each mutation can destroy at most two frames (the one it hits, and a neighbour when it
        // removes or forges a delimiter).
        expect(accepted).toBeGreaterThanOrEqual(bodies.length - 2 * mutations.length);
      }),
      { numRuns: 1000 },
    );
  });
});

function crcHex(body: Uint8Array): string {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(crc32(body));
  return b.toString('hex');
}
