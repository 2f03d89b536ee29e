/**
 * H.264 Annex-B byte-stream handling shared by the real camera (rpicam-vid on stdout) and the
 * simulated one: NAL unit splitting, access-unit and GOP grouping into keyframe-aligned
 * `VideoChunk`s, emulation prevention, and SPS encode/parse (ITU-T H.264 §7.3.2.1.1).
 *
 * Why GOP chunks: the recorder may only cut a segment at an IDR frame, and a chunk that starts
 * with SPS + PPS + IDR is independently decodable, so every segment file plays on its own.
 */
import { ChecksumError } from '../errors.ts';

export const NAL = { SLICE: 1, IDR: 5, SEI: 6, SPS: 7, PPS: 8, AUD: 9 } as const;

export interface NalUnit {
  type: number;
  refIdc: number;
  /** Offset of the start code in the stream buffer. */
  start: number;
  /** Offset just after the NAL's last byte. */
  end: number;
  /** Length of the start code (3 or 4). */
  prefix: number;
}

/** Offsets of every start code (00 00 01, or 00 00 00 01 when preceded by a zero) in `buf`. */
export function findStartCodes(buf: Uint8Array, from = 0): Array<{ at: number; len: number }> {
  const out: Array<{ at: number; len: number }> = [];
  const n = buf.length;
  let i = from;
  while (i + 2 < n) {
    // Skip fast: a start code needs buf[i+2] == 1 with two zeros before it.
    const b2 = buf[i + 2];
    if (b2 > 1) {
      i += 3;
      continue;
    }
    if (b2 === 1 && buf[i] === 0 && buf[i + 1] === 0) {
      const four = i > 0 && buf[i - 1] === 0;
      out.push({ at: four ? i - 1 : i, len: four ? 4 : 3 });
      i += 3;
      continue;
    }
    i += 1;
  }
  return out;
}

/** Splits a complete Annex-B buffer into NAL units. */
export function splitNalUnits(buf: Uint8Array): NalUnit[] {
  const codes = findStartCodes(buf);
  const units: NalUnit[] = [];
  for (let k = 0; k < codes.length; k++) {
    const { at, len } = codes[k];
    const end = k + 1 < codes.length ? codes[k + 1].at : buf.length;
    const header = buf[at + len];
    if (header === undefined || end <= at + len) continue;
    units.push({ type: header & 0x1f, refIdc: (header >> 5) & 3, start: at, end, prefix: len });
  }
  return units;
}

const isVcl = (type: number) => type >= 1 && type <= 5;

export interface GopChunk {
  data: Uint8Array;
  frames: number;
  /** True when the chunk starts at an IDR access unit. */
  keyframe: boolean;
}

/**
 * Streaming GOP assembler: feed stream bytes in any split; complete GOPs come out once the next
 * GOP's first NAL has been seen (or on `flush`). Memory is bounded by `maxGopBytes`.
 */
export class GopAssembler {
  private buf = new Uint8Array(0);
  private len = 0;
  /** Offset where the current GOP starts in `buf`, or -1 before the first IDR. */
  private gopStart = -1;
  private frames = 0;
  private sawVclInAu = false;
  /** Start of the non-VCL NALs (SPS/PPS/SEI/AUD) that open the next access unit. */
  private pendingAuStart = -1;
  /** The last start code seen; its NAL ends where the next start code begins. */
  private lastCode: { at: number; len: number } | null = null;
  private scanFrom = 0;
  /** Bytes dropped before the first IDR (a stream must start at a keyframe to be decodable). */
  droppedLeadingBytes = 0;
  private hadGop = false;

  constructor(
    private readonly onGop: (gop: GopChunk) => void,
    private readonly maxGopBytes = 64 * 1024 * 1024,
  ) {}

  push(data: Uint8Array): void {
    this.append(data);
    for (const c of findStartCodes(this.buf.subarray(0, this.len), this.scanFrom)) {
      if (this.lastCode) this.handleNal(this.lastCode, c.at);
      this.lastCode = c;
    }
    // A start code may straddle two pushes: re-scan the tail next time.
    this.scanFrom = Math.max(this.lastCode ? this.lastCode.at + this.lastCode.len : 0, this.len - 3);
    this.compact();
    if (this.gopStart >= 0 && this.len - this.gopStart > this.maxGopBytes) {
      throw new ChecksumError('H.264 stream', `GOP exceeds ${this.maxGopBytes} bytes without a new IDR frame`);
    }
  }

  /** Emits the last GOP (the stream ended or the camera stopped). */
  flush(): void {
    if (this.lastCode) this.handleNal(this.lastCode, this.len);
    if (this.gopStart >= 0) {
      if (this.sawVclInAu) this.frames += 1;
      if (this.frames > 0) this.onGop({ data: this.buf.slice(this.gopStart, this.len), frames: this.frames, keyframe: true });
    }
    this.len = 0;
    this.gopStart = -1;
    this.frames = 0;
    this.sawVclInAu = false;
    this.pendingAuStart = -1;
    this.lastCode = null;
    this.scanFrom = 0;
    this.hadGop = false;
  }

  private handleNal(c: { at: number; len: number }, end: number): void {
    if (end <= c.at + c.len) return;
    const header = this.buf[c.at + c.len];
    const type = header & 0x1f;
    const vcl = isVcl(type);
    // Access-unit boundary (§7.4.1.2.3, as the encoders we meet produce it): after a picture, any
    // non-VCL NAL or a slice with first_mb_in_slice == 0 starts the next access unit.
    if (this.sawVclInAu && (!vcl || (this.buf[c.at + c.len + 1] & 0x80) !== 0)) {
      this.frames += 1;
      this.sawVclInAu = false;
      this.pendingAuStart = -1;
    }
    if (!vcl) {
      if (this.pendingAuStart < 0) this.pendingAuStart = c.at;
      return;
    }
    if (type === NAL.IDR && !this.sawVclInAu) {
      const auStart = this.pendingAuStart >= 0 ? this.pendingAuStart : c.at;
      if (this.gopStart >= 0 && this.frames > 0) {
        this.onGop({ data: this.buf.slice(this.gopStart, auStart), frames: this.frames, keyframe: true });
      }
      if (!this.hadGop) {
        this.droppedLeadingBytes += auStart;
        this.hadGop = true;
      }
      this.gopStart = auStart;
      this.frames = 0;
    }
    this.sawVclInAu = true;
    this.pendingAuStart = -1;
  }

  /** Drops bytes no GOP needs any more and rebases offsets. */
  private compact(): void {
    // Before any start code, keep the last 3 bytes: they may begin one.
    const keep =
      this.gopStart >= 0 ? this.gopStart : this.pendingAuStart >= 0 ? this.pendingAuStart : this.lastCode ? this.lastCode.at : Math.max(0, this.len - 3);
    if (keep <= 0) return;
    if (!this.hadGop) this.droppedLeadingBytes += keep;
    this.buf.copyWithin(0, keep, this.len);
    this.len -= keep;
    if (this.gopStart >= 0) this.gopStart -= keep;
    if (this.pendingAuStart >= 0) this.pendingAuStart -= keep;
    if (this.lastCode) this.lastCode = { at: this.lastCode.at - keep, len: this.lastCode.len };
    this.scanFrom = Math.max(0, this.scanFrom - keep);
  }

  private append(data: Uint8Array): void {
    if (this.len + data.length > this.buf.length) {
      const grown = new Uint8Array(Math.max(this.len + data.length, this.buf.length * 2, 4096));
      grown.set(this.buf.subarray(0, this.len));
      this.buf = grown;
    }
    this.buf.set(data, this.len);
    this.len += data.length;
  }
}

// ---- emulation prevention (§7.4.1) ----

/** RBSP → NAL payload: inserts 0x03 after two zeros when the next byte is ≤ 3. */
export function escapeRbsp(rbsp: Uint8Array): Uint8Array {
  const out: number[] = [];
  let zeros = 0;
  for (const b of rbsp) {
    if (zeros >= 2 && b <= 3) {
      out.push(3);
      zeros = 0;
    }
    out.push(b);
    zeros = b === 0 ? zeros + 1 : 0;
  }
  return Uint8Array.from(out);
}

/** NAL payload → RBSP: removes emulation-prevention bytes. */
export function unescapeRbsp(payload: Uint8Array): Uint8Array {
  const out = new Uint8Array(payload.length);
  let n = 0;
  let zeros = 0;
  for (let i = 0; i < payload.length; i++) {
    const b = payload[i];
    if (zeros >= 2 && b === 3) {
      zeros = 0;
      continue;
    }
    out[n++] = b;
    zeros = b === 0 ? zeros + 1 : 0;
  }
  return out.slice(0, n);
}

// ---- Exp-Golomb bit I/O ----

export class BitWriter {
  private bytes: number[] = [];
  private cur = 0;
  private nbits = 0;

  bit(b: number): void {
    this.cur = (this.cur << 1) | (b & 1);
    this.nbits += 1;
    if (this.nbits === 8) {
      this.bytes.push(this.cur);
      this.cur = 0;
      this.nbits = 0;
    }
  }

  bits(value: number, count: number): void {
    for (let i = count - 1; i >= 0; i--) this.bit((value >>> i) & 1);
  }

  ue(value: number): void {
    const v = value + 1;
    const len = 32 - Math.clz32(v);
    this.bits(0, len - 1);
    this.bits(v, len);
  }

  se(value: number): void {
    this.ue(value <= 0 ? -2 * value : 2 * value - 1);
  }

  /** rbsp_trailing_bits: a 1 then zeros to the byte boundary. */
  trailing(): Uint8Array {
    this.bit(1);
    while (this.nbits !== 0) this.bit(0);
    return Uint8Array.from(this.bytes);
  }
}

export class BitReader {
  private pos = 0;

  constructor(private readonly data: Uint8Array) {}

  bit(): number {
    const byte = this.data[this.pos >> 3];
    if (byte === undefined) throw new ChecksumError('H.264 bitstream', 'read past the end of the NAL unit');
    const b = (byte >> (7 - (this.pos & 7))) & 1;
    this.pos += 1;
    return b;
  }

  bits(count: number): number {
    let v = 0;
    for (let i = 0; i < count; i++) v = v * 2 + this.bit();
    return v;
  }

  ue(): number {
    let zeros = 0;
    while (this.bit() === 0) {
      zeros += 1;
      if (zeros > 31) throw new ChecksumError('H.264 bitstream', 'invalid Exp-Golomb code');
    }
    return 2 ** zeros - 1 + this.bits(zeros);
  }

  se(): number {
    const k = this.ue();
    return k % 2 === 1 ? (k + 1) / 2 : -(k / 2);
  }
}

// ---- SPS ----

export interface SpsInfo {
  profileIdc: number;
  levelIdc: number;
  width: number;
  height: number;
}

/** A baseline/main-profile SPS NAL (with start code) for a progressive frame size. */
export function encodeSps(info: { width: number; height: number; profileIdc?: number; levelIdc?: number }): Uint8Array {
  const profile = info.profileIdc ?? 66;
  const level = info.levelIdc ?? 31;
  const mbW = Math.ceil(info.width / 16);
  const mbH = Math.ceil(info.height / 16);
  const w = new BitWriter();
  w.bits(profile, 8);
  w.bits(0b11000000, 8); // constraint_set0/1 (baseline-compatible)
  w.bits(level, 8);
  w.ue(0); // seq_parameter_set_id
  w.ue(0); // log2_max_frame_num_minus4
  w.ue(2); // pic_order_cnt_type = 2
  w.ue(1); // max_num_ref_frames
  w.bit(0); // gaps_in_frame_num_value_allowed_flag
  w.ue(mbW - 1);
  w.ue(mbH - 1);
  w.bit(1); // frame_mbs_only_flag
  w.bit(1); // direct_8x8_inference_flag
  const cropR = mbW * 16 - info.width;
  const cropB = mbH * 16 - info.height;
  if (cropR || cropB) {
    w.bit(1);
    w.ue(0);
    w.ue(cropR / 2);
    w.ue(0);
    w.ue(cropB / 2);
  } else {
    w.bit(0);
  }
  w.bit(0); // vui_parameters_present_flag
  const rbsp = w.trailing();
  return Uint8Array.from([0, 0, 0, 1, 0x67, ...escapeRbsp(rbsp)]);
}

/** Parses an SPS NAL payload (header byte included, start code excluded). */
export function parseSps(nal: Uint8Array): SpsInfo {
  if ((nal[0] & 0x1f) !== NAL.SPS) throw new ChecksumError('H.264 SPS', `NAL type ${nal[0] & 0x1f} is not an SPS`);
  const r = new BitReader(unescapeRbsp(nal.subarray(1)));
  const profileIdc = r.bits(8);
  r.bits(8);
  const levelIdc = r.bits(8);
  r.ue();
  let chromaFormatIdc = 1;
  if ([100, 110, 122, 244, 44, 83, 86, 118, 128, 138, 139, 134, 135].includes(profileIdc)) {
    chromaFormatIdc = r.ue();
    if (chromaFormatIdc === 3) r.bit();
    r.ue();
    r.ue();
    r.bit();
    if (r.bit()) {
      for (let i = 0; i < (chromaFormatIdc !== 3 ? 8 : 12); i++) {
        if (r.bit()) skipScalingList(r, i < 6 ? 16 : 64);
      }
    }
  }
  r.ue(); // log2_max_frame_num_minus4
  const pocType = r.ue();
  if (pocType === 0) r.ue();
  else if (pocType === 1) {
    r.bit();
    r.se();
    r.se();
    const n = r.ue();
    for (let i = 0; i < n; i++) r.se();
  }
  r.ue(); // max_num_ref_frames
  r.bit();
  const mbW = r.ue() + 1;
  const mapH = r.ue() + 1;
  const frameMbsOnly = r.bit();
  if (!frameMbsOnly) r.bit();
  r.bit();
  let cropL = 0;
  let cropR = 0;
  let cropT = 0;
  let cropB = 0;
  if (r.bit()) {
    cropL = r.ue();
    cropR = r.ue();
    cropT = r.ue();
    cropB = r.ue();
  }
  const subW = chromaFormatIdc === 3 || chromaFormatIdc === 0 ? 1 : 2;
  const subH = chromaFormatIdc === 1 ? 2 : 1;
  const heightMul = 2 - frameMbsOnly;
  return {
    profileIdc,
    levelIdc,
    width: mbW * 16 - subW * (cropL + cropR),
    height: heightMul * mapH * 16 - subH * heightMul * (cropT + cropB),
  };
}

function skipScalingList(r: BitReader, size: number): void {
  let last = 8;
  let next = 8;
  for (let j = 0; j < size; j++) {
    if (next !== 0) next = (last + r.se() + 256) % 256;
    last = next === 0 ? last : next;
  }
}

/** A PPS NAL (with start code) matching `encodeSps` (CAVLC, one slice group). */
export function encodePps(): Uint8Array {
  const w = new BitWriter();
  w.ue(0); // pic_parameter_set_id
  w.ue(0); // seq_parameter_set_id
  w.bit(0); // entropy_coding_mode_flag (CAVLC)
  w.bit(0); // bottom_field_pic_order_in_frame_present_flag
  w.ue(0); // num_slice_groups_minus1
  w.ue(0); // num_ref_idx_l0_default_active_minus1
  w.ue(0); // num_ref_idx_l1_default_active_minus1
  w.bit(0); // weighted_pred_flag
  w.bits(0, 2); // weighted_bipred_idc
  w.se(0); // pic_init_qp_minus26
  w.se(0); // pic_init_qs_minus26
  w.se(0); // chroma_qp_index_offset
  w.bit(1); // deblocking_filter_control_present_flag
  w.bit(0); // constrained_intra_pred_flag
  w.bit(0); // redundant_pic_cnt_present_flag
  return Uint8Array.from([0, 0, 0, 1, 0x68, ...escapeRbsp(w.trailing())]);
}
