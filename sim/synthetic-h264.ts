/**
 * A cheap, structurally valid H.264 Annex-B stream for long simulated shifts: every GOP is
 * SPS + PPS + an IDR slice + P slices, with real parameter sets for the frame size
 * (`encodeSps`/`encodePps`), correct NAL and slice headers (first_mb_in_slice, slice_type,
 * frame_num, idr_pic_id, ref-pic marking, QP and deblocking fields as the PPS/SPS require), and
 * slice data taken from a seeded pool of pseudo-random bytes that can never emulate a start
 * code. Parsers, GOP assemblers, segmenters, hashers and `ffprobe -show_streams` see a normal
 * stream; a decoder would reject the macroblock data, which is random.
 *
 * Cost: all headers are built once per stream configuration; a GOP is one copy from the pool
 * into a shared slab plus a few header bytes per frame, so 8 hours of 320×240 @ 15 fps cost tens
 * of milliseconds, not seconds. About a third of that is the kernel handing out fresh pages for the
 * 57.6 MB; the rest is the per-frame header loop.
 */
import { BitWriter, encodePps, encodeSps, escapeRbsp } from '../hal/drivers/h264.ts';
import type { VideoOptions } from '../hal/camera.ts';
import { SeededRandom } from './random.ts';

/** log2_max_frame_num as `encodeSps` writes it (log2_max_frame_num_minus4 = 0). */
const FRAME_NUM_BITS = 4;
const MAX_FRAME_NUM = 1 << FRAME_NUM_BITS;
/** How much bigger an I-frame is than a P-frame at the same quality (low-motion scene). */
const I_TO_P_RATIO = 6;
const POOL_BYTES = 256 * 1024;
const MIN_SLICE_PAYLOAD = 4;
const JITTER_MASK = 4095;
const SLAB_BYTES = 4 * 1024 * 1024;

const pools = new Map<number, Uint8Array>();

/**
 * Seeded pseudo-random bytes with no two zero bytes in a row: such data can hold no start code
 * (00 00 01) and needs no emulation-prevention bytes, so any window of it is valid slice data.
 */
export function payloadPool(seed: number): Uint8Array {
  let pool = pools.get(seed);
  if (pool) return pool;
  pool = new SeededRandom(seed ^ 0x5eed264).bytes(POOL_BYTES);
  for (let i = 1; i < pool.length; i++) if (pool[i] === 0 && pool[i - 1] === 0) pool[i] = 0x80 | (i & 0x7f);
  // Non-zero ends, so windows that wrap around the pool cannot join two zeros either.
  pool[0] |= 1;
  pool[pool.length - 1] |= 1;
  if (pools.size >= 16) pools.delete(pools.keys().next().value!);
  pools.set(seed, pool);
  return pool;
}

/** A slice NAL's start code, header byte and slice header, padded to a byte boundary. */
function sliceHeader(idr: boolean, frameNum: number, idrPicId: number): Uint8Array {
  const w = new BitWriter();
  w.ue(0); // first_mb_in_slice: each picture is one slice
  w.ue(idr ? 7 : 5); // slice_type: I or P, all slices of the picture alike
  w.ue(0); // pic_parameter_set_id
  w.bits(frameNum, FRAME_NUM_BITS);
  if (idr) w.ue(idrPicId);
  // pic_order_cnt_type 2: no POC fields.
  if (!idr) {
    w.bit(0); // num_ref_idx_active_override_flag
    w.bit(0); // ref_pic_list_modification_flag_l0
  }
  // dec_ref_pic_marking (every picture is a reference picture)
  if (idr) {
    w.bit(0); // no_output_of_prior_pics_flag
    w.bit(0); // long_term_reference_flag
  } else {
    w.bit(0); // adaptive_ref_pic_marking_mode_flag
  }
  w.se(0); // slice_qp_delta
  w.ue(0); // disable_deblocking_filter_idc (deblocking_filter_control_present_flag = 1)
  w.se(0); // slice_alpha_c0_offset_div2
  w.se(0); // slice_beta_offset_div2
  // The padding bit pattern is the first bits of (random) slice data; no alignment is required.
  const header = escapeRbsp(w.trailing());
  // nal_ref_idc 3 for IDR, 2 for P; nal_unit_type 5 or 1.
  return Uint8Array.from([0, 0, 0, 1, idr ? 0x65 : 0x41, ...header]);
}

export interface SyntheticGop {
  data: Uint8Array;
  frames: number;
}

/** Generates GOP n of a synthetic stream; GOPs are independent, so any can be made on demand. */
export class SyntheticH264 {
  private readonly params: Uint8Array;
  private readonly idrHeaders: [Uint8Array, Uint8Array];
  private readonly pHeaders: Uint8Array[];
  private readonly pool: Uint8Array;
  /** Slice payload budget per GOP (bytes), before jitter. */
  private readonly payloadPerGop: number;
  private readonly frames: number;
  private readonly seed: number;
  private slab = new Uint8Array(0);
  private slabUsed = 0;
  private readonly jitter: Float64Array;
  private readonly pHeaderLength: number;

  constructor(options: VideoOptions, seed: number) {
    this.frames = options.keyframeInterval;
    this.seed = seed >>> 0;
    // Per-frame size factors 0.75–1.25, drawn once: a GOP reads a run of them.
    const rnd = new SeededRandom(this.seed ^ 0x717e);
    this.jitter = Float64Array.from({ length: JITTER_MASK + 1 }, () => 0.75 + 0.5 * rnd.next());
    const sps = encodeSps({ width: options.width, height: options.height });
    const pps = encodePps();
    this.params = new Uint8Array(sps.length + pps.length);
    this.params.set(sps);
    this.params.set(pps, sps.length);
    // Consecutive IDR pictures must differ in idr_pic_id (§7.4.3): alternate 0/1 per GOP.
    this.idrHeaders = [sliceHeader(true, 0, 0), sliceHeader(true, 0, 1)];
    this.pHeaders = Array.from({ length: MAX_FRAME_NUM }, (_, n) => sliceHeader(false, n, 0));
    // frame_num is fixed-width, so every P header has the same length.
    this.pHeaderLength = this.pHeaders[0].length;
    if (this.pHeaders.some((h) => h.length !== this.pHeaderLength)) throw new Error('P slice headers differ in length');
    this.pool = payloadPool(this.seed);
    const gopBytes = (options.bitrate / 8) * (this.frames / options.fps);
    const headerBytes = this.params.length + this.idrHeaders[0].length + (this.frames - 1) * this.pHeaderLength;
    this.payloadPerGop = Math.max(this.frames * MIN_SLICE_PAYLOAD, Math.round(gopBytes - headerBytes));
  }

  gop(index: number): SyntheticGop {
    const frames = this.frames;
    const jitter = this.jitter;
    // One xorshift step per GOP picks its activity (±15 % of the budget), where in the jitter
    // table its frame sizes start, and where in the pool its bytes come from.
    let s = (Math.imul(index + 1, 0x9e3779b1) ^ this.seed) >>> 0 || 1;
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    const scale = 0.85 + 0.3 * ((s & 0xffff) / 0x10000);
    const j0 = s >>> 20;
    const unit = (this.payloadPerGop * scale) / (I_TO_P_RATIO + frames - 1);
    const idrHeader = this.idrHeaders[index & 1];
    const pHeaders = this.pHeaders;
    // Frame sizes are at most 1.25 × their share: reserve that much, fill it from the pool in
    // one copy, lay the parameter sets and slice headers over it in a single pass, and keep only
    // what was used (the rest of the reservation goes to the next GOP).
    const maxTotal =
      this.params.length + idrHeader.length + (frames - 1) * this.pHeaderLength + Math.ceil(unit * 1.25 * (I_TO_P_RATIO + frames - 1)) + frames * MIN_SLICE_PAYLOAD;
    const { slab, at } = this.reserve(maxTotal);
    this.fillFromPool(slab, at, maxTotal, Math.imul(s, 0x2c1b3c6d) >>> 14);
    slab.set(this.params, at);
    let pos = at + this.params.length;
    for (let f = 0; f < frames; f++) {
      const header = f === 0 ? idrHeader : pHeaders[f & (MAX_FRAME_NUM - 1)];
      // Headers are a few bytes: a plain loop beats a native set() call here.
      for (let k = 0; k < header.length; k++) slab[pos + k] = header[k];
      pos += header.length;
      // First byte non-zero: a header ending in 00 followed by 00 could start an emulated start
      // code. Last byte 0x80: the RBSP stop bit, and a NAL may not end in a zero byte.
      if (slab[pos] === 0) slab[pos] = 0x55;
      const size = ((f === 0 ? unit * I_TO_P_RATIO : unit) * jitter[(j0 + f) & JITTER_MASK]) | 0;
      pos += size < MIN_SLICE_PAYLOAD ? MIN_SLICE_PAYLOAD : size;
      slab[pos - 1] = 0x80;
    }
    this.slabUsed = pos;
    return { data: slab.subarray(at, pos), frames };
  }

  /**
   * GOPs are carved out of 4 MiB slabs: one small view per GOP instead of one zero-filled
   * off-heap allocation, which was the largest cost of a long run. A slab is freed when the
   * last chunk viewing it is.
   */
  private reserve(bytes: number): { slab: Uint8Array; at: number } {
    if (this.slabUsed + bytes > this.slab.length) {
      this.slab = new Uint8Array(Math.max(SLAB_BYTES, bytes));
      this.slabUsed = 0;
    }
    return { slab: this.slab, at: this.slabUsed };
  }

  private fillFromPool(out: Uint8Array, at: number, bytes: number, from: number): void {
    const pool = this.pool;
    let pos = 0;
    while (pos < bytes) {
      const n = Math.min(bytes - pos, pool.length - from);
      out.set(n === pool.length && from === 0 ? pool : pool.subarray(from, from + n), at + pos);
      pos += n;
      from = 0;
    }
  }
}
