/**
 * Shift journal (issue #3): append rates (buffered routine entries, synced security-relevant
 * entries one by one and in concurrent group commits), recovery scan and verify throughput,
 * in memory (SimStorage) and on real files (FsStorage in a temp folder).
 */
import { mkdtemp, readFile, readdir, rm, writeFile, mkdir } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { FsStorage } from '../hal/linux/fs-storage.ts';
import { RealClock } from '../hal/real-clock.ts';
import type { Clock } from '../hal/clock.ts';
import type { Storage } from '../hal/storage.ts';
import { Ed25519PrivateKey, deriveTestSeed } from '../protocol/crypto.ts';
import { SimStorage } from '../sim/storage.ts';
import { SeededRandom } from '../sim/random.ts';
import { VirtualClock } from '../sim/virtual-clock.ts';
import { openJournal, type Journal } from '../firmware/journal/journal.ts';
import { readJournal, type JournalFileInput } from '../firmware/journal/reader.ts';
import { scanFrames } from '../firmware/journal/scan.ts';
import type { BenchResult, BenchSuite } from './harness.ts';

const key = new Ed25519PrivateKey(deriveTestSeed('bench-device'));
const START = Date.UTC(2026, 10, 23, 4, 0, 0);

const sim = () => new SimStorage({ name: 'bench', capacityBytes: 1 << 30, random: new SeededRandom(1) });
const open = (storage: Storage, clock: Clock, extra = {}) => openJournal({ storage, clock, deviceKey: key, device: 'BC-BENCH', ...extra });

function marker(i: number) {
  return { segment: i >> 6, offsetMs: i * 37, wall: START + i, note: 'остановка ТС' };
}

async function routineRate(j: Journal, n: number): Promise<number> {
  const t0 = performance.now();
  for (let i = 0; i < n; i++) await j.append('marker', marker(i));
  await j.flush();
  return n / ((performance.now() - t0) / 1000);
}

async function securityRate(j: Journal, n: number): Promise<number> {
  const t0 = performance.now();
  for (let i = 0; i < n; i++) await j.append('card-removed', { cid: null, duringDuty: i % 2 === 0 });
  return n / ((performance.now() - t0) / 1000);
}

async function concurrentRate(j: Journal, rounds: number, width: number): Promise<number> {
  const t0 = performance.now();
  for (let r = 0; r < rounds; r++) {
    await Promise.all(Array.from({ length: width }, (_, i) => j.append('card-removed', { cid: null, duringDuty: i % 2 === 0 })));
  }
  return (rounds * width) / ((performance.now() - t0) / 1000);
}

/** A large journal (several files) written under virtual time, for scan and verify. */
async function bigJournal(targetBytes: number, maxFileBytes: number): Promise<{ files: JournalFileInput[]; bytes: number; records: number }> {
  const storage = sim();
  const clock = new VirtualClock({ startEpochMs: START });
  const j = await open(storage, clock, { maxFileBytes });
  let i = 0;
  const h = 'ab'.repeat(32);
  while (storage.stats.bytesWritten < targetBytes) {
    for (let k = 0; k < 1000; k++, i++) {
      if (i % 4 === 0) {
        await j.append('segment-closed', {
          segment: i,
          path: `video/${i}.h264`,
          startWall: START + i,
          endWall: START + i + 1,
          startMono: i,
          endMono: i + 1,
          durationMs: 1,
          frames: 30,
          bytes: 1000,
          sha256: h,
          prevSha256: h,
        });
      } else {
        await j.append('marker', marker(i));
      }
    }
    await clock.runFor(1000);
  }
  await j.close();
  const files = [...storage.snapshot()].map(([name, bytes]) => ({ name, bytes }));
  const bytes = files.reduce((n, f) => n + f.bytes.length, 0);
  return { files, bytes, records: readJournal(files).records.length };
}

/** A typical 8-hour shift: segments every minute, a marker every 10 min, day/night, battery, checkpoints. */
async function shiftMs(): Promise<{ ms: number; entries: number }> {
  const storage = sim();
  const clock = new VirtualClock({ startEpochMs: START });
  const t0 = performance.now();
  const j = await open(storage, clock);
  await j.append('power-on', { firmware: '0.1.0', bootCount: 1, reason: 'cold' });
  await j.append('duty-start', { officer: 'Иванов И.И.' });
  const h = 'cd'.repeat(32);
  let entries = 2;
  for (let m = 0; m < 480; m++) {
    await clock.runFor(60_000);
    await j.append('segment-closed', {
      segment: m,
      path: `video/${m}.h264`,
      startWall: START + m * 60_000,
      endWall: START + (m + 1) * 60_000,
      startMono: m * 60_000,
      endMono: (m + 1) * 60_000,
      durationMs: 60_000,
      frames: 1800,
      bytes: 7_500_000,
      sha256: h,
      prevSha256: h,
    });
    await j.append('recording-started', { segment: m + 1 });
    entries += 2;
    if (m % 10 === 0) {
      await j.append('marker', marker(m));
      entries += 1;
    }
  }
  await j.append('duty-end', { recordedMs: 480 * 60_000, pausedMs: 0 });
  await j.close();
  return { ms: performance.now() - t0, entries: entries + 1 };
}

const suite: BenchSuite = {
  id: 'journal',
  title: 'Shift journal',
  issue: 3,
  async run() {
    const out: BenchResult[] = [];
    const MB = 1024 * 1024;

    // ---- in memory ----
    {
      const j = await open(sim(), new VirtualClock({ startEpochMs: START }));
      await routineRate(j, 5_000); // warm-up
      const rate = await routineRate(j, 50_000);
      out.push({ metric: 'routine appends/s, buffered (memory)', value: rate, unit: 'appends/s', note: 'validate + MessagePack + SHA-256 + CRC, group-committed' });
      const sec = await securityRate(j, 20_000);
      out.push({ metric: 'security-relevant appends/s, each synced (memory)', value: sec, unit: 'appends/s' });
      const grp = await concurrentRate(j, 500, 64);
      out.push({ metric: 'security-relevant appends/s, 64 concurrent, group commit (memory)', value: grp, unit: 'appends/s' });
      await j.close();
    }

    // ---- real files ----
    const root = await mkdtemp(path.join(tmpdir(), 'dozor-journal-bench-'));
    try {
      const fs = new FsStorage({ name: 'bench', root });
      const j = await open(fs, new RealClock({ wallTimeMs: START }));
      const rate = await routineRate(j, 50_000);
      out.push({
        metric: 'routine appends/s, buffered (files)',
        value: rate,
        unit: 'appends/s',
        target: '≥ 10,000/s',
        ok: rate >= 10_000,
        note: 'synced by the 250 ms group commit',
      });
      const sec = await securityRate(j, 1_000);
      out.push({ metric: 'security-relevant appends/s, each fdatasync-ed (files)', value: sec, unit: 'appends/s', note: 'bounded by fdatasync latency' });
      const grp = await concurrentRate(j, 100, 64);
      out.push({ metric: 'security-relevant appends/s, 64 concurrent, group commit (files)', value: grp, unit: 'appends/s', note: 'one fdatasync per batch' });
      await j.close();
      await fs.close();
    } finally {
      await rm(root, { recursive: true, force: true });
    }

    // ---- scan and verify ----
    const big = await bigJournal(16 * MB, 4 * MB);
    // Recovery scans the newest file: one big file with a torn tail.
    const single = await bigJournal(16 * MB, 64 * MB);
    const last = single.files[single.files.length - 1];
    {
      const t0 = performance.now();
      let n = 0;
      for (let r = 0; r < 5; r++) for (const f of big.files) n += scanFrames(f.bytes).frames.length;
      const mbs = (5 * big.bytes) / MB / ((performance.now() - t0) / 1000);
      out.push({ metric: 'frame scan (CRC) throughput (memory)', value: mbs, unit: 'MB/s', note: `${(big.bytes / MB).toFixed(1)} MB, ${big.records} records` });
      void n;
    }
    {
      // Recovery on open scans the newest file; give it a torn tail to cut.
      const storage = sim();
      const torn = new Uint8Array([...last.bytes.subarray(0, last.bytes.length - 50)]);
      await storage.writeAtomic(last.name, torn);
      const t0 = performance.now();
      const j = await open(storage, new VirtualClock({ startEpochMs: START }));
      const ms = performance.now() - t0;
      if (!j.recovery || j.recovery.droppedBytes === 0) throw new Error('bench: expected a recovery');
      out.push({ metric: 'recovery scan on open (memory)', value: torn.length / MB / (ms / 1000), unit: 'MB/s', note: `newest file ${(torn.length / MB).toFixed(1)} MB with a torn tail` });
    }
    {
      const t0 = performance.now();
      const r = readJournal(big.files, { publicKey: key.publicKey });
      const s = (performance.now() - t0) / 1000;
      if (r.report.status !== 'valid') throw new Error(`bench: journal not valid: ${r.report.firstProblem?.message}`);
      out.push({ metric: 'verify throughput (memory)', value: big.bytes / MB / s, unit: 'MB/s', note: `${Math.round(big.records / s).toLocaleString('en-US')} records/s, every check incl. schemas and ${r.report.checkpoints} signatures` });
    }
    {
      const dir = await mkdtemp(path.join(tmpdir(), 'dozor-journal-bench-'));
      try {
        await mkdir(path.join(dir, 'journal'));
        const fs = new FsStorage({ name: 'bench', root: dir });
        const tornLen = last.bytes.length - 50;
        await writeFile(path.join(dir, last.name), last.bytes.subarray(0, tornLen));
        let t0 = performance.now();
        const j = await open(fs, new VirtualClock({ startEpochMs: START }));
        let s = (performance.now() - t0) / 1000;
        await j.close();
        await rm(path.join(dir, 'journal'), { recursive: true });
        await mkdir(path.join(dir, 'journal'));
        out.push({ metric: 'recovery scan on open (files)', value: tornLen / MB / s, unit: 'MB/s', note: 'read + scan + truncate + fsync' });
        for (const f of big.files) await writeFile(path.join(dir, f.name), f.bytes);
        t0 = performance.now();
        const files: JournalFileInput[] = [];
        for (const name of (await readdir(path.join(dir, 'journal'))).sort()) {
          files.push({ name, bytes: new Uint8Array(await readFile(path.join(dir, 'journal', name))) });
        }
        const r = readJournal(files, { publicKey: key.publicKey });
        s = (performance.now() - t0) / 1000;
        if (r.report.status !== 'valid') throw new Error(`bench: journal not valid: ${r.report.firstProblem?.message}`);
        const bytes = files.reduce((n, f) => n + f.bytes.length, 0);
        out.push({ metric: 'verify throughput (files, read + verify)', value: bytes / MB / s, unit: 'MB/s' });
        await fs.close();
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    }

    // ---- what the journal costs an 8-hour simulated shift ----
    await shiftMs();
    const shift = await shiftMs();
    out.push({
      metric: 'journal of an 8-hour shift under virtual time',
      value: shift.ms,
      unit: 'ms',
      note: `${shift.entries} entries (a segment per minute), checkpoints, close`,
    });
    out.push({ metric: 'host load average (1 min) at the end of the run', value: loadavg()[0], unit: '', note: `${cpus().length} cores shared with other work: absolute rates scale with it` });
    return out;
  },
};
export default suite;
