import { describe, expect, it } from 'vitest';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { writeIdentity } from '../flash/identity.ts';
import { SeededRandom } from '../../sim/random.ts';
import { People } from '../sim/people.ts';
import { toHex } from '../../protocol/crypto.ts';
import { deviceMain } from './entry.ts';
import { loadIdentity } from './identity.ts';

async function provisioned(serial = 'BC-0042'): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const root = await mkdtemp(path.join(tmpdir(), 'dozor-identity-'));
  const dir = path.join(root, 'identity');
  const people = new People(serial);
  await writeIdentity(
    dir,
    {
      inventoryNumber: 'INV-BC-0042',
      serial,
      variant: 'bodycam',
      trustedKeys: people.trusted().map((k) => ({ name: k.name, role: k.role, publicKey: toHex(k.publicKey) })),
      cards: [],
      radarCertificate: null,
    },
    new SeededRandom(42),
  );
  return { dir, cleanup: () => rm(root, { recursive: true, force: true }) };
}

describe('the device program (dozor.mjs in a flashed bundle)', () => {
  it('boots the firmware with the provisioned identity on the simulated board and runs a shift', async () => {
    const { dir, cleanup } = await provisioned();
    try {
      const lines: string[] = [];
      const code = await deviceMain(['node', 'dozor.mjs', '--board', 'sim', '--identity', dir, '--hours', '0.25'], (l) => lines.push(l));
      expect(code).toBe(0);
      const summary = JSON.parse(lines.join('\n'));
      expect(summary.serial).toBe('BC-0042');
      expect(summary.requirements['R-REC-1']).toBe('pass');
      expect(summary.journal.status).toBe('valid');
    } finally {
      await cleanup();
    }
  });

  it('refuses an identity whose key does not match its public key, and bad arguments', async () => {
    const { dir, cleanup } = await provisioned();
    try {
      expect((await loadIdentity(dir)).serial).toBe('BC-0042');
      await writeFile(path.join(dir, 'device.key'), '11'.repeat(32));
      await expect(loadIdentity(dir)).rejects.toThrow(/does not match the public key/);
      expect(await deviceMain(['node', 'dozor.mjs', '--board', 'sim', '--identity', dir])).toBe(2);
      expect(await deviceMain(['node', 'dozor.mjs', '--identity', dir])).toBe(2);
      expect(await deviceMain(['node', 'dozor.mjs', '--board', 'sim', '--identity', '/nonexistent'])).toBe(2);
    } finally {
      await cleanup();
    }
  });
});
