import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { SeededRandom } from '../../sim/random.ts';
import { Ed25519PrivateKey, deriveTestSeed, fromHex, keyIdOf, toHex } from '../../protocol/crypto.ts';
import { BoardFileError } from '../../hal/board-file.ts';
import { DEVICE_PATHS, flashToDirectory } from './deploy.ts';
import type { ProvisioningError} from './identity.ts';
import { cidCrcOk, parseProvisioning } from './identity.ts';
import { systemdUnit } from './systemd.ts';
import { RUNTIME_PACKAGES } from './bundle.ts';

const repo = path.resolve(import.meta.dirname, '../..');
const fixtures = path.join(repo, 'test/fixtures/flash');
const ENTRY = path.join(fixtures, 'placeholder-entry.ts');
const BOARD = path.join(repo, 'boards/bodycam-pi4-proto-b.yaml');
const PROVISIONING = path.join(fixtures, 'bodycam-0042.yaml');

const dirs: string[] = [];
afterEach(() => {
  while (dirs.length) fs.rmSync(dirs.pop()!, { recursive: true, force: true });
});
function tempDir(prefix: string): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  dirs.push(d);
  return d;
}

describe('dozor flash to a local folder', () => {
  it('writes a bundle that runs on its own from the target, with identity, board file, systemd unit and manifest', async () => {
    const target = tempDir('dozor-flash-');
    const result = await flashToDirectory({ entry: ENTRY, boardFile: BOARD, provisioningFile: PROVISIONING, target, random: new SeededRandom(7), version: '0.1.0' });

    // Run the bundle from a folder with no node_modules anywhere above it.
    const runDir = tempDir('dozor-run-');
    const run = spawnSync(process.execPath, [path.join(target, DEVICE_PATHS.app, 'dozor.mjs'), '--board', path.join(target, DEVICE_PATHS.board), '--identity', path.join(target, DEVICE_PATHS.identity)], { cwd: runDir, encoding: 'utf8' });
    expect(run.stderr).toBe('');
    expect(JSON.parse(run.stdout)).toEqual({
      board: 'dozor-bodycam-proto-b',
      variant: 'bodycam',
      inventoryNumber: 'BC-0042',
      keyMatches: true,
      signatureVerifies: true,
      trustedKeys: 2,
      configTxt: 5,
    });

    // Identity: a fresh key from the injected randomness, private part readable by the owner only.
    const keyFile = path.join(target, DEVICE_PATHS.identity, 'device.key');
    expect(fs.statSync(keyFile).mode & 0o777).toBe(0o600);
    const seed = fromHex(fs.readFileSync(keyFile, 'utf8').trim());
    expect(toHex(seed)).toBe(toHex(new SeededRandom(7).bytes(32)));
    expect(result.identity).toEqual({ inventoryNumber: 'BC-0042', serial: 'DZ-BC-2025-0042', variant: 'bodycam', publicKey: toHex(new Ed25519PrivateKey(seed).publicKey), keyId: new Ed25519PrivateKey(seed).keyId });
    const trusted = JSON.parse(fs.readFileSync(path.join(target, DEVICE_PATHS.identity, 'trusted-keys.json'), 'utf8'));
    const responsible = new Ed25519PrivateKey(deriveTestSeed('responsible-1')).publicKey;
    expect(trusted[0]).toEqual({ keyId: keyIdOf(responsible), name: 'Ivanova A. P. (responsible person)', role: 'responsible', publicKey: toHex(responsible) });
    expect(JSON.parse(fs.readFileSync(path.join(target, DEVICE_PATHS.identity, 'cards.json'), 'utf8'))).toEqual([{ cid: '0353445343333247801234abcd0156b5', inventoryNumber: 'SD-0101' }]);

    // The runtime packages are pinned to what this checkout has installed.
    const pkg = JSON.parse(fs.readFileSync(path.join(target, DEVICE_PATHS.app, 'package.json'), 'utf8'));
    expect(pkg.type).toBe('module');
    expect(pkg.dependencies.onoff).toBe(JSON.parse(fs.readFileSync(path.join(repo, 'node_modules/onoff/package.json'), 'utf8')).version);
    expect(Object.keys(pkg.dependencies).every((d) => (RUNTIME_PACKAGES as readonly string[]).includes(d))).toBe(true);

    // The service is enabled and starts the bundle with the board file and identity.
    const unit = fs.readFileSync(path.join(target, DEVICE_PATHS.unit), 'utf8');
    expect(unit).toContain('ExecStart=/usr/bin/node --enable-source-maps /opt/dozor/app/dozor.mjs --board /etc/dozor/board.yaml --identity /etc/dozor/identity');
    expect(fs.readlinkSync(path.join(target, DEVICE_PATHS.wants))).toBe('/etc/systemd/system/dozor.service');

    // The manifest lists every file (not the private key) with its hash.
    const manifest = JSON.parse(fs.readFileSync(path.join(target, DEVICE_PATHS.manifest), 'utf8'));
    expect(manifest.deviceKeyId).toBe(result.identity.keyId);
    const listed = manifest.files.map((f: { path: string }) => f.path);
    expect(listed).toContain('opt/dozor/app/dozor.mjs');
    expect(listed).toContain('etc/dozor/board.yaml');
    expect(listed).not.toContain('etc/dozor/identity/device.key');
    for (const f of manifest.files) {
      const data = fs.readFileSync(path.join(target, f.path));
      expect(f.size).toBe(data.length);
    }
  });

  it('keeps the device key when re-flashed, and refuses a target provisioned for another device', async () => {
    const target = tempDir('dozor-reflash-');
    const first = await flashToDirectory({ entry: ENTRY, boardFile: BOARD, provisioningFile: PROVISIONING, target, random: new SeededRandom(1) });
    const again = await flashToDirectory({ entry: ENTRY, boardFile: BOARD, provisioningFile: PROVISIONING, target, random: new SeededRandom(2) });
    expect(again.identity.publicKey).toBe(first.identity.publicKey);

    const other = path.join(tempDir('dozor-prov-'), 'other.yaml');
    fs.writeFileSync(other, fs.readFileSync(PROVISIONING, 'utf8').replace('inventoryNumber: BC-0042', 'inventoryNumber: BC-0043'));
    await expect(flashToDirectory({ entry: ENTRY, boardFile: BOARD, provisioningFile: other, target, random: new SeededRandom(3) })).rejects.toThrow(
      /already belongs to inventory number BC-0042, not BC-0043/,
    );
    expect(JSON.parse(fs.readFileSync(path.join(target, DEVICE_PATHS.identity, 'device.json'), 'utf8')).inventoryNumber).toBe('BC-0042');
  });

  it('writes nothing when the board file or the provisioning file is invalid', async () => {
    const target = tempDir('dozor-bad-');
    const badBoard = path.join(target, '..', `bad-board-${process.pid}.yaml`);
    fs.writeFileSync(badBoard, fs.readFileSync(BOARD, 'utf8').replace('buzzer: 12', 'buzzer: 17'));
    try {
      await expect(flashToDirectory({ entry: ENTRY, boardFile: badBoard, provisioningFile: PROVISIONING, target, random: new SeededRandom(1) })).rejects.toBeInstanceOf(BoardFileError);
    } finally {
      fs.rmSync(badBoard, { force: true });
    }
    const radarBoard = path.join(repo, 'boards/radar-pi5-proto-a.yaml');
    await expect(flashToDirectory({ entry: ENTRY, boardFile: radarBoard, provisioningFile: PROVISIONING, target, random: new SeededRandom(1) })).rejects.toThrow(
      'variant: the provisioning file says bodycam',
    );
    expect(fs.readdirSync(target)).toEqual([]);
  });
});

describe('provisioning files', () => {
  const base = fs.readFileSync(PROVISIONING, 'utf8');

  it('checks the CID CRC7, so a mistyped card is caught at the bench', () => {
    expect(cidCrcOk(fromHex('0353445343333247801234abcd0156b5'))).toBe(true);
    expect(cidCrcOk(fromHex('0353445343333247801234abcd0157b5'))).toBe(false);
    expect(() => parseProvisioning(base.replace('0156b5', '0157b5'), 'p.yaml')).toThrow('cards[0].cid: CRC7 does not match — a typo in the CID?');
  });

  it('reports every problem: bad key, unknown role, missing radar certificate', () => {
    const text = base.replace('variant: bodycam', 'variant: radar').replace('role: dock', 'role: janitor').replace(/publicKey: cd9f\S+/, 'publicKey: c0ffee');
    let err: ProvisioningError | null = null;
    try {
      parseProvisioning(text, 'p.yaml');
    } catch (e) {
      err = e as ProvisioningError;
    }
    expect(err?.problems).toEqual([
      'trustedKeys[0].publicKey: must be a 32-byte Ed25519 public key in hex (64 digits)',
      'trustedKeys[1].role: must be one of responsible, unit-head, duty-officer, dock',
      'radarCertificate: required for a radar (R-RAD-4 verification certificate)',
    ]);
  });

  it('asks for quotes when YAML turned an all-digit value into a number', () => {
    expect(() => parseProvisioning(base.replace(/publicKey: cd9f\S+/, 'publicKey: 1234'), 'p.yaml')).toThrow('trustedKeys[0].publicKey: must be a string; quote it in YAML ("1234")');
  });

  it('requires at least one trusted person', () => {
    expect(() => parseProvisioning('inventoryNumber: X\nserial: Y\nvariant: bodycam\n', 'p.yaml')).toThrow(/at least one responsible person must be trusted/);
  });
});

describe('systemd unit', () => {
  it('stops the firmware with SIGINT and restarts it when it dies', () => {
    const unit = systemdUnit({ description: 'Dozor', appDir: '/opt/dozor/app', args: ['--board', '/etc/dozor/board.yaml'], user: 'dozor', environment: { NODE_ENV: 'production' } });
    expect(unit.split('\n')).toEqual(expect.arrayContaining(['KillSignal=SIGINT', 'Restart=always', 'User=dozor', 'SupplementaryGroups=gpio i2c video dialout', 'Environment=NODE_ENV=production', 'WantedBy=multi-user.target']));
    expect(() => systemdUnit({ description: 'x', appDir: '/a', args: ['$HOME'], user: 'u' })).toThrow(RangeError);
  });
});

describe('dozor flash command', () => {
  it('flashes a local folder and reports the device key; refuses ssh:// for now and bad input with exit 2', async () => {
    const { main } = await import('../cli.ts');
    const target = tempDir('dozor-cli-flash-');
    const out: string[] = [];
    const write = process.stdout.write.bind(process.stdout);
    process.stdout.write = ((chunk: string) => (out.push(String(chunk)), true)) as typeof process.stdout.write;
    let code: number;
    try {
      code = await main(['node', 'dozor', 'flash', '--target', target, '--entry', ENTRY, '--board', BOARD, '--identity', PROVISIONING]);
    } finally {
      process.stdout.write = write;
    }
    expect(code).toBe(0);
    expect(out.join('')).toMatch(/^flashed BC-0042 \(bodycam\) into /);
    expect(fs.existsSync(path.join(target, DEVICE_PATHS.app, 'dozor.mjs'))).toBe(true);
    const errWrite = process.stderr.write.bind(process.stderr);
    process.stderr.write = (() => true) as typeof process.stderr.write;
    try {
      expect(await main(['node', 'dozor', 'flash', '--target', 'ssh://pi@proto-b/', '--entry', ENTRY, '--board', BOARD, '--identity', PROVISIONING])).toBe(2);
      expect(await main(['node', 'dozor', 'flash', '--target', target, '--entry', ENTRY, '--board', '/nonexistent.yaml', '--identity', PROVISIONING])).toBe(2);
    } finally {
      process.stderr.write = errWrite;
    }
  });
});
