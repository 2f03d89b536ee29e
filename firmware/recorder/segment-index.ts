/**
 * The segment index: a line-oriented sidecar (`NNNNNNNN.idx`) next to each raw Annex-B segment
 * (`NNNNNNNN.h264`). Each line is `JSON<TAB>CRC32-hex<LF>`, so a torn tail after a power cut is
 * recognised and ignored. An index line for a GOP is written only after the GOP's bytes were
 * synced, so every valid `gop` line points at durable video: recovery truncates the video to
 * the last one and the segment plays to that point. Markers (R-REC-8) are index lines too, so
 * the marker list travels with the recording.
 */

export interface HeadRecord {
  t: 'head';
  v: 1;
  device: string;
  camera: string;
  segment: number;
  prev: string;
  startWall: number;
  startMono: number;
  width: number;
  height: number;
  fps: number;
}

/** One GOP: byte range in the video file, capture time and length. */
export interface GopRecord {
  t: 'gop';
  /** GOP number within the segment. */
  i: number;
  /** Byte offset and length in the `.h264` file. */
  o: number;
  n: number;
  /** Monotonic capture time of the first frame, duration (ms) and frame count. */
  pts: number;
  d: number;
  f: number;
  m: 'day' | 'night';
}

export interface MarkRecord {
  t: 'mark';
  offsetMs: number;
  wall: number;
  mono: number;
  note?: string;
}

export interface CloseRecord {
  t: 'close';
  sha256: string;
  bytes: number;
  frames: number;
  durationMs: number;
  endWall: number;
  endMono: number;
  /** Closed by power-on recovery rather than in normal operation. */
  recovered?: boolean;
}

export type IndexRecord = HeadRecord | GopRecord | MarkRecord | CloseRecord;

const encoder = new TextEncoder();
const decoder = new TextDecoder();

const CRC_TABLE = (() => {
  const t = new Int32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c;
  }
  return t;
})();

/** CRC-32 (IEEE 802.3, as zlib) of `bytes[from, to)`. */
export function crc32(bytes: Uint8Array, from = 0, to = bytes.length): number {
  let c = -1;
  for (let i = from; i < to; i++) c = CRC_TABLE[(c ^ bytes[i]) & 0xff] ^ (c >>> 8);
  return (c ^ -1) >>> 0;
}

const HEX = '0123456789abcdef';

/** JSON of a record; GOP lines (one every couple of seconds) skip the generic serialiser. */
function toJson(r: IndexRecord): string {
  if (r.t === 'gop' && (r.m === 'day' || r.m === 'night')) {
    return `{"t":"gop","i":${num(r.i)},"o":${num(r.o)},"n":${num(r.n)},"pts":${num(r.pts)},"d":${num(r.d)},"f":${num(r.f)},"m":"${r.m}"}`;
  }
  return JSON.stringify(r);
}

function num(v: number): string {
  return Number.isFinite(v) ? String(v) : 'null';
}

export function encodeIndexLine(record: IndexRecord): Uint8Array {
  const json = toJson(record);
  // ASCII fast path (every line but a marker note with non-ASCII text): one pass, no encoder.
  let out = new Uint8Array(json.length + 10);
  let n = json.length;
  for (let i = 0; i < json.length; i++) {
    const ch = json.charCodeAt(i);
    if (ch > 0x7f) {
      const bytes = encoder.encode(json);
      out = new Uint8Array(bytes.length + 10);
      out.set(bytes);
      n = bytes.length;
      break;
    }
    out[i] = ch;
  }
  const crc = crc32(out, 0, n);
  out[n] = 0x09;
  for (let k = 0; k < 8; k++) out[n + 1 + k] = HEX.charCodeAt((crc >>> ((7 - k) * 4)) & 0xf);
  out[n + 9] = 0x0a;
  return out;
}

export interface ParsedIndex {
  records: IndexRecord[];
  /** Bytes of the index covered by valid lines; anything after is a torn tail. */
  validBytes: number;
}

/** Parses index lines up to the first damaged one. */
export function parseIndex(bytes: Uint8Array): ParsedIndex {
  const records: IndexRecord[] = [];
  let pos = 0;
  while (pos < bytes.length) {
    const nl = bytes.indexOf(0x0a, pos);
    if (nl < 0) break;
    const tab = bytes.lastIndexOf(0x09, nl);
    if (tab < pos || nl - tab !== 9) break;
    const crc = crc32(bytes, pos, tab).toString(16).padStart(8, '0');
    if (decoder.decode(bytes.subarray(tab + 1, nl)) !== crc) break;
    let rec: IndexRecord;
    try {
      rec = JSON.parse(decoder.decode(bytes.subarray(pos, tab))) as IndexRecord;
    } catch {
      break;
    }
    if (!rec || typeof rec !== 'object' || typeof rec.t !== 'string') break;
    records.push(rec);
    pos = nl + 1;
  }
  return { records, validBytes: pos };
}

/** File names of one segment of one camera under the video folder. */
export interface SegmentPaths {
  video: string;
  index: string;
  videoPart: string;
  indexPart: string;
}

export function segmentName(segment: number): string {
  return String(segment).padStart(8, '0');
}

export function segmentPaths(videoDir: string, camera: string, segment: number): SegmentPaths {
  const base = `${videoDir}/${camera}/${segmentName(segment)}`;
  return { video: `${base}.h264`, index: `${base}.idx`, videoPart: `${base}.h264.part`, indexPart: `${base}.idx.part` };
}

/** Segment number from a file name like `00000042.h264` or `00000042.idx.part`; null otherwise. */
export function segmentNumberOf(path: string): number | null {
  const m = /\/(\d{8})\.(h264|idx)(\.part)?$/.exec(path);
  return m ? Number(m[1]) : null;
}

export const ZERO_SHA256 = '0'.repeat(64);
