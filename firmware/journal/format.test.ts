import { readFileSync } from 'node:fs';
import { crc32 } from 'node:zlib';
import { Unpackr } from 'msgpackr';
import { describe, expect, it } from 'vitest';
import { Ed25519PrivateKey, fromHex, sha256, toHex } from '../../protocol/crypto.ts';
import { SimStorage } from '../../sim/storage.ts';
import { SeededRandom } from '../../sim/random.ts';
import { VirtualClock } from '../../sim/virtual-clock.ts';
import { ENTRY_TYPES, SECURITY_RELEVANT } from './entries.ts';
import {
  CHECKPOINT,
  FILE_HEADER,
  GENESIS_HASH,
  checkpointMessage,
  decodePayload,
  encodeFrame,
  encodePayload,
  readFrameAt,
  recordHash,
} from './format.ts';
import { openJournal } from './journal.ts';
import { verifyJournal } from './reader.ts';
import { scanFrames } from './scan.ts';

const doc = readFileSync(new URL('../../docs/journal-format.md', import.meta.url), 'utf8');

function docVector(): Uint8Array {
  const block = /<!-- test-vector:start -->\s*```\n([0-9a-f\n]+)```\s*<!-- test-vector:end -->/.exec(doc);
  if (!block) throw new Error('test vector block not found in docs/journal-format.md');
  return fromHex(block[1].replace(/\n/g, ''));
}

async function writeVector(): Promise<Uint8Array> {
  const storage = new SimStorage({ name: 'vector', capacityBytes: 1 << 20, random: new SeededRandom(0) });
  const clock = new VirtualClock({ startEpochMs: Date.UTC(2026, 10, 23, 4, 0, 0) });
  const deviceKey = new Ed25519PrivateKey(fromHex('9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60'));
  const j = await openJournal({ storage, clock, deviceKey, device: 'BC-000001' });
  await clock.runFor(1500);
  await j.append('power-on', { firmware: '0.1.0', bootCount: 1, reason: 'cold' });
  await j.close();
  const files = storage.snapshot();
  expect([...files.keys()]).toEqual(['journal/00000000.djl']);
  return files.get('journal/00000000.djl')!;
}

describe('journal format (docs/journal-format.md)', () => {
  it('the writer produces the documented test vector byte for byte', async () => {
    const written = await writeVector();
    const documented = docVector();
    expect(written.length).toBe(582);
    expect(toHex(written)).toBe(toHex(documented));
  });

  it('the documented breakdown (frame headers, record hashes, signed text, signature) matches the vector', () => {
    const bytes = docVector();
    const frames = scanFrames(bytes).frames;
    const rows = [...doc.matchAll(/^\| seq (\d) `[a-z-]+` \| (\d+) \| (\d+) \| `445a4a31` `([0-9a-f]{8})` \((\d+)\) `([0-9a-f]{8})` `([0-9a-f]{8})` \| `([0-9a-f]{64})` \|$/gm)];
    expect(rows).toHaveLength(3);
    rows.forEach((m, i) => {
      const f = frames[i];
      expect(Number(m[1])).toBe(i);
      expect(f.offset).toBe(Number(m[2]));
      expect(f.size).toBe(Number(m[3]));
      expect(toHex(bytes.subarray(f.offset + 4, f.offset + 8))).toBe(m[4]);
      expect(f.payload.length).toBe(Number(m[5]));
      expect(toHex(bytes.subarray(f.offset + 8, f.offset + 12))).toBe(m[6]);
      expect(toHex(bytes.subarray(f.offset + 12, f.offset + 16))).toBe(m[7]);
      expect(toHex(sha256(f.payload))).toBe(m[8]);
    });
    const cp = decodePayload(frames[2].payload);
    const msg = checkpointMessage({ device: 'BC-000001', seq: cp.seq, head: cp.prev, wall: cp.wall, mono: cp.mono, reason: String(cp.data.reason) });
    const text = new TextDecoder().decode(msg);
    expect(doc).toContain('```\n' + text + '```');
    expect(doc).toContain(`signs these ${msg.length} bytes`);
    expect(doc).toContain(toHex(cp.data.signature as Uint8Array));
    const r = verifyJournal([{ name: '00000000.djl', bytes }], { publicKey: fromHex('d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a') });
    expect(r).toMatchObject({ status: 'valid', records: 3, entries: 1, checkpoints: 1, keyId: '21fe31dfa154a261', keySource: 'pinned' });
  });

  it('the vector decodes with an independent minimal MessagePack decoder (standard types only, no extensions)', () => {
    for (const f of scanFrames(docVector()).frames) {
      const [v, used] = miniUnpack(f.payload, 0);
      expect(used).toBe(f.payload.length);
      expect(v).toEqual(new Unpackr({ mapsAsObjects: true, int64AsType: 'number' }).unpack(f.payload));
      expect(Object.keys(v as object)).toEqual(['seq', 'wall', 'mono', 'type', 'data', 'prev']);
    }
  });

  it('documents every entry type with its security-relevant mark', () => {
    for (const type of ENTRY_TYPES) {
      const row = new RegExp(`^\\| \`${type}\` \\| ?(S?) ?\\|`, 'm').exec(doc);
      expect(row, `docs table row for ${type}`).not.toBeNull();
      expect(row![1] === 'S', `S mark for ${type}`).toBe(SECURITY_RELEVANT.has(type));
    }
    expect(ENTRY_TYPES).not.toContain(FILE_HEADER);
    expect(ENTRY_TYPES).not.toContain(CHECKPOINT);
  });

  it('uses the standard CRC-32 (check value of "123456789")', () => {
    expect(crc32(Buffer.from('123456789')).toString(16)).toBe('cbf43926');
    expect(doc).toContain('0xCBF43926');
  });
});

describe('frames and payloads', () => {
  const rec = { seq: 7, wall: 1_795_406_400_000, mono: 12, type: 'marker', data: { segment: 1, offsetMs: 2.5, wall: -1, note: undefined }, prev: GENESIS_HASH };

  it('round-trips a record; drops undefined members; packs large integers as int64, fractions as float64', () => {
    const payload = encodePayload(rec);
    expect(decodePayload(payload)).toEqual({ ...rec, data: { segment: 1, offsetMs: 2.5, wall: -1 } });
    expect(toHex(payload)).toContain('d3000001a2068f8a00'); // wall as int64
    expect(toHex(payload)).toContain('cb4004000000000000'); // 2.5 as float64
    const frame = encodeFrame(payload);
    const f = readFrameAt(frame, 0);
    expect(typeof f).toBe('object');
    expect(recordHash((f as { payload: Uint8Array }).payload)).toEqual(sha256(payload));
  });

  it('names why bytes are not a frame', () => {
    const frame = encodeFrame(encodePayload(rec));
    const flip = (i: number) => {
      const b = frame.slice();
      b[i] ^= 1;
      return b;
    };
    expect(readFrameAt(frame.subarray(0, 10), 0)).toBe('short-header');
    expect(readFrameAt(flip(0), 0)).toBe('bad-magic');
    expect(readFrameAt(flip(5), 0)).toBe('header-crc');
    expect(readFrameAt(flip(20), 0)).toBe('payload-crc');
    expect(readFrameAt(frame.subarray(0, frame.length - 1), 0)).toBe('past-end');
    const huge = frame.slice();
    huge.set([0, 0, 0x20, 0], 4); // 2 MiB, with a fixed-up header CRC
    huge.set(new Uint8Array(new Uint32Array([crc32(huge.subarray(0, 8))]).buffer), 8);
    expect(readFrameAt(huge, 0)).toBe('oversize');
  });

  it('tells a clean end, a torn tail and damage in the middle apart', () => {
    const a = encodeFrame(encodePayload(rec));
    const b = encodeFrame(encodePayload({ ...rec, seq: 8 }));
    const both = new Uint8Array([...a, ...b]);
    expect(scanFrames(both).end).toEqual({ kind: 'clean' });
    expect(scanFrames(both.subarray(0, both.length - 3)).end).toMatchObject({ kind: 'torn', offset: a.length, bytes: b.length - 3 });
    expect(scanFrames(new Uint8Array([...both, 0, 0, 0])).end).toMatchObject({ kind: 'torn', offset: both.length, bytes: 3 });
    const damaged = both.slice();
    damaged[10] ^= 0xff;
    const s = scanFrames(damaged);
    expect(s.end).toMatchObject({ kind: 'corrupt', offset: 0, bytes: a.length });
    expect(s.frames.map((f) => f.offset)).toEqual([a.length]);
    expect(scanFrames(new Uint8Array(0)).end).toEqual({ kind: 'clean' });
  });

  it('refuses payloads that are not the six-key record map', () => {
    const pack = (v: unknown) => encodePayload(v as never);
    expect(() => decodePayload(Uint8Array.of(0x86, 0xa3, 0x73))).toThrow(/not MessagePack/);
    expect(() => decodePayload(new Uint8Array([0x93, 1, 2, 3]))).toThrow(/not a map/);
    expect(() => decodePayload(pack({ ...rec, seq: -1 }))).toThrow(/seq/);
    expect(() => decodePayload(pack({ ...rec, wall: 1.5 }))).toThrow(/wall/);
    expect(() => decodePayload(pack({ ...rec, prev: new Uint8Array(31) }))).toThrow(/prev/);
    expect(() => decodePayload(pack({ ...rec, type: '' }))).toThrow(/type/);
  });
});

/**
 * A deliberately small MessagePack decoder written from the spec, as another team would: maps
 * with string keys, strings, bin, booleans, nil, ints, float64. Anything else (ext types) throws.
 */
function miniUnpack(b: Uint8Array, at: number): [unknown, number] {
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const t = b[at];
  const str = (start: number, n: number): [string, number] => [new TextDecoder().decode(b.subarray(start, start + n)), start + n];
  const map = (n: number, p: number): [unknown, number] => {
    const o: Record<string, unknown> = {};
    for (let i = 0; i < n; i++) {
      const [k, p1] = miniUnpack(b, p);
      if (typeof k !== 'string') throw new Error('non-string key');
      const [v, p2] = miniUnpack(b, p1);
      o[k] = v;
      p = p2;
    }
    return [o, p];
  };
  if (t <= 0x7f) return [t, at + 1];
  if (t >= 0xe0) return [t - 0x100, at + 1];
  if ((t & 0xf0) === 0x80) return map(t & 0x0f, at + 1);
  if ((t & 0xe0) === 0xa0) return str(at + 1, t & 0x1f);
  switch (t) {
    case 0xc0:
      return [null, at + 1];
    case 0xc2:
      return [false, at + 1];
    case 0xc3:
      return [true, at + 1];
    case 0xc4:
      return [b.slice(at + 2, at + 2 + b[at + 1]), at + 2 + b[at + 1]];
    case 0xcb:
      return [dv.getFloat64(at + 1), at + 9];
    case 0xcc:
      return [b[at + 1], at + 2];
    case 0xcd:
      return [dv.getUint16(at + 1), at + 3];
    case 0xce:
      return [dv.getUint32(at + 1), at + 5];
    case 0xcf:
      return [Number(dv.getBigUint64(at + 1)), at + 9];
    case 0xd0:
      return [dv.getInt8(at + 1), at + 2];
    case 0xd1:
      return [dv.getInt16(at + 1), at + 3];
    case 0xd2:
      return [dv.getInt32(at + 1), at + 5];
    case 0xd3:
      return [Number(dv.getBigInt64(at + 1)), at + 9];
    case 0xd9:
      return str(at + 2, b[at + 1]);
    case 0xda:
      return str(at + 3, dv.getUint16(at + 1));
    case 0xde:
      return map(dv.getUint16(at + 1), at + 3);
    default:
      throw new Error(`MessagePack type 0x${t.toString(16)} not expected in a journal payload`);
  }
}
