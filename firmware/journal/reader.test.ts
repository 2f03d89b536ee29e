/**
 * The verifier's individual rules, on journals built record by record (a "foreign writer" that
 * knows the format and holds the device key), so each rule is seen to fire on its own.
 */
import { describe, expect, it } from 'vitest';
import { toHex } from '../../protocol/crypto.ts';
import { DEVICE, START, deviceKey } from '../../test/helpers/journal.ts';
import { CHECKPOINT, FILE_HEADER, GENESIS_HASH, checkpointMessage, encodeFrame, encodePayload, recordHash } from './format.ts';
import { verifyJournal, type JournalFileInput } from './reader.ts';

type Spec = { type: string; data?: Record<string, unknown>; mono?: number; seq?: number; prev?: Uint8Array; raw?: Uint8Array };

/** Builds files from record specs: chain, seqs and checkpoint signatures are computed unless overridden. */
function build(files: Spec[][], start: { seq: number; prev: Uint8Array } = { seq: 0, prev: GENESIS_HASH }, firstFile = 0): JournalFileInput[] {
  let seq = start.seq;
  let prev: Uint8Array = start.prev;
  return files.map((specs, i) => {
    const fileIdx = firstFile + i;
    const parts: Uint8Array[] = [];
    let mono = 0;
    for (const s of specs) {
      if (s.raw) {
        parts.push(s.raw);
        continue;
      }
      const rseq = s.seq ?? seq;
      const rprev = s.prev ?? prev;
      mono = s.mono ?? mono + 10;
      let data = s.data ?? {};
      if (s.type === FILE_HEADER && !s.data) {
        data = { format: 'dozor-journal', version: 1, device: DEVICE, keyId: deviceKey.keyId, publicKey: deviceKey.publicKey, file: fileIdx };
      }
      if (s.type === CHECKPOINT && !s.data?.signature) {
        const reason = String(s.data?.reason ?? 'close');
        const signature = deviceKey.sign(checkpointMessage({ device: DEVICE, seq: rseq, head: rprev, wall: START, mono, reason }));
        data = { reason, keyId: deviceKey.keyId, signature };
      }
      const payload = encodePayload({ seq: rseq, wall: START, mono, type: s.type, data, prev: rprev });
      parts.push(encodeFrame(payload));
      prev = recordHash(payload);
      seq = rseq + 1;
    }
    const bytes = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
    let at = 0;
    for (const p of parts) {
      bytes.set(p, at);
      at += p.length;
    }
    return { name: `journal/${String(fileIdx).padStart(8, '0')}.djl`, bytes };
  });
}

const H: Spec = { type: FILE_HEADER };
const CLOSE: Spec = { type: CHECKPOINT, data: { reason: 'close' } };
const marker: Spec = { type: 'marker', data: { segment: 0, offsetMs: 0, wall: START } };
const pinned = { publicKey: deviceKey.publicKey };
const check = (files: JournalFileInput[]) => verifyJournal(files, pinned);
const codes = (files: JournalFileInput[]) => check(files).problems.map((p) => p.code);

describe('verifier rules', () => {
  it('accepts a well-formed journal built independently of the writer', () => {
    expect(check(build([[H, marker, CLOSE]])).status).toBe('valid');
    expect(check(build([[H, marker, CLOSE], [H, marker, CLOSE]])).status).toBe('valid');
  });

  it('validates every entry against its schema on read: unknown type, unknown field, wrong value', () => {
    expect(check(build([[H, { type: 'teleport', data: {} }, CLOSE]])).firstProblem).toMatchObject({ code: 'schema', seq: 1, message: 'unknown entry type "teleport"' });
    expect(check(build([[H, { type: 'marker', data: { segment: 0, offsetMs: 0, wall: START, colour: 'red' } }, CLOSE]])).firstProblem?.message).toBe('colour: unknown field');
    expect(check(build([[H, { type: 'power-off', data: { reason: 'bored' } }, CLOSE]])).firstProblem?.message).toMatch(/^reason: /);
    expect(
      check(build([[H, { type: 'issue', data: { inventoryNumber: 'X', plannedShiftHours: 8, batteryHours: 9, by: { name: 'a', keyId: 'b', counter: 1, extra: 1 } } }, CLOSE]]))
        .firstProblem?.message,
    ).toBe('by.extra: unknown field');
  });

  it('requires a header first and only first in every file, with the right fields', () => {
    expect(codes(build([[marker, CLOSE]]))).toContain('missing-header');
    expect(codes(build([[H, marker, H, CLOSE]]))).toContain('misplaced-header');
    expect(codes(build([[{ type: FILE_HEADER, data: { format: 'dozor-journal', version: 2, device: DEVICE } }, CLOSE]]))).toContain('bad-header');
  });

  it('rejects a record after the closing checkpoint, and a file that ends unexplained', () => {
    expect(codes(build([[H, CLOSE, marker]]))).toContain('after-close');
    // File 0 ends without closing; file 1 must begin with a recovery entry for it.
    expect(codes(build([[H, marker], [H, marker, CLOSE]]))).toEqual(['unexplained-end']);
    const recovery = (lastSeq: number): Spec => ({ type: 'recovery', data: { droppedBytes: 0, atOffset: 0, lastSeq, cause: 'unclean-shutdown' } });
    expect(check(build([[H, marker], [H, recovery(1), CLOSE]])).status).toBe('valid');
    // A session that lost power while starting (a header only) is covered by the next recovery too.
    expect(check(build([[H, marker], [H], [H, recovery(2), CLOSE]])).status).toBe('valid');
  });

  it('accepts torn bytes left in an earlier file only when a recovery entry declared cutting them', () => {
    const [f0] = build([[H, marker]]);
    const torn = { name: f0.name, bytes: new Uint8Array([...f0.bytes, 1, 2, 3]) };
    const cut = { file: 'journal/00000000.djl', offset: f0.bytes.length, bytes: 3 };
    const rest = (cuts: unknown[]) =>
      build([[H, { type: 'recovery', data: { droppedBytes: 3, atOffset: cut.offset, lastSeq: 1, cuts } }, CLOSE]], { seq: 2, prev: recordHash(f0.bytes.subarray(scanOffset(f0.bytes))) }, 1);
    const ok = verifyJournal([torn, rest([cut])[0]], pinned);
    expect(ok.status).toBe('valid');
    expect(ok.notes.join(' ')).toMatch(/declared by a recovery entry/);
    const bad = verifyJournal([torn, rest([])[0]], pinned);
    expect(bad.firstProblem).toMatchObject({ code: 'corrupt-frame', file: 'journal/00000000.djl', offset: cut.offset });
  });

  it('checks monotonic time within a file, and the genesis hash', () => {
    expect(codes(build([[H, { ...marker, mono: 100 }, { ...marker, mono: 50 }, CLOSE]]))).toContain('mono');
    expect(codes(build([[H, marker, CLOSE]], { seq: 0, prev: new Uint8Array(32).fill(1) }))).toContain('chain');
  });

  it('flags a CRC-valid record whose payload is not a journal record', () => {
    const junk = encodeFrame(new Uint8Array([0x92, 0x01, 0x02]));
    const r = check(build([[H, marker, { type: '', raw: junk }, CLOSE]]));
    expect(r.firstProblem).toMatchObject({ code: 'bad-record' });
  });

  it('survives hostile payloads (deep nesting) without throwing', () => {
    for (const depth of [2_000, 200_000]) {
      // {seq:1, wall:0, mono:0, type:"marker", data:{a:{a:{…}}}, prev: 32 zero bytes}, built by hand
      const head = [0x86, 0xa3, ...Buffer.from('seq'), 0x01, 0xa4, ...Buffer.from('wall'), 0x00, 0xa4, ...Buffer.from('mono'), 0x00];
      const type = [0xa4, ...Buffer.from('type'), 0xa6, ...Buffer.from('marker'), 0xa4, ...Buffer.from('data')];
      const nest = new Uint8Array(depth * 3 + 1);
      for (let i = 0; i < depth; i++) nest.set([0x81, 0xa1, 0x61], i * 3);
      nest[depth * 3] = 0x80;
      const prev = [0xa4, ...Buffer.from('prev'), 0xc4, 0x20, ...new Uint8Array(32)];
      const payload = new Uint8Array([...head, ...type, ...nest, ...prev]);
      const [f] = build([[H]]);
      const files = [{ name: f.name, bytes: new Uint8Array([...f.bytes, ...encodeFrame(payload)]) }];
      expect(() => check(files)).not.toThrow();
      expect(check(files).status).toBe('invalid');
    }
  });

  it('checks corrections: an earlier entry, consistent with their authorisation', () => {
    const by = { name: 'Сериков А.Б.', keyId: 'k1', counter: 1 };
    expect(codes(build([[H, marker, { type: 'correction', data: { corrects: 5, note: 'x', by } }, CLOSE]]))).toContain('correction');
    expect(codes(build([[H, marker, { type: 'correction', data: { corrects: 0, note: 'x', by } }, CLOSE]]))).toContain('correction');
    expect(check(build([[H, marker, { type: 'correction', data: { corrects: 1, note: 'x', by } }, CLOSE]])).status).toBe('valid');
    const auth = { body: toHex(new Uint8Array([0x80])), signature: '00'.repeat(64) };
    expect(codes(build([[H, marker, { type: 'correction', data: { corrects: 1, note: 'x', by, authorization: auth } }, CLOSE]]))).toContain('correction');
  });

  it('an empty file is ignored; a journal with no records at all is reported empty', () => {
    const [f] = build([[H, marker, CLOSE]]);
    expect(verifyJournal([f, { name: 'journal/00000001.djl', bytes: new Uint8Array(0) }], pinned).status).toBe('valid');
    const r = verifyJournal([{ name: 'x.djl', bytes: new Uint8Array(0) }], pinned);
    expect(r).toMatchObject({ status: 'truncated', firstProblem: { code: 'empty' } });
  });

  it('a checkpoint signed over anything else than its own seq, head, times and reason fails', () => {
    const sig = deviceKey.sign(checkpointMessage({ device: DEVICE, seq: 99, head: GENESIS_HASH, wall: START, mono: 0, reason: 'close' }));
    const r = check(build([[H, marker, { type: CHECKPOINT, data: { reason: 'close', keyId: deviceKey.keyId, signature: sig } }]]));
    expect(r.firstProblem).toMatchObject({ code: 'signature', seq: 2 });
  });
});

function scanOffset(bytes: Uint8Array): number {
  // offset of the last frame's payload (header is 16 bytes): walk the frames
  let at = 0;
  let last = 0;
  while (at < bytes.length) {
    const len = bytes[at + 4] | (bytes[at + 5] << 8) | (bytes[at + 6] << 16) | (bytes[at + 7] << 24);
    last = at + 16;
    at += 16 + len;
  }
  return last;
}
