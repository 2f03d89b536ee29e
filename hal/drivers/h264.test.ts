import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { execFileSync } from 'node:child_process';
import { GopAssembler, NAL, encodePps, encodeSps, escapeRbsp, findStartCodes, parseSps, splitNalUnits, unescapeRbsp, type GopChunk } from './h264.ts';

const nal = (header: number, payload: number[]) => Uint8Array.from([0, 0, 0, 1, header, ...escapeRbsp(Uint8Array.from(payload))]);
const idr = (extra: number[] = [1, 2, 3]) => nal(0x65, [0x88, ...extra]);
const slice = (firstMb = true, extra: number[] = [9, 0, 0, 1, 7]) => nal(0x41, [firstMb ? 0x9a : 0x40, ...extra]);
const concat = (parts: Uint8Array[]) => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
};
/** A stream of `gops` GOPs with `frames` frames each; every picture split into `slices` slices. */
function stream(gops: number, frames: number, slices = 1): Uint8Array {
  const parts: Uint8Array[] = [];
  for (let g = 0; g < gops; g++) {
    parts.push(encodeSps({ width: 320, height: 240 }), encodePps(), idr([g]));
    for (let s = 1; s < slices; s++) parts.push(nal(0x65, [0x40, s]));
    for (let f = 1; f < frames; f++) {
      parts.push(slice(true, [g, f]));
      for (let s = 1; s < slices; s++) parts.push(slice(false, [s]));
    }
  }
  return concat(parts);
}
const assemble = (data: Uint8Array, splits: number[] = []) => {
  const out: GopChunk[] = [];
  const a = new GopAssembler((g) => out.push(g));
  let pos = 0;
  for (const s of splits) {
    const end = Math.min(data.length, pos + s);
    a.push(data.subarray(pos, end));
    pos = end;
  }
  a.push(data.subarray(pos));
  a.flush();
  return out;
};

describe('H.264 Annex-B', () => {
  it('escapes RBSP so no start code can appear inside a NAL, and unescapes back', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (rbsp) => {
        const esc = escapeRbsp(rbsp);
        expect(findStartCodes(Uint8Array.from([0xff, ...esc, 0xff]))).toEqual([]);
        expect([...unescapeRbsp(esc)]).toEqual([...rbsp]);
      }),
    );
  });

  it('encodes an SPS that parses back to the same frame size', () => {
    fc.assert(
      fc.property(fc.integer({ min: 8, max: 1000 }), fc.integer({ min: 8, max: 600 }), (w2, h2) => {
        const width = w2 * 2;
        const height = h2 * 2;
        const sps = encodeSps({ width, height });
        const units = splitNalUnits(sps);
        expect(units).toHaveLength(1);
        expect(units[0].type).toBe(NAL.SPS);
        expect(parseSps(sps.subarray(4))).toMatchObject({ width, height, profileIdc: 66 });
      }),
    );
  });

  it('groups a stream into keyframe-aligned GOPs whatever the read sizes (R-REC-1: segments cut at keyframes)', () => {
    const data = stream(5, 7, 2);
    const whole = assemble(data);
    expect(whole.map((g) => g.frames)).toEqual([7, 7, 7, 7, 7]);
    expect(concat(whole.map((g) => g.data))).toEqual(data);
    for (const g of whole) expect(splitNalUnits(g.data).map((u) => u.type).slice(0, 3)).toEqual([NAL.SPS, NAL.PPS, NAL.IDR]);
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 40 }), { maxLength: 200 }), (splits) => {
        const got = assemble(data, splits);
        expect(got.map((g) => g.frames)).toEqual([7, 7, 7, 7, 7]);
        expect(concat(got.map((g) => g.data))).toEqual(data);
      }),
    );
  });

  it('drops bytes before the first IDR and counts them', () => {
    const data = concat([slice(), slice(), stream(2, 3)]);
    const out: GopChunk[] = [];
    const a = new GopAssembler((g) => out.push(g));
    a.push(data);
    a.flush();
    expect(out.map((g) => g.frames)).toEqual([3, 3]);
    expect(a.droppedLeadingBytes).toBe(slice().length * 2);
  });

  it('splits a real ffmpeg/libx264 stream into its GOPs', () => {
    const h264 = execFileSync('ffmpeg', [
      '-hide_banner', '-loglevel', 'error', '-f', 'lavfi', '-i', 'testsrc2=size=160x120:rate=10', '-t', '3',
      '-c:v', 'libx264', '-preset', 'ultrafast', '-g', '10', '-keyint_min', '10', '-sc_threshold', '0', '-bf', '0',
      '-x264-params', 'repeat-headers=1', '-f', 'h264', '-',
    ]);
    const gops = assemble(new Uint8Array(h264), [4096, 4096, 100, 7]);
    expect(gops.map((g) => g.frames)).toEqual([10, 10, 10]);
    const sps = splitNalUnits(gops[0].data).find((u) => u.type === NAL.SPS)!;
    expect(parseSps(gops[0].data.subarray(sps.start + sps.prefix, sps.end))).toMatchObject({ width: 160, height: 120 });
  });
});
