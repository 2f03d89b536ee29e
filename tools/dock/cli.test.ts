/**
 * The dock CLI end to end, as separate processes over TCP: `dozor dock serve`, `dozor sim device`
 * (both modes), `dozor dock conformance` against each, and `dozor dock sign` through the inbox.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { deriveTestSeed, toHex } from '../../protocol/crypto.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const procs: ChildProcess[] = [];
const dirs: string[] = [];

afterEach(async () => {
  for (const p of procs.splice(0)) {
    if (p.exitCode === null && p.signalCode === null) {
      p.kill('SIGTERM');
      await new Promise((r) => p.once('exit', r));
    }
  }
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

async function temp(): Promise<string> {
  const d = await mkdtemp(path.join(tmpdir(), 'dozor-cli-'));
  dirs.push(d);
  return d;
}

interface Running {
  proc: ChildProcess;
  output: () => string;
  waitFor(re: RegExp): Promise<RegExpMatchArray>;
  exit: Promise<number>;
}

function dozor(args: string[]): Running {
  const proc = spawn(process.execPath, [path.join(root, 'bin/dozor.js'), ...args], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  procs.push(proc);
  let out = '';
  const waiters: Array<{ re: RegExp; resolve: (m: RegExpMatchArray) => void }> = [];
  const onData = (b: Buffer) => {
    out += b.toString();
    for (const w of [...waiters]) {
      const m = out.match(w.re);
      if (m) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(m);
      }
    }
  };
  proc.stdout!.on('data', onData);
  proc.stderr!.on('data', onData);
  const exit = new Promise<number>((r) => proc.once('exit', (code) => r(code ?? -1)));
  return {
    proc,
    output: () => out,
    exit,
    waitFor: (re) =>
      new Promise((resolve, reject) => {
        const m = out.match(re);
        if (m) return resolve(m);
        waiters.push({ re, resolve });
        void exit.then(() => setTimeout(() => reject(new Error(`exited before ${re}: ${out}`)), 50));
      }),
  };
}

describe('dozor dock / dozor sim device (separate processes over TCP)', () => {
  it('conformance passes against `dozor sim device --listen` and against `dozor dock serve`', async () => {
    const device = dozor(['sim', 'device', '--listen', 'tcp://127.0.0.1:0', '--segments', '3', '--segment-bytes', '200000']);
    const [, deviceUrl] = await device.waitFor(/waiting for a dock on (tcp:\/\/\S+)/);
    const store = await temp();
    const dock = dozor(['dock', 'serve', '--store', store, '--listen', 'tcp://127.0.0.1:0', '--json']);
    const [, dockUrl] = await dock.waitFor(/listening on (tcp:\/\/\S+)/);

    const vsDevice = dozor(['dock', 'conformance', '--device', deviceUrl, '--allow-receipts']);
    expect(await vsDevice.exit, vsDevice.output()).toBe(0);
    expect(vsDevice.output()).toMatch(/10 passed, 0 failed/);

    const vsDock = dozor(['dock', 'conformance', '--dock', dockUrl]);
    expect(await vsDock.exit, vsDock.output()).toBe(0);
    expect(vsDock.output()).toMatch(/7 passed, 0 failed, 3 not applicable/);
  });

  it('R-OFF-1, R-LOG-2: a virtual device docks, is offloaded, and a signed issue from the inbox is forwarded and journalled', async () => {
    const store = await temp();
    const inbox = await temp();
    const keyFile = path.join(await temp(), 'responsible.seed');
    await writeFile(keyFile, `${toHex(deriveTestSeed('responsible'))}\n`);
    const dock = dozor(['dock', 'serve', '--store', store, '--listen', 'tcp://127.0.0.1:0', '--inbox', inbox, '--json']);
    const [, dockUrl] = await dock.waitFor(/listening on (tcp:\/\/\S+)/);
    const sign = dozor(['dock', 'sign', '--key', keyFile, '--action', 'issue', '--device', 'BC-0042', '--signer', 'Capt. Responsible', '--param', 'plannedShiftHours=8', '--param', 'officer=Sgt. Petrov', '--out', path.join(inbox, 'issue-BC-0042.auth.json')]);
    expect(await sign.exit, sign.output()).toBe(0);
    const device = dozor(['sim', 'device', '--connect', dockUrl, '--seed', '42', '--segments', '4', '--segment-bytes', '100000']);
    await dock.waitFor(/"kind":"offload-complete"/);
    await dock.waitFor(/BC-0042: issue accepted/);
    const result = JSON.parse(await readFile(path.join(inbox, 'done', 'issue-BC-0042.result.json'), 'utf8')) as { ok: boolean };
    expect(result.ok).toBe(true);
    expect(await readdir(inbox)).toEqual(['done']);
    dock.proc.kill('SIGINT');
    expect(await dock.exit).toBe(0);
    expect(await device.exit).toBe(0);
    expect(device.output()).toMatch(/0 recordings still pending/);
    const db = new Database(path.join(store, 'index.sqlite'), { readonly: true });
    try {
      expect(db.prepare('SELECT count(*) AS n FROM items WHERE device = ? AND receipt_sig IS NOT NULL').get('BC-0042')).toEqual({ n: 4 });
      expect(db.prepare('SELECT device, holder, issued_by, planned_hours FROM issue_journal').all()).toEqual([
        { device: 'BC-0042', holder: 'Sgt. Petrov', issued_by: 'Capt. Responsible', planned_hours: 8 },
      ]);
    } finally {
      db.close();
    }
  });
});
