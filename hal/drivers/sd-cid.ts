/**
 * The SD Card Identification register (CID, 128 bits), as the SD Physical Layer spec lays it out
 * and as Linux decodes it (`drivers/mmc/core/sd.c` `mmc_decode_cid`, `UNSTUFF_BITS` offsets):
 *
 * | field | bits    | meaning                                   | sysfs (`/sys/block/mmcblkN/device/…`) |
 * |-------|---------|-------------------------------------------|----------------------------------------|
 * | MID   | 127:120 | manufacturer ID                           | `manfid` `0x%06x`                      |
 * | OID   | 119:104 | OEM/application ID (2 ASCII)              | `oemid` `0x%04x`                       |
 * | PNM   | 103:64  | product name (5 ASCII)                    | `name` `%s`                            |
 * | PRV   | 63:56   | product revision n.m (BCD)                | `hwrev` = 63:60, `fwrev` = 59:56 `0x%x`|
 * | PSN   | 55:24   | product serial number                     | `serial` `0x%08x`                      |
 * | —     | 23:20   | reserved                                  |                                        |
 * | MDT   | 19:8    | year = 19:12 + 2000, month = 11:8         | `date` `%02d/%04d`                     |
 * | CRC   | 7:1     | CRC7 (x⁷ + x³ + 1) of bits 127:8; bit 0 = 1 |                                      |
 *
 * SDHCI host controllers (the Raspberry Pi's among them) drop the CRC byte of 136-bit responses,
 * and the kernel shifts the response ("CRC is stripped so we need to do some shifting"), so on
 * those hosts the sysfs `cid` ends in `00`. A CRC byte always has bit 0 set, so `00` can only
 * mean "stripped": such a CID decodes with `crc: 'stripped'`; any other last byte must carry a
 * correct CRC7 or the CID is rejected with `ChecksumError`.
 */
import { ChecksumError, InvalidOptionsError } from '../errors.ts';

export interface SdCidFields {
  /** Manufacturer ID, 0–255 (0x03 SanDisk, 0x1B Samsung, 0x02 Kioxia are commonly reported). */
  mid: number;
  /** OEM/application ID, 16 bits (usually two ASCII letters, e.g. 0x5344 "SD"). */
  oid: number;
  /** Product name: exactly 5 characters with codes 0–255 (usually ASCII). */
  pnm: string;
  /** Product revision n.m: `hwrev` = major (0–15), `fwrev` = minor (0–15). */
  prv: { major: number; minor: number };
  /** Product serial number, unsigned 32 bits. */
  psn: number;
  /** Manufacturing date: year 2000–2255, month 0–15 (the spec uses 1–12; the kernel shows what is there). */
  mdt: { year: number; month: number };
}

export interface DecodedSdCid extends SdCidFields {
  /** The CID as 32 lower-case hex digits, exactly as read. */
  hex: string;
  /** OID as text (two characters), for display. */
  oidText: string;
  /** 'ok': the CRC7 byte matches; 'stripped': the host controller dropped it (last byte 00). */
  crc: 'ok' | 'stripped';
}

/**
 * CRC-7/MMC: polynomial x⁷ + x³ + 1 (0x09), initial value 0, MSB first, no final XOR.
 * Check values: CMD0 (`40 00 00 00 00`) → 0x4A; the synthetic CID in hardware-facts §9 → 0x5A.
 */
export function crc7(bytes: Uint8Array, length = bytes.length): number {
  let crc = 0;
  for (let i = 0; i < length; i++) {
    const b = bytes[i];
    for (let bit = 7; bit >= 0; bit--) {
      const feedback = ((crc >> 6) & 1) ^ ((b >> bit) & 1);
      crc = (crc << 1) & 0x7f;
      if (feedback) crc ^= 0x09;
    }
  }
  return crc;
}

const HEX32 = /^[0-9a-fA-F]{32}$/;

/** Parses 32 hex digits (surrounding whitespace allowed, as in a sysfs file) into 16 bytes. */
export function cidBytes(hex: string): Uint8Array {
  const h = hex.trim();
  if (!HEX32.test(h)) throw new ChecksumError('SD CID', `expected 32 hex digits, got ${JSON.stringify(hex.slice(0, 40))}`);
  const out = new Uint8Array(16);
  for (let i = 0; i < 16; i++) out[i] = parseInt(h.slice(i * 2, i * 2 + 2), 16);
  return out;
}

function latin1(bytes: Uint8Array): string {
  let s = '';
  for (const b of bytes) s += String.fromCharCode(b);
  return s;
}

/** Decodes a CID per the SD spec; rejects a malformed string or a wrong CRC7 with `ChecksumError`. */
export function decodeSdCid(hex: string): DecodedSdCid {
  const b = cidBytes(hex);
  let crc: DecodedSdCid['crc'];
  if (b[15] === 0) crc = 'stripped';
  else {
    const expected = (crc7(b, 15) << 1) | 1;
    if (b[15] !== expected) {
      throw new ChecksumError('SD CID', `CRC byte 0x${hex2(b[15])} does not match CRC7 0x${hex2(expected)} of the register`);
    }
    crc = 'ok';
  }
  const oid = (b[1] << 8) | b[2];
  return {
    hex: bytesToHex(b),
    mid: b[0],
    oid,
    oidText: latin1(b.subarray(1, 3)),
    pnm: latin1(b.subarray(3, 8)),
    prv: { major: b[8] >> 4, minor: b[8] & 0x0f },
    psn: ((b[9] << 24) | (b[10] << 16) | (b[11] << 8) | b[12]) >>> 0,
    // Bits 19:12 are the year offset, 11:8 the month (byte 13 holds reserved 23:20 + year high nibble).
    mdt: { year: 2000 + (((b[13] & 0x0f) << 4) | (b[14] >> 4)), month: b[14] & 0x0f },
    crc,
  };
}

export interface EncodeOptions {
  /** Write 00 instead of the CRC byte, as an SDHCI host reports it. */
  stripCrc?: boolean;
}

/** Builds the 32-hex-digit CID for these fields, with a correct CRC7 (for fakes and the simulator). */
export function encodeSdCid(fields: SdCidFields, options: EncodeOptions = {}): string {
  const { mid, oid, pnm, prv, psn, mdt } = fields;
  checkInt(mid, 'MID', 0, 0xff);
  checkInt(oid, 'OID', 0, 0xffff);
  if (typeof pnm !== 'string' || pnm.length !== 5 || [...pnm].some((c) => c.charCodeAt(0) > 0xff)) {
    throw new InvalidOptionsError(`PNM must be exactly 5 characters with codes 0–255, got ${JSON.stringify(pnm)}`);
  }
  checkInt(prv?.major, 'PRV major (hwrev)', 0, 15);
  checkInt(prv?.minor, 'PRV minor (fwrev)', 0, 15);
  checkInt(psn, 'PSN', 0, 0xffffffff);
  checkInt(mdt?.year, 'MDT year', 2000, 2255);
  checkInt(mdt?.month, 'MDT month', 0, 15);
  const b = new Uint8Array(16);
  b[0] = mid;
  b[1] = oid >> 8;
  b[2] = oid & 0xff;
  for (let i = 0; i < 5; i++) b[3 + i] = pnm.charCodeAt(i);
  b[8] = (prv.major << 4) | prv.minor;
  b[9] = psn >>> 24;
  b[10] = (psn >>> 16) & 0xff;
  b[11] = (psn >>> 8) & 0xff;
  b[12] = psn & 0xff;
  const y = mdt.year - 2000;
  b[13] = y >> 4;
  b[14] = ((y & 0x0f) << 4) | mdt.month;
  b[15] = options.stripCrc ? 0 : (crc7(b, 15) << 1) | 1;
  return bytesToHex(b);
}

/** The identity part of a CID (bits 127:8, 30 hex digits): the same card reads the same here whether or not its host strips the CRC. */
export function cidIdentity(hex: string): string {
  return cidBytes(hex).subarray(0, 15).reduce((s, b) => s + hex2(b), '');
}

/** The sysfs attribute files the kernel derives from a CID, formatted exactly as the kernel prints them (without the trailing newline). */
export interface SdCidSysfs {
  cid: string;
  manfid: string;
  oemid: string;
  name: string;
  hwrev: string;
  fwrev: string;
  serial: string;
  date: string;
}

export function sysfsAttributes(cid: DecodedSdCid): SdCidSysfs {
  const nul = cid.pnm.indexOf('\0');
  return {
    cid: cid.hex,
    manfid: `0x${cid.mid.toString(16).padStart(6, '0')}`,
    oemid: `0x${cid.oid.toString(16).padStart(4, '0')}`,
    // The kernel prints prod_name with %s: it stops at the first NUL.
    name: nul < 0 ? cid.pnm : cid.pnm.slice(0, nul),
    hwrev: `0x${cid.prv.major.toString(16)}`,
    fwrev: `0x${cid.prv.minor.toString(16)}`,
    serial: `0x${cid.psn.toString(16).padStart(8, '0')}`,
    date: `${String(cid.mdt.month).padStart(2, '0')}/${String(cid.mdt.year).padStart(4, '0')}`,
  };
}

export interface SysfsMismatch {
  attribute: keyof SdCidSysfs;
  expected: string;
  found: string;
}

/**
 * Compares the separately exported sysfs attributes with what the CID says. The kernel derives
 * both from one register, so any difference means a wrong path, a non-SD device (eMMC CIDs have
 * another layout) or a tampered tree. Values are compared numerically where the kernel prints
 * numbers, so leading zeros or case do not matter; `name` is compared byte for byte.
 * Attributes that are absent (undefined) are skipped.
 */
export function crossCheckSysfs(cid: DecodedSdCid, files: Partial<Record<keyof SdCidSysfs, string>>): SysfsMismatch[] {
  const want = sysfsAttributes(cid);
  const out: SysfsMismatch[] = [];
  for (const key of Object.keys(want) as (keyof SdCidSysfs)[]) {
    const raw = files[key];
    if (raw === undefined) continue;
    const found = raw.replace(/\n$/, '');
    if (!sameValue(key, want[key], found)) out.push({ attribute: key, expected: want[key], found });
  }
  return out;
}

function sameValue(key: keyof SdCidSysfs, expected: string, found: string): boolean {
  switch (key) {
    case 'name':
      return expected === found;
    case 'cid':
      return expected === found.trim().toLowerCase();
    case 'date': {
      const m = /^\s*(\d{1,2})\/(\d{1,4})\s*$/.exec(found);
      const [em, ey] = expected.split('/').map(Number);
      return m !== null && Number(m[1]) === em && Number(m[2]) === ey;
    }
    default: {
      const t = found.trim();
      return /^0x[0-9a-fA-F]+$/.test(t) && parseInt(t, 16) === parseInt(expected, 16);
    }
  }
}

function hex2(b: number): string {
  return b.toString(16).padStart(2, '0');
}

function bytesToHex(b: Uint8Array): string {
  let s = '';
  for (const x of b) s += hex2(x);
  return s;
}

function checkInt(v: unknown, what: string, min: number, max: number): void {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
    throw new InvalidOptionsError(`CID ${what} must be an integer in ${min}..${max}, got ${JSON.stringify(v)}`);
  }
}
