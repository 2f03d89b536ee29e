/**
 * The segment index: a line-oriented sidecar (`NNNNNNNN.idx`) next to each raw Annex-B segment
 * (`NNNNNNNN.h264`). Each line is `JSON<TAB>CRC32-hex<LF>`, so a torn tail after a power cut is
 * recognised and ignored. An index line for a GOP is written only after the GOP's bytes were
 * synced, so every valid `gop` line points at durable video: recovery truncates the video to
 * the last one and the segment plays to that point. Markers (R-REC-8) are index lines too, so
 * the marker list travels with the recording.
 */
import { crc32 } from 'node:zlib';

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

export function encodeIndexLine(record: IndexRecord): Uint8Array {
  const json = JSON.stringify(record);
  const crc = crc32(json).toString(16).padStart(8, '0');
  return encoder.encode(`${json}\t${crc}\n`);
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
    const line = decoder.decode(bytes.subarray(pos, nl));
    const tab = line.lastIndexOf('\t');
    if (tab < 0) break;
    const json = line.slice(0, tab);
    if (crc32(json).toString(16).padStart(8, '0') !== line.slice(tab + 1)) break;
    let rec: IndexRecord;
    try {
      rec = JSON.parse(json) as IndexRecord;
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
