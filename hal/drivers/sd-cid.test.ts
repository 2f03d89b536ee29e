import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { cidIdentity, crc7, crossCheckSysfs, decodeSdCid, encodeSdCid, sysfsAttributes, type SdCidFields } from './sd-cid.ts';
import { ChecksumError, InvalidOptionsError } from '../errors.ts';
import { REAL_CARDS, REAL_EMMC, SYNTHETIC_CID } from '../../test/fixtures/real-sd-cids.ts';

const fieldsArb: fc.Arbitrary<SdCidFields> = fc.record({
  mid: fc.integer({ min: 0, max: 255 }),
  oid: fc.integer({ min: 0, max: 0xffff }),
  pnm: fc.array(fc.integer({ min: 0, max: 255 }), { minLength: 5, maxLength: 5 }).map((a) => String.fromCharCode(...a)),
  prv: fc.record({ major: fc.integer({ min: 0, max: 15 }), minor: fc.integer({ min: 0, max: 15 }) }),
  psn: fc.integer({ min: 0, max: 0xffffffff }),
  mdt: fc.record({ year: fc.integer({ min: 2000, max: 2255 }), month: fc.integer({ min: 0, max: 15 }) }),
});

function bitwiseCrc7(bits: number[]): number {
  // Polynomial long division, written independently of crc7(): remainder of M(x)·x⁷ / (x⁷+x³+1).
  const reg = [...bits, 0, 0, 0, 0, 0, 0, 0];
  const poly = [1, 0, 0, 0, 1, 0, 0, 1];
  for (let i = 0; i < bits.length; i++) {
    if (reg[i]) for (let j = 0; j < 8; j++) reg[i + j] ^= poly[j];
  }
  return reg.slice(-7).reduce((acc, b) => (acc << 1) | b, 0);
}

describe('CRC7 (x⁷ + x³ + 1)', () => {
  it('matches the SD spec check value: CMD0 frame → 0x4A', () => {
    expect(crc7(new Uint8Array([0x40, 0, 0, 0, 0]))).toBe(0x4a);
  });

  it('matches the CMD17 and CMD8 examples of the SD spec (0x2A, 0x43)', () => {
    expect(crc7(new Uint8Array([0x51, 0, 0, 0, 0]))).toBe(0x2a);
    expect(crc7(new Uint8Array([0x48, 0, 0, 0x01, 0xaa]))).toBe(0x43);
  });

  it('equals polynomial long division for any bytes (property)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 0, maxLength: 24 }), (bytes) => {
        const bits = [...bytes].flatMap((b) => [7, 6, 5, 4, 3, 2, 1, 0].map((i) => (b >> i) & 1));
        expect(crc7(bytes)).toBe(bitwiseCrc7(bits));
      }),
    );
  });

  it('detects every single-bit error in a CID (property)', () => {
    fc.assert(
      fc.property(fieldsArb, fc.integer({ min: 0, max: 119 }), (fields, bit) => {
        const bytes = Buffer.from(encodeSdCid(fields), 'hex');
        bytes[bit >> 3] ^= 0x80 >> (bit & 7);
        expect(() => decodeSdCid(bytes.toString('hex'))).toThrow(ChecksumError);
      }),
    );
  });
});

describe('SD CID decode (R-CARD-3)', () => {
  it('decodes the synthetic vector of hardware-facts §9', () => {
    const c = decodeSdCid(SYNTHETIC_CID);
    expect(c).toMatchObject({ mid: 3, oid: 0x5344, oidText: 'SD', pnm: 'SC32G', prv: { major: 8, minor: 0 }, psn: 0x1234abcd, mdt: { year: 2021, month: 6 }, crc: 'ok' });
  });

  for (const card of REAL_CARDS) {
    it(`decodes a real card and agrees with every attribute the kernel printed: ${card.label}`, () => {
      const c = decodeSdCid(card.cid);
      expect(c.crc).toBe(card.crc);
      expect(crossCheckSysfs(c, card.attrs)).toEqual([]);
      const printed = sysfsAttributes(c);
      for (const [k, v] of Object.entries(card.attrs)) expect(printed[k as keyof typeof printed]).toBe(v);
    });
  }

  it('decodes the Transcend card as the usbsdmux decoder did (PSN 1099086791, PRV 1.0, name with spaces)', () => {
    const c = decodeSdCid(REAL_CARDS[2].cid);
    expect(c).toMatchObject({ mid: 0x74, oidText: 'J`', pnm: 'USD  ', prv: { major: 1, minor: 0 }, psn: 1099086791, mdt: { year: 2016, month: 6 } });
  });

  it('an eMMC CID has a valid CRC but its sysfs attributes contradict the SD layout', () => {
    const asSd = decodeSdCid(REAL_EMMC.cid);
    const mismatches = crossCheckSysfs(asSd, REAL_EMMC.attrs).map((m) => m.attribute);
    expect(mismatches).toEqual(expect.arrayContaining(['name', 'serial', 'date']));
  });

  it('rejects a wrong CRC byte, and a CRC byte without its stop bit', () => {
    expect(() => decodeSdCid('275048534431364730da89b82900fb63')).toThrow(ChecksumError);
    expect(() => decodeSdCid('275048534431364730da89b82900fb60')).toThrow(/CRC/);
  });

  it('rejects strings that are not 32 hex digits', () => {
    for (const bad of ['', '0353', `${SYNTHETIC_CID}00`, 'zz53445343333247801234abcd0156b5']) {
      expect(() => decodeSdCid(bad)).toThrow(ChecksumError);
    }
  });

  it('accepts a sysfs file body with its trailing newline and upper-case digits', () => {
    expect(decodeSdCid(`${SYNTHETIC_CID.toUpperCase()}\n`).hex).toBe(SYNTHETIC_CID);
  });

  it('the identity (bits 127:8) is the same whether the host keeps or strips the CRC', () => {
    const fields = decodeSdCid(SYNTHETIC_CID);
    const stripped = encodeSdCid(fields, { stripCrc: true });
    expect(stripped.endsWith('00')).toBe(true);
    expect(cidIdentity(stripped)).toBe(cidIdentity(SYNTHETIC_CID));
    expect(cidIdentity(SYNTHETIC_CID)).toBe(SYNTHETIC_CID.slice(0, 30));
  });
});

describe('SD CID encode', () => {
  it('reproduces every real CID that kept its CRC, and the synthetic vector', () => {
    for (const hex of [SYNTHETIC_CID, REAL_CARDS[0].cid]) expect(encodeSdCid(decodeSdCid(hex))).toBe(hex);
    for (const card of REAL_CARDS.filter((c) => c.crc === 'stripped')) {
      expect(encodeSdCid(decodeSdCid(card.cid), { stripCrc: true })).toBe(card.cid);
    }
  });

  it('round-trips any field values (property)', () => {
    fc.assert(
      fc.property(fieldsArb, fc.boolean(), (fields, stripCrc) => {
        const d = decodeSdCid(encodeSdCid(fields, { stripCrc }));
        expect({ mid: d.mid, oid: d.oid, pnm: d.pnm, prv: d.prv, psn: d.psn, mdt: d.mdt }).toEqual(fields);
        expect(d.crc).toBe(stripCrc ? 'stripped' : 'ok');
      }),
    );
  });

  it('rejects field values that do not fit the register', () => {
    const ok = decodeSdCid(SYNTHETIC_CID);
    expect(() => encodeSdCid({ ...ok, mid: 256 })).toThrow(InvalidOptionsError);
    expect(() => encodeSdCid({ ...ok, pnm: 'SC32' })).toThrow(InvalidOptionsError);
    expect(() => encodeSdCid({ ...ok, pnm: 'SC32Ж' })).toThrow(InvalidOptionsError);
    expect(() => encodeSdCid({ ...ok, psn: 2 ** 32 })).toThrow(InvalidOptionsError);
    expect(() => encodeSdCid({ ...ok, mdt: { year: 1999, month: 1 } })).toThrow(InvalidOptionsError);
    expect(() => encodeSdCid({ ...ok, prv: { major: 16, minor: 0 } })).toThrow(InvalidOptionsError);
  });
});

describe('sysfs cross-check', () => {
  const c = decodeSdCid(REAL_CARDS[0].cid);

  it('names each attribute that disagrees with the CID', () => {
    const m = crossCheckSysfs(c, { serial: '0xda89b82a\n', name: 'SD16G\n', manfid: '0x000003\n' });
    expect(m).toEqual([
      { attribute: 'manfid', expected: '0x000027', found: '0x000003' },
      { attribute: 'serial', expected: '0xda89b829', found: '0xda89b82a' },
    ]);
  });

  it('compares numbers by value and the name byte for byte (trailing spaces count)', () => {
    expect(crossCheckSysfs(c, { serial: '0xDA89B829', date: '11/2015', hwrev: '0x03' })).toEqual([]);
    const t = decodeSdCid(REAL_CARDS[2].cid);
    expect(crossCheckSysfs(t, { name: 'USD  \n' })).toEqual([]);
    expect(crossCheckSysfs(t, { name: 'USD\n' })).toHaveLength(1);
  });

  it('prints a product name with a NUL the way the kernel does (%s stops at it)', () => {
    const withNul = decodeSdCid(encodeSdCid({ ...c, pnm: 'AB\0CD' }));
    expect(sysfsAttributes(withNul).name).toBe('AB');
  });
});
