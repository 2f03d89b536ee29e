import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { main } from '../cli.ts';
import { FakeSysfsTree } from '../../test/card/fake-sysfs.ts';
import { REAL_CARDS } from '../../test/fixtures/real-sd-cids.ts';
import { signCardToken } from '../../protocol/card-token.ts';
import { Ed25519PrivateKey, deriveTestSeed, toHex } from '../../protocol/crypto.ts';

describe('dozor card …', () => {
  let out: string;
  let err: string;
  beforeEach(() => {
    out = '';
    err = '';
    process.exitCode = undefined;
    vi.spyOn(process.stdout, 'write').mockImplementation((s) => ((out += String(s)), true));
    vi.spyOn(process.stderr, 'write').mockImplementation((s) => ((err += String(s)), true));
  });
  afterEach(() => {
    vi.restoreAllMocks();
    process.exitCode = undefined;
  });

  it('decode-cid prints the attributes the kernel shows, and fails on a bad CRC', async () => {
    expect(await main(['node', 'dozor', 'card', 'decode-cid', REAL_CARDS[0].cid, '--json'])).toBe(0);
    expect(JSON.parse(out)).toMatchObject({ ...REAL_CARDS[0].attrs, crc: 'ok' });
    expect(await main(['node', 'dozor', 'card', 'decode-cid', '275048534431364730da89b82900fb62'])).toBe(1);
    expect(err).toMatch(/CRC/);
  });

  it('inspect reads and cross-checks a card in sysfs', async () => {
    const tree = await FakeSysfsTree.create();
    try {
      await tree.insert({ label: 'a', cid: REAL_CARDS[1].cid, attrs: REAL_CARDS[1].attrs });
      expect(await main(['node', 'dozor', 'card', 'inspect', '--sysfs-root', tree.sysfsRoot, '--json'])).toBe(0);
      expect(JSON.parse(out)).toMatchObject({ present: true, cid: REAL_CARDS[1].cid, problem: null, name: 'SN512' });
      out = '';
      await tree.remove();
      expect(await main(['node', 'dozor', 'card', 'inspect', '--sysfs-root', tree.sysfsRoot, '--json'])).toBe(1);
      expect(JSON.parse(out)).toMatchObject({ present: false });
      expect(await main(['node', 'dozor', 'card', 'inspect', '--device', 'sda'])).toBe(2);
    } finally {
      await tree.cleanup();
    }
  });

  it("token decodes a card's token and verifies it against a device key", async () => {
    const tree = await FakeSysfsTree.create();
    try {
      const device = new Ed25519PrivateKey(deriveTestSeed('device BC-0002'));
      const file = path.join(tree.root, 'registration.token');
      await writeFile(
        file,
        signCardToken(device, {
          cidIdentity: REAL_CARDS[0].cid.slice(0, 30),
          deviceSerial: 'BC-0002',
          deviceInventoryNumber: 'INV-BC-0002',
          cardInventoryNumber: 'INV-SD-0099',
          registeredAt: Date.UTC(2025, 0, 6),
          authKeyId: '00112233445566ff',
          authCounter: 4,
        }),
      );
      expect(await main(['node', 'dozor', 'card', 'token', file, '--device-public-key', toHex(device.publicKey), '--json'])).toBe(0);
      expect(JSON.parse(out)).toMatchObject({ deviceSerial: 'BC-0002', cardInventoryNumber: 'INV-SD-0099', signature: 'valid for this device' });
      out = '';
      const other = new Ed25519PrivateKey(deriveTestSeed('device BC-0001'));
      expect(await main(['node', 'dozor', 'card', 'token', file, '--device-public-key', toHex(other.publicKey)])).toBe(1);
      expect(out).toMatch(/NOT valid/);
      expect(await main(['node', 'dozor', 'card', 'token', path.join(tree.root, 'missing')])).toBe(2);
    } finally {
      await tree.cleanup();
    }
  });
});
