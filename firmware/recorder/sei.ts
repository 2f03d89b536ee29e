/**
 * The segment identity SEI: an H.264 "user data unregistered" SEI message (payload type 5,
 * ITU-T H.264 D.1.6) at the start of every segment, carrying the device, camera, segment
 * number, start time and the SHA-256 of the previous segment. Because it sits inside the file,
 * the file's own hash covers it: changing, dropping or reordering any segment breaks the chain.
 * Decoders ignore unknown user data, so the segment plays anywhere (the same place Axis's
 * signed-video framework puts its signatures).
 */
import { ChecksumError } from '../../hal/errors.ts';
import { NAL, escapeRbsp, unescapeRbsp } from '../../hal/drivers/h264.ts';

/** 16-byte UUID of our SEI payload: the ASCII of "dozor-segment-v1". */
export const SEGMENT_SEI_UUID = new TextEncoder().encode('dozor-segment-v1');

export interface SegmentIdentity {
  v: 1;
  device: string;
  camera: string;
  segment: number;
  /** SHA-256 (hex) of the previous segment file of this camera; 64 zeros for the first. */
  prev: string;
  /** Device wall time of the first frame (ms since epoch). */
  startWall: number;
}

export function encodeSegmentSei(id: SegmentIdentity): Uint8Array {
  const data = new TextEncoder().encode(JSON.stringify(id));
  const size = SEGMENT_SEI_UUID.length + data.length;
  const rbsp: number[] = [5];
  let n = size;
  while (n >= 255) {
    rbsp.push(255);
    n -= 255;
  }
  rbsp.push(n, ...SEGMENT_SEI_UUID, ...data, 0x80);
  return Uint8Array.from([0, 0, 0, 1, NAL.SEI, ...escapeRbsp(Uint8Array.from(rbsp))]);
}

/**
 * Inserts `sei` into a GOP just before its first picture (after SPS/PPS), where SEI belongs in
 * an access unit. Returns a new buffer; the GOP itself is not changed.
 */
export function insertBeforeFirstPicture(gop: Uint8Array, sei: Uint8Array): Uint8Array {
  const at = firstVclOffset(gop);
  const out = new Uint8Array(gop.length + sei.length);
  out.set(gop.subarray(0, at), 0);
  out.set(sei, at);
  out.set(gop.subarray(at), at + sei.length);
  return out;
}

/** Offset of the start code of the first VCL NAL unit (slice), or 0 when there is none. */
function firstVclOffset(buf: Uint8Array): number {
  for (let i = 0; i + 3 < buf.length; i++) {
    if (buf[i] !== 0 || buf[i + 1] !== 0) continue;
    let len = 0;
    if (buf[i + 2] === 1) len = 3;
    else if (buf[i + 2] === 0 && buf[i + 3] === 1) len = 4;
    if (len === 0) continue;
    const type = buf[i + len] & 0x1f;
    if (type >= 1 && type <= 5) return i;
    i += len - 1;
  }
  return 0;
}

/** Finds and decodes our SEI among the first NAL units of a segment; null when absent. */
export function readSegmentSei(head: Uint8Array): SegmentIdentity | null {
  for (let i = 0; i + 4 < head.length; i++) {
    if (head[i] !== 0 || head[i + 1] !== 0 || head[i + 2] !== 1) continue;
    const type = head[i + 3] & 0x1f;
    if (type >= 1 && type <= 5) return null; // reached the first picture
    if (type !== NAL.SEI) continue;
    let end = head.length;
    for (let j = i + 4; j + 2 < head.length; j++) {
      if (head[j] === 0 && head[j + 1] === 0 && (head[j + 2] === 1 || (head[j + 2] === 0 && head[j + 3] === 1))) {
        end = j;
        break;
      }
    }
    const rbsp = unescapeRbsp(head.subarray(i + 4, end));
    const id = parseUserData(rbsp);
    if (id) return id;
  }
  return null;
}

function parseUserData(rbsp: Uint8Array): SegmentIdentity | null {
  let p = 0;
  let type = 0;
  while (rbsp[p] === 255) type += rbsp[p++];
  type += rbsp[p++];
  let size = 0;
  while (rbsp[p] === 255) size += rbsp[p++];
  size += rbsp[p++];
  if (type !== 5 || size < 16 || p + size > rbsp.length) return null;
  for (let k = 0; k < 16; k++) if (rbsp[p + k] !== SEGMENT_SEI_UUID[k]) return null;
  try {
    const id = JSON.parse(new TextDecoder().decode(rbsp.subarray(p + 16, p + size))) as SegmentIdentity;
    if (id.v !== 1 || typeof id.prev !== 'string' || typeof id.segment !== 'number') throw new ChecksumError('segment SEI', 'bad fields');
    return id;
  } catch {
    return null;
  }
}
