import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createPublicKey } from 'node:crypto';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { main } from '../cli.ts';
import { openJournal } from '../../firmware/journal/journal.ts';
import { scanFrames } from '../../firmware/journal/scan.ts';
import { toHex } from '../../protocol/crypto.ts';
import { trustedKeyToJson } from '../../protocol/authorization.ts';
import { deviceKey, journalOptions, makeWorld, otherDeviceKey, trusted, writeShift, type World } from '../../test/helpers/journal.ts';

let root: string;
let dir: string; // as `dozor sim shift --out DIR` leaves a device's storage
let world: World;
let firstCheckpoint: string;
let laterCheckpoint: string;
let out = '';
let err = '';

async function run(...args: string[]): Promise<number> {
  out = '';
  err = '';
  const o = vi.spyOn(process.stdout, 'write').mockImplementation((s: string | Uint8Array) => ((out += String(s)), true));
  const e = vi.spyOn(process.stderr, 'write').mockImplementation((s: string | Uint8Array) => ((err += String(s)), true));
  try {
    return await main(['node', 'dozor', ...args]);
  } finally {
    o.mockRestore();
    e.mockRestore();
  }
}

const p = (...parts: string[]) => path.join(root, ...parts);

async function writeStorage(target: string, w: World): Promise<void> {
  for (const [name, bytes] of w.storage.snapshot()) {
    await mkdir(path.dirname(path.join(target, name)), { recursive: true });
    await writeFile(path.join(target, name), bytes);
  }
}

beforeAll(async () => {
  root = await mkdtemp(path.join(tmpdir(), 'dozor-journal-cli-'));
  dir = p('device');
  world = makeWorld();
  let j = await openJournal(journalOptions(world));
  await writeShift(j, world.clock);
  firstCheckpoint = JSON.stringify(await j.checkpoint());
  await j.close();
  j = await openJournal(journalOptions(world));
  await j.append('power-on', { firmware: '0.1.0', bootCount: 8, reason: 'cold' });
  laterCheckpoint = JSON.stringify(await j.checkpoint());
  await j.close();
  await world.storage.writeAtomic('video/000000.h264', new Uint8Array(10));
  await writeStorage(dir, world);

  await writeFile(p('key.hex'), `${toHex(deviceKey.publicKey)}\n`);
  await writeFile(p('key.raw'), deviceKey.publicKey);
  await writeFile(p('key.json'), JSON.stringify({ serial: 'BC-000123', publicKey: toHex(deviceKey.publicKey) }));
  const pem = createPublicKey({ key: Buffer.concat([Buffer.from('302a300506032b6570032100', 'hex'), deviceKey.publicKey]), format: 'der', type: 'spki' })
    .export({ format: 'pem', type: 'spki' })
    .toString();
  await writeFile(p('key.pem'), pem);
  await writeFile(p('other.hex'), toHex(otherDeviceKey.publicKey));
  await writeFile(p('garbage.key'), 'not a key');
  await writeFile(p('cp1.json'), firstCheckpoint);
  await writeFile(p('cp2.json'), laterCheckpoint);
  await writeFile(p('trusted.json'), JSON.stringify(trusted.map(trustedKeyToJson)));
  await writeFile(p('wrong-trusted.json'), JSON.stringify([trustedKeyToJson({ ...trusted[0], publicKey: otherDeviceKey.publicKey })]));
  await mkdir(p('empty'));
});

afterEach(() => {
  process.exitCode = undefined;
});

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('dozor journal verify', () => {
  it('exit 0 for the folder a simulated shift leaves, naming device, key and head', async () => {
    expect(await run('journal', 'verify', dir)).toBe(0);
    expect(out).toMatch(/2 files, \d+ records/);
    expect(out).toContain('device BC-000123');
    expect(out).toContain('not independently trusted');
    expect(out).toMatch(/\nVALID\n$/);
  });

  it.each(['key.hex', 'key.raw', 'key.json', 'key.pem'])('exit 0 with the device key pinned from %s', async (key) => {
    expect(await run('journal', 'verify', dir, '--pubkey', p(key))).toBe(0);
    expect(out).toContain(`key ${deviceKey.keyId} (pinned with --pubkey)`);
  });

  it('exit 0 for a single journal file', async () => {
    expect(await run('journal', 'verify', path.join(dir, 'journal', '00000000.djl'), '--pubkey', p('key.hex'))).toBe(0);
  });

  it('exit 1 with another device key, naming the first bad record', async () => {
    expect(await run('journal', 'verify', dir, '--pubkey', p('other.hex'))).toBe(1);
    expect(out).toContain('INVALID');
    expect(out).toMatch(/first bad record: journal\/00000000\.djl offset 0 seq 0: \[key\]/);
  });

  it('exit 1 for a damaged file, naming the file, offset and seq of the first bad record', async () => {
    const bad = p('damaged');
    await writeStorage(bad, world);
    const f = path.join(bad, 'journal', '00000000.djl');
    const bytes = new Uint8Array(await readFile(f));
    bytes[1000] ^= 0x01;
    await writeFile(f, bytes);
    expect(await run('journal', 'verify', bad, '--pubkey', p('key.hex'))).toBe(1);
    expect(out).toMatch(/first bad record: journal\/00000000\.djl offset \d+ seq \d+: \[corrupt-frame\]/);
    const offset = Number(/offset (\d+)/.exec(out)![1]);
    expect(offset).toBeLessThanOrEqual(1000);
    expect(offset).toBeGreaterThan(800);
  });

  it('exit 1 and TRUNCATED for a clean tail truncation', async () => {
    const f = path.join(dir, 'journal', '00000001.djl');
    const bytes = new Uint8Array(await readFile(f));
    const t = p('truncated');
    await mkdir(t);
    await writeFile(path.join(t, '00000001.djl'), bytes.subarray(0, scanFrames(bytes).frames[1].offset)); // the header only
    expect(await run('journal', 'verify', path.join(t, '00000001.djl'))).toBe(1);
    expect(out).toContain('TRUNCATED');
    expect(out).toContain('[unsealed-end]');
  });

  it('--checkpoint: exit 1 when records sealed by a checkpoint the dock kept are gone', async () => {
    const first = p('first-only');
    await mkdir(first);
    await writeFile(path.join(first, '00000000.djl'), await readFile(path.join(dir, 'journal', '00000000.djl')));
    expect(await run('journal', 'verify', first, '--checkpoint', p('cp1.json'))).toBe(0);
    expect(await run('journal', 'verify', first, '--checkpoint', p('cp2.json'))).toBe(1);
    expect(out).toContain('[known-checkpoint]');
    expect(await run('journal', 'verify', dir, '--checkpoint', p('cp2.json'))).toBe(0);
  });

  it('--trusted: checks the authorisation of every correction', async () => {
    expect(await run('journal', 'verify', dir, '--trusted', p('trusted.json'))).toBe(0);
    expect(await run('journal', 'verify', dir, '--trusted', p('wrong-trusted.json'))).toBe(1);
    expect(out).toContain('[correction]');
  });

  it('--json prints the report', async () => {
    expect(await run('journal', 'verify', dir, '--json')).toBe(0);
    const r = JSON.parse(out);
    expect(r).toMatchObject({ status: 'valid', device: 'BC-000123', keyId: deviceKey.keyId, keySource: 'journal' });
  });

  it.each([
    ['a missing path', ['journal', 'verify', '/no/such/journal']],
    ['a folder without journal files', ['journal', 'verify', 'EMPTY']],
    ['an unreadable key', ['journal', 'verify', 'DIR', '--pubkey', 'GARBAGE']],
    ['a missing key file', ['journal', 'verify', 'DIR', '--pubkey', '/no/such/key']],
    ['no path', ['journal', 'verify']],
    ['an unknown option', ['journal', 'verify', 'DIR', '--frobnicate']],
  ])('exit 2 for %s', async (_what, args) => {
    const a = args.map((x) => (x === 'EMPTY' ? p('empty') : x === 'DIR' ? dir : x === 'GARBAGE' ? p('garbage.key') : x));
    expect(await run(...a)).toBe(2);
  });
});

describe('dozor journal show', () => {
  it('prints entries as a table (headers and checkpoints only with --all)', async () => {
    expect(await run('journal', 'show', dir)).toBe(0);
    expect(out).toMatch(/seq\s+device time \(UTC\+05:00\)\s+mono s\s+type\s+details/);
    expect(out).toMatch(/2026-11-23 09:00:00\.000\s+0\.000\s+power-on\s+firmware=0\.1\.0 bootCount=7 reason=cold/);
    expect(out).toContain('officer="Иванов И.И."');
    expect(out).toMatch(/\[corrected by #\d+\]/);
    expect(out).not.toMatch(/\scheckpoint\s/);
    expect(await run('journal', 'show', dir, '--all')).toBe(0);
    expect(out).toMatch(/\scheckpoint\s+reason=shift-end/);
    expect(out).toMatch(/\sfile-header\s+format=dozor-journal/);
  });

  it('filters by type and by device time', async () => {
    expect(await run('journal', 'show', dir, '--type', 'pause-start,pause-end')).toBe(0);
    const rows = out.trim().split('\n').slice(2, -1);
    expect(rows).toHaveLength(2);
    expect(rows[0]).toContain('pause-start');
    expect(out).toMatch(/2 of \d+ records; journal valid/);

    expect(await run('journal', 'show', dir, '--since', '2026-11-23 09:10', '--until', '2026-11-23 09:20:00')).toBe(0);
    const times = [...out.matchAll(/2026-11-23 (\d\d:\d\d):\d\d/g)].map((m) => m[1]);
    expect(times.length).toBeGreaterThan(0);
    for (const t of times.slice(0, -2)) expect(t >= '09:10' && t <= '09:20').toBe(true);

    expect(await run('journal', 'show', dir, '--since', String(Date.UTC(2026, 10, 23, 4, 30)), '--tz', 'UTC', '--type', 'segment-closed')).toBe(0);
    expect(out).toContain('device time (UTC+00:00)');
    expect(out).not.toMatch(/2026-11-23 04:0/);
  });

  it('--json prints one object per record', async () => {
    expect(await run('journal', 'show', dir, '--json', '--type', 'return')).toBe(0);
    const lines = out.trim().split('\n').map((l) => JSON.parse(l));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ type: 'return', data: { note: 'без замечаний' } });
  });

  it('warns on stderr when the journal does not verify', async () => {
    expect(await run('journal', 'show', dir, '--pubkey', p('other.hex'))).toBe(0);
    expect(err).toContain('warning: journal is INVALID');
  });

  it.each([
    ['an unknown type', ['--type', 'nonsense']],
    ['a bad time', ['--since', 'yesterday']],
    ['a bad offset', ['--tz', '+5']],
    ['since after until', ['--since', '2026-11-24', '--until', '2026-11-23']],
  ])('exit 2 for %s', async (_w, extra) => {
    expect(await run('journal', 'show', dir, ...extra)).toBe(2);
  });
});

describe('dozor journal export', () => {
  const titles: Record<string, string> = {
    'mvd-app2': 'Ф.И.О. пользователя видеожетона (бортовой номер патрульного автотранспорта, гос.номер служебного или специального автотранспорта, номер специального вагона или рейса)',
    'mvd-app3': 'Ф.И.О. (при его наличии) пользователя радара (бортовой номер патрульного автотранспорта, гос. номер)',
    'trn-app1': 'Бейнежетонды тапсырған Инспекция қызметкерінің А.Т.Ж. (бар болған жағдайда) Тапсырғаны туралы қолы, күні мен уақыты',
    'trn-app2': 'Ақпаратты түсіру күні мен уақыты және бейнежазбаның ұзақтығы (сағат.минут.секунд)',
    'trn-app3': 'Қызметкеррдің аспапты қабылдау туралы қолы, күні және уақыты.',
  };

  it.each(Object.entries(titles))('%s as CSV has the original column titles and one row per issue', async (form, title) => {
    expect(await run('journal', 'export', dir, '--form', form, '--format', 'csv')).toBe(0);
    expect(out.startsWith('\ufeff')).toBe(true);
    const lines = out.slice(1).split('\r\n').filter(Boolean);
    expect(lines[0]).toContain(title);
    expect(lines).toHaveLength(form === 'trn-app1' ? 3 : 2); // trn-app1: the issue and the return are separate hand-overs
    expect(lines.join('\n')).toContain('ВЖ-0042');
  });

  it('fills MVD App. 2 from the shift: inventory, user and vehicle, receipt and return with signers, offload, notes and the correction', async () => {
    expect(await run('journal', 'export', dir, '--form', 'mvd-app2', '--format', 'csv')).toBe(0);
    const row = out.split('\r\n')[1];
    expect(row).toMatch(/^1,ВЖ-0042,"Иванов И\.И\., борт\. № 117, гос\. № 123ABC02",/);
    expect(row).toMatch(/23\.11\.2026 09:00:00, выдал: Омаров Д\.Е\./);
    expect(row).toMatch(/принял: Сериков А\.Б\./);
    expect(row).toMatch(/\(файлов: 2\)/);
    expect(row).toContain('без замечаний');
    expect(row).toMatch(/пауза \(приём пищи, ≤ 45 мин\), разрешил: Омаров Д\.Е\./);
    expect(row).toMatch(/критический разряд батареи/);
    expect(row).toMatch(/ИСПРАВЛЕНО записью №\d+ .*Сериков А\.Б\..*: бортовой номер 171, а не 117/);
  });

  it('TRN App. 2 gives the recording duration as hh.mm.ss', async () => {
    expect(await run('journal', 'export', dir, '--form', 'trn-app2', '--format', 'csv')).toBe(0);
    expect(out.split('\r\n')[1]).toContain('; 00.30.00');
  });

  it('HTML: a self-contained form with the title, column numbers, struck-through corrected rows, and the verification result', async () => {
    const file = p('mvd-app2.html');
    expect(await run('journal', 'export', dir, '--form', 'mvd-app2', '--format', 'html', '--unit', 'УАП г. Астаны', '--out', file, '--pubkey', p('key.hex'))).toBe(0);
    expect(out).toBe('');
    const html = await readFile(file, 'utf8');
    expect(html).toContain('<html lang="ru">');
    expect(html).toContain('<h1>Журнал</h1>');
    expect(html).toContain('<h2>учета выдачи и сдачи видеожетона и карт памяти мобильного видеорегистратора</h2>');
    expect(html).toContain('Приложение 2 к Инструкции');
    expect(html).toContain('УАП г. Астаны');
    expect(html).toContain('(наименование подразделения)');
    expect(html).toContain('Начат 23.11.2026');
    expect(html).toContain('<td>7</td></tr>');
    expect(html).toContain('<tr class="corrected">');
    expect(html).toContain('целостность подтверждена');
    expect(html).toContain('ключ устройства сверен');
  });

  it('--lang en gives our English titles; Kazakh forms keep their footnote', async () => {
    expect(await run('journal', 'export', dir, '--form', 'trn-app2', '--format', 'html', '--lang', 'en')).toBe(0);
    expect(out).toContain('Journal of issue of USB flash drives');
    expect(out).toContain('hours.minutes.seconds');
    expect(await run('journal', 'export', dir, '--form', 'trn-app2', '--format', 'html')).toBe(0);
    expect(out).toContain('Ескертпе: 1, 2, 3, 4 және 5-бағандар');
    expect(out).toContain('<html lang="kk">');
  });

  it.each([
    ['an MVD form in Kazakh (no official text held)', ['--form', 'mvd-app2', '--format', 'csv', '--lang', 'kk']],
    ['a transport form in Russian (no official text held)', ['--form', 'trn-app1', '--format', 'csv', '--lang', 'ru']],
    ['no --form', ['--format', 'csv']],
    ['an unknown form', ['--form', 'mvd-app9', '--format', 'csv']],
    ['an unknown format', ['--form', 'mvd-app2', '--format', 'pdf']],
    ['an unwritable --out', ['--form', 'mvd-app2', '--format', 'csv', '--out', '/no/such/dir/x.csv']],
  ])('exit 2 for %s', async (_w, extra) => {
    expect(await run('journal', 'export', dir, ...extra)).toBe(2);
  });
});
