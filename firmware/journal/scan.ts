/**
 * Frame scanning shared by recovery (on open) and the verifier. Follows LevelDB's log reader
 * with one change: a bad frame is not assumed to be a torn tail unless nothing valid follows
 * it. Bytes that fail to frame are a torn tail only when no valid frame can be found after
 * them (a power cut leaves a prefix of what was written, perhaps followed by garbage, and
 * nothing after); a valid frame after bad bytes means damage in the middle of the file, which
 * is never cut away silently.
 */
import { FRAME_FAULT_TEXT, MAGIC, readFrameAt, type Frame, type FrameFault } from './format.ts';

export interface BadRegion {
  offset: number;
  /** Offset of the next valid frame, or the file length. */
  end: number;
  fault: FrameFault;
}

export type ScanEnd =
  /** The file ends exactly after its last frame. */
  | { kind: 'clean' }
  /** Only the bytes from `offset` to the end are bad, and nothing valid follows: a torn write. */
  | { kind: 'torn'; offset: number; bytes: number; fault: FrameFault }
  /** Bad bytes with valid frames after them (and possibly a torn tail as well). */
  | { kind: 'corrupt'; offset: number; bytes: number; fault: FrameFault };

export interface ScanResult {
  frames: Frame[];
  bad: BadRegion[];
  /** End of the last frame before the first bad byte (where a torn tail is cut). */
  validEnd: number;
  end: ScanEnd;
}

function findMagic(bytes: Uint8Array, from: number): number {
  const b0 = MAGIC[0];
  for (let i = bytes.indexOf(b0, from); i >= 0 && i + 4 <= bytes.length; i = bytes.indexOf(b0, i + 1)) {
    if (bytes[i + 1] === MAGIC[1] && bytes[i + 2] === MAGIC[2] && bytes[i + 3] === MAGIC[3]) return i;
  }
  return -1;
}

/** The next offset after `from` where a complete valid frame starts, or -1. */
function resync(bytes: Uint8Array, from: number): number {
  for (let i = findMagic(bytes, from); i >= 0; i = findMagic(bytes, i + 1)) {
    if (typeof readFrameAt(bytes, i) !== 'string') return i;
  }
  return -1;
}

export function scanFrames(bytes: Uint8Array): ScanResult {
  const frames: Frame[] = [];
  const bad: BadRegion[] = [];
  let at = 0;
  while (at < bytes.length) {
    const f = readFrameAt(bytes, at);
    if (typeof f !== 'string') {
      frames.push(f);
      at += f.size;
      continue;
    }
    const next = resync(bytes, at + 1);
    const end = next < 0 ? bytes.length : next;
    bad.push({ offset: at, end, fault: f });
    at = end;
  }
  const first = bad[0];
  const validEnd = first ? first.offset : bytes.length;
  let end: ScanEnd;
  if (!first) end = { kind: 'clean' };
  else if (bad.length === 1 && first.end === bytes.length) end = { kind: 'torn', offset: first.offset, bytes: bytes.length - first.offset, fault: first.fault };
  else end = { kind: 'corrupt', offset: first.offset, bytes: first.end - first.offset, fault: first.fault };
  return { frames, bad, validEnd, end };
}

export function describeFault(fault: FrameFault): string {
  return FRAME_FAULT_TEXT[fault];
}
