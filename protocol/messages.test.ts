import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { MESSAGES, PAYLOAD_SCHEMAS, decodeMessage, encodeMessage, encodeMessageParts } from './messages.ts';
import { MessageError } from './errors.ts';
import { pack, unpackMap } from './msgpack.ts';
import { toHex } from './crypto.ts';
import { crc32 } from './crc32.ts';
import { MESSAGE_VECTORS } from './vectors.ts';

const codeOf = (f: () => unknown) => {
  try {
    f();
    return 'ok';
  } catch (err) {
    expect(err).toBeInstanceOf(MessageError);
    return (err as MessageError).code;
  }
};

describe('message catalogue', () => {
  it('has a unique type code and a schema for every message, and a vector for each', () => {
    expect(new Set(MESSAGES.map((m) => m.type)).size).toBe(MESSAGES.length);
    expect(MESSAGES.map((m) => m.name).sort()).toEqual(Object.keys(PAYLOAD_SCHEMAS).sort());
    expect(MESSAGE_VECTORS.map((v) => v.name).sort()).toEqual(MESSAGES.map((m) => m.name).sort());
  });

  it('round-trips every vector message', () => {
    for (const v of MESSAGE_VECTORS) {
      const m = decodeMessage(encodeMessage(v.name, v.payload as never, v.seq, v.ack));
      expect(m).toMatchObject({ name: v.name, seq: v.seq, ack: v.ack });
      expect(m.payload).toEqual(v.payload);
    }
  });

  it('encodes a chunk in parts that are byte-identical to packing the whole map', () => {
    fc.assert(
      fc.property(fc.nat({ max: 2 ** 40 }), fc.uint8Array({ minLength: 1, maxLength: 70000 }), (offset, data) => {
        const crc = crc32(data);
        const parts = encodeMessageParts('chunk', { offset, crc, data }, 5, 4);
        const joined = Buffer.concat(parts);
        expect(toHex(joined.subarray(12))).toBe(toHex(pack({ offset, crc, data })));
        const back = decodeMessage(joined).payload as { offset: number; crc: number; data: Uint8Array };
        expect([back.offset, back.crc, toHex(back.data)]).toEqual([offset, crc, toHex(data)]);
      }),
      { numRuns: 200 },
    );
  });
});

describe('chunk integrity', () => {
  it('rejects a chunk whose CRC-32 does not match its data (ECHUNK_CRC), with or without the frame CRC', () => {
    const data = new TextEncoder().encode('evidence bytes');
    const good = encodeMessage('chunk', { offset: 0, crc: crc32(data), data }, 3, 2);
    expect(decodeMessage(good).name).toBe('chunk');
    expect(decodeMessage(good, crc32(good)).name).toBe('chunk');
    const bad = encodeMessage('chunk', { offset: 0, crc: (crc32(data) ^ 1) >>> 0, data }, 3, 2);
    expect(codeOf(() => decodeMessage(bad))).toBe('ECHUNK_CRC');
    expect(codeOf(() => decodeMessage(bad, crc32(bad)))).toBe('ECHUNK_CRC');
  });
});

describe('MessagePack profile', () => {
  it('encodes integers in the smallest format within 32 bits and as int64 beyond, omits undefined', () => {
    expect(toHex(pack({ a: 1, b: -1, c: 300, d: 2 ** 32 - 1, e: 2 ** 32, f: undefined }))).toBe(
      '85a161 01 a162 ff a163 cd012c a164 ceffffffff a165 d30000000100000000'.replace(/ /g, ''),
    );
    expect(unpackMap(pack({ t: 1795420800000 }))).toEqual({ t: 1795420800000 });
  });

  it('rejects trailing bytes, non-maps and garbage as EPAYLOAD', () => {
    expect(() => unpackMap(new Uint8Array([0x80, 0xc0]))).toThrow(MessageError);
    expect(() => unpackMap(new Uint8Array([0x91, 0x01]))).toThrow(MessageError);
    expect(() => unpackMap(new Uint8Array([0xc1]))).toThrow(MessageError);
    expect(() => unpackMap(new Uint8Array([0xd6, 0xff, 0, 0, 0, 1]))).toThrow(MessageError);
  });
});

describe('envelope and payload validation', () => {
  const ping = () => encodeMessage('ping', {}, 7);
  it('rejects an unknown version (EVERSION), reserved bits (EFLAGS) and unknown types (EUNKNOWN_TYPE), keeping the seq', () => {
    const b = ping();
    b[0] = 2;
    expect(codeOf(() => decodeMessage(b))).toBe('EVERSION');
    const c = ping();
    c[2] = 1;
    expect(codeOf(() => decodeMessage(c))).toBe('EFLAGS');
    const d = ping();
    d[1] = 0xee;
    expect(codeOf(() => decodeMessage(d))).toBe('EUNKNOWN_TYPE');
    try {
      decodeMessage(d);
    } catch (err) {
      expect((err as MessageError).seq).toBe(7);
    }
  });

  it('rejects missing, mistyped and out-of-range fields with EINVALID naming the field', () => {
    const read = (p: Record<string, unknown>) => {
      const body = encodeMessage('ping', {}, 1);
      const payload = pack(p as never);
      const out = new Uint8Array(12 + payload.length);
      out.set(body.subarray(0, 12));
      out[1] = 0x42; // read
      out.set(payload, 12);
      return out;
    };
    const sha = new Uint8Array(32);
    expect(codeOf(() => decodeMessage(read({ path: 'a', offset: 0, length: 10, sha256: sha })))).toBe('ok');
    expect(codeOf(() => decodeMessage(read({ path: 'a', offset: 0, length: 10 })))).toBe('EINVALID');
    expect(codeOf(() => decodeMessage(read({ path: 'a', offset: -1, length: 10, sha256: sha })))).toBe('EINVALID');
    expect(codeOf(() => decodeMessage(read({ path: 'a', offset: 0, length: 10, sha256: sha.subarray(1) })))).toBe('EINVALID');
    expect(codeOf(() => decodeMessage(read({ path: 1, offset: 0, length: 10, sha256: sha })))).toBe('EINVALID');
    expect(() => decodeMessage(read({ path: 'a', offset: 0, length: 0, sha256: sha }))).toThrow(/read: length/);
    // unknown fields are ignored (forward compatibility)
    expect(codeOf(() => decodeMessage(read({ path: 'a', offset: 0, length: 10, sha256: sha, future: true })))).toBe('ok');
  });

  it('fuzz: random and mutated bodies decode to a valid message or fail with a typed MessageError', () => {
    const valid = MESSAGE_VECTORS.map((v) => encodeMessage(v.name, v.payload as never, v.seq, v.ack));
    fc.assert(
      fc.property(
        fc.oneof(
          fc.uint8Array({ maxLength: 300 }),
          fc.tuple(fc.constantFrom(...valid), fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 6 })).map(([b, muts]) => {
            const c = b.slice();
            for (const [at, val] of muts) c[at % c.length] = val;
            return c;
          }),
          fc.tuple(fc.constantFrom(...valid), fc.nat()).map(([b, cut]) => b.slice(0, cut % (b.length + 1))),
        ),
        (body) => {
          try {
            const m = decodeMessage(body);
            expect(PAYLOAD_SCHEMAS[m.name].safeParse(m.payload).success).toBe(true);
          } catch (err) {
            expect(err).toBeInstanceOf(MessageError);
          }
        },
      ),
      { numRuns: 3000 },
    );
  });
});
