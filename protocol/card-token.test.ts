import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { CardTokenError, decodeCardToken, signCardToken, verifyCardToken, type CardTokenBody } from './card-token.ts';
import { Ed25519PrivateKey, deriveTestSeed, toHex } from './crypto.ts';

const device = new Ed25519PrivateKey(deriveTestSeed('device BC-0001'));
const other = new Ed25519PrivateKey(deriveTestSeed('device BC-0002'));

const body: Omit<CardTokenBody, 'deviceKeyId'> = {
  cidIdentity: '0353445343333247801234abcd0156',
  deviceSerial: 'BC-0001',
  deviceInventoryNumber: 'INV-BC-0001',
  cardInventoryNumber: 'INV-SD-0042',
  registeredAt: Date.UTC(2025, 0, 6, 8, 0, 0),
  authKeyId: '00112233445566ff',
  authCounter: 7,
};

/** Ed25519 is deterministic (RFC 8032), so the token for fixed inputs is fixed: see docs/card-registration.md. */
const VECTOR =
  '445a4354010353445343333247801234abcd01568c7c0dc72d88d82d000001943aa0bc0000112233445566ff00000000000000070742432d30303031' +
  '0b494e562d42432d303030310b494e562d53442d303034328993256fef9749f03b0286690f6735db0a849e61de96dca5f11dbcdf9f933f12dcda20b9ab1657bd1abc36302ebe870ebcba6a69bc89238b508e0a55384f9306';

describe('card registration token (R-CARD-3)', () => {
  it('round-trips every field and verifies with the signing device key only', () => {
    const t = decodeCardToken(signCardToken(device, body));
    expect(t).toMatchObject({ ...body, deviceKeyId: device.keyId });
    expect(verifyCardToken(t, device.publicKey)).toBe(true);
    expect(verifyCardToken(t, other.publicKey)).toBe(false);
  });

  it('matches the test vector, here and as printed in docs/card-registration.md', async () => {
    expect(toHex(signCardToken(device, body))).toBe(VECTOR);
    const { readFile } = await import('node:fs/promises');
    const doc = await readFile(new URL('../docs/card-registration.md', import.meta.url), 'utf8');
    const printed = doc.split('the token is exactly:\n\n```\n')[1].split('```')[0].replace(/\s/g, '');
    expect(printed).toBe(VECTOR);
    expect(toHex(device.publicKey)).toBe('74afbe9513d5408f4b30861b998391e6fc6327205b0e755681cc4fcd40040f4f');
  });

  it('any changed byte breaks either the format or the signature (property)', () => {
    const good = signCardToken(device, body);
    fc.assert(
      fc.property(fc.integer({ min: 0, max: good.length - 1 }), fc.integer({ min: 1, max: 255 }), (i, x) => {
        const bad = good.slice();
        bad[i] ^= x;
        let ok: boolean;
        try {
          ok = verifyCardToken(decodeCardToken(bad), device.publicKey);
        } catch (err) {
          expect(err).toBeInstanceOf(CardTokenError);
          ok = false;
        }
        expect(ok).toBe(false);
      }),
    );
  });

  it('round-trips any valid field values (property)', () => {
    const text = fc.string({ minLength: 1, maxLength: 20 }).filter((s) => !/\p{Cc}/u.test(s));
    fc.assert(
      fc.property(
        fc.record({
          cidIdentity: fc.uint8Array({ minLength: 15, maxLength: 15 }).map((b) => toHex(b)),
          deviceSerial: text,
          deviceInventoryNumber: text,
          cardInventoryNumber: text,
          registeredAt: fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }),
          authKeyId: fc.uint8Array({ minLength: 8, maxLength: 8 }).map((b) => toHex(b)),
          authCounter: fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }),
        }),
        (b) => {
          const t = decodeCardToken(signCardToken(device, b));
          expect(t).toMatchObject(b);
          expect(verifyCardToken(t, device.publicKey)).toBe(true);
        },
      ),
      { numRuns: 50 },
    );
  });

  it('refuses to sign fields that do not fit', () => {
    expect(() => signCardToken(device, { ...body, cidIdentity: 'abc' })).toThrow(CardTokenError);
    expect(() => signCardToken(device, { ...body, cardInventoryNumber: '' })).toThrow(CardTokenError);
    expect(() => signCardToken(device, { ...body, cardInventoryNumber: 'x'.repeat(65) })).toThrow(CardTokenError);
    expect(() => signCardToken(device, { ...body, deviceSerial: 'BC\n0001' })).toThrow(CardTokenError);
    expect(() => signCardToken(device, { ...body, authCounter: -1 })).toThrow(CardTokenError);
  });

  it('rejects files that are not tokens', () => {
    for (const b of [new Uint8Array(0), new TextEncoder().encode('not a token at all, just some text that is long enough to pass the length check........................................'), signCardToken(device, body).subarray(0, 100)]) {
      expect(() => decodeCardToken(b)).toThrow(CardTokenError);
    }
  });
});
