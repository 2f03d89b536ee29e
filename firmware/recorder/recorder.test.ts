import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { VirtualClock } from '../../sim/virtual-clock.ts';
import { SimStorage } from '../../sim/storage.ts';
import { SeededRandom } from '../../sim/random.ts';
import { FakeCamera, FakeEvidence, MemoryJournal, PowerRail, RailStorage, makeGop } from '../../test/fakes/recorder-board.ts';
import type { Alert, AlertKind, AlertSink } from '../alerts/alert-sink.ts';
import { ServiceJournal } from '../common/journal.ts';
import { FaultReporter } from '../faults/fault-reporter.ts';
import { parseRecorderConfig } from '../app/config.ts';
import { Recorder, type PauseHandle } from './recorder.ts';
import { RecordingHealth } from './recording-health.ts';
import { verifyChain, verifySegment } from './verify.ts';
import { crc32, encodeIndexLine, parseIndex, segmentPaths, ZERO_SHA256, type GopRecord } from './segment-index.ts';
import { PlaybackService } from './playback.ts';
import { analyseCoverage } from './coverage.ts';
import { GopAssembler } from '../../hal/drivers/h264.ts';
import { createHash } from 'node:crypto';

class RecordingAlerts implements AlertSink {
  readonly raised: Array<Omit<Alert, 'at'>> = [];
  readonly active = new Set<AlertKind>();
  raise(a: Omit<Alert, 'at'>): void {
    this.raised.push(a);
    this.active.add(a.kind);
  }
  clear(kind: AlertKind): void {
    this.active.delete(kind);
  }
}

interface RigOptions {
  seed?: number;
  gopFrames?: (n: number) => number;
  segmentMs?: number;
  fps?: number;
  bytesPerFrame?: number;
  rail?: PowerRail;
  cardSim?: SimStorage;
  internalSim?: SimStorage;
  clock?: VirtualClock;
  journal?: MemoryJournal;
}

function rig(o: RigOptions = {}) {
  const clock = o.clock ?? new VirtualClock({ startEpochMs: Date.UTC(2026, 10, 23, 8) });
  const random = new SeededRandom(o.seed ?? 7);
  const rail = o.rail ?? new PowerRail();
  const cardSim = o.cardSim ?? new SimStorage({ name: 'card', capacityBytes: 1 << 30, random: random.fork('card') });
  const internalSim = o.internalSim ?? new SimStorage({ name: 'internal', capacityBytes: 1 << 24, random: random.fork('int') });
  const card = new RailStorage(cardSim, rail);
  const internal = new RailStorage(internalSim, rail);
  const memory = o.journal ?? new MemoryJournal(clock, rail);
  const journal = new ServiceJournal(memory);
  const alerts = new RecordingAlerts();
  const faults = new FaultReporter(journal, alerts);
  const evidence = new FakeEvidence(card);
  const camera = new FakeCamera('camera 0', { clock, gopFrames: o.gopFrames, bytesPerFrame: o.bytesPerFrame ?? 8 });
  const config = parseRecorderConfig({ video: { fps: o.fps ?? 30 }, recorder: { segmentMs: o.segmentMs ?? 60_000 } });
  const recorder = new Recorder({
    camera,
    cameraName: 'main',
    clock,
    evidence,
    internal,
    journal,
    alerts,
    faults,
    health: new RecordingHealth(journal, alerts),
    device: 'DZ-TEST',
    video: config.video,
    config: config.recorder,
  });
  return { clock, rail, cardSim, internalSim, card, internal, memory, alerts, faults, evidence, camera, recorder, config };
}

const closedSegments = (j: MemoryJournal) => j.of('segment-closed').map((e) => e.data);

describe('recorder (R-REC-1)', () => {
  it('R-REC-1: cuts 60 s segments at GOP boundaries, hash-chained, with trusted start/end times', async () => {
    const r = rig();
    await r.recorder.prepare();
    const t0 = r.clock.monotonic();
    const wall0 = r.clock.wallTime();
    r.recorder.start();
    await r.clock.runFor(5 * 60_000);
    const done = r.recorder.finish(true);
    await r.clock.runFor(5_000);
    await done;
    const segs = closedSegments(r.memory);
    expect(segs.map((s) => s.durationMs)).toEqual([60_000, 60_000, 60_000, 60_000, 60_000]);
    expect(segs[0].prevSha256).toBe(ZERO_SHA256);
    for (let i = 0; i < segs.length; i++) {
      expect(segs[i].segment).toBe(i);
      expect(segs[i].startMono).toBe(t0 + i * 60_000);
      expect(segs[i].startWall).toBe(wall0 + i * 60_000);
      expect(segs[i].endWall - segs[i].startWall).toBe(60_000);
      if (i > 0) expect(segs[i].prevSha256).toBe(segs[i - 1].sha256);
      const check = await verifySegment(r.cardSim, segs[i].path);
      expect(check.problems).toEqual([]);
      expect(check.sha256).toBe(segs[i].sha256);
      expect(check.frames).toBe(1800);
    }
    const chain = await verifyChain(r.cardSim, 'video', 'main');
    expect(chain.problems).toEqual([]);
    expect(chain.segments).toHaveLength(5);
  });

  it('R-REC-1: journals segment-closed only once the segment is durable and final (cut at that moment)', async () => {
    const r = rig({ segmentMs: 10_000 });
    let checked = 0;
    const original = r.memory.append.bind(r.memory);
    r.memory.append = (async (type, data) => {
      const res = await original(type, data);
      if (type === 'segment-closed' && checked === 0) {
        checked += 1;
        r.rail.cut(); // power dies the instant the entry is accepted
      }
      return res;
    }) as typeof r.memory.append;
    await r.recorder.prepare();
    r.recorder.start();
    await r.clock.runFor(30_000);
    const [seg] = closedSegments(r.memory);
    expect(seg).toBeDefined();
    const check = await verifySegment(r.cardSim, seg.path);
    expect(check.problems).toEqual([]);
    expect(check.sha256).toBe(seg.sha256);
  });

  it('R-REC-1: a segment whose journal entry was lost in a power cut is journalled at the next power-on', async () => {
    const r = rig({ segmentMs: 6_000 });
    const original = r.memory.append.bind(r.memory);
    let armed = true;
    r.memory.append = (async (type, data) => {
      if (type === 'segment-closed' && armed && (data as { segment: number }).segment === 1) {
        armed = false;
        r.rail.cut(); // dies while writing this very entry
      }
      return original(type, data);
    }) as typeof r.memory.append;
    await r.recorder.prepare();
    r.recorder.start();
    await r.clock.runFor(20_000);
    expect(closedSegments(r.memory).map((s) => s.segment)).toEqual([0]);
    r.rail.restore();
    const again = rig({ segmentMs: 6_000, rail: r.rail, cardSim: r.cardSim, internalSim: r.internalSim, clock: r.clock, journal: r.memory.forBoot() });
    await again.recorder.prepare();
    const segs = closedSegments(r.memory);
    // Segment 1 was closed on the card but not journalled; nothing was open when the power went.
    expect(segs.map((s) => s.segment)).toEqual([0, 1]);
    expect(segs[1].prevSha256).toBe(segs[0].sha256);
    expect((await verifyChain(r.cardSim, 'video', 'main')).problems).toEqual([]);
  });

  it('R-REC-1: no gap and no overlap: segments + authorised pauses = duty time within one keyframe interval (property)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.integer({ min: 8, max: 90 }), { minLength: 1, maxLength: 12 }),
        fc.integer({ min: 3, max: 60 }),
        fc.array(fc.record({ gapS: fc.integer({ min: 1, max: 120 }), lenMs: fc.integer({ min: 100, max: 90_000 }) }), { maxLength: 3 }),
        fc.integer({ min: 20, max: 600 }),
        async (pattern, segmentS, pauses, dutyS) => {
          const r = rig({ gopFrames: (n) => pattern[n % pattern.length], segmentMs: segmentS * 1000 });
          await r.recorder.prepare();
          const start = r.clock.monotonic();
          const end = start + dutyS * 1000;
          r.recorder.start();
          const handles: PauseHandle[] = [];
          let t = start;
          for (const p of pauses) {
            t += p.gapS * 1000;
            if (t >= end) break;
            const from = t;
            r.clock.setTimeout(() => handles.push(r.recorder.pause()), from - r.clock.monotonic());
            t += p.lenMs;
            if (t < end) r.clock.setTimeout(() => r.recorder.resume(), t - r.clock.monotonic());
            t += 1;
          }
          await r.clock.runUntil(end);
          const finished = r.recorder.finish(true);
          await r.clock.runFor(10_000);
          await finished;
          const spans = await Promise.all(handles.map((h) => h.settled));
          const segs = closedSegments(r.memory);
          const maxGop = (Math.max(...pattern) / 30) * 1000;
          const recorded = segs.reduce((n, s) => n + s.durationMs, 0);
          const paused = spans.reduce((n, s) => n + s, 0);
          const diff = recorded + paused - (end - start);
          expect(diff).toBeGreaterThanOrEqual(-1e-6);
          expect(diff).toBeLessThanOrEqual(maxGop + 1e-6);
          // Segments never overlap and follow each other directly or across a pause.
          const halfFrame = 500 / 30;
          let spanIdx = 0;
          for (let i = 1; i < segs.length; i++) {
            const hole = segs[i].startMono - segs[i - 1].endMono;
            expect(hole).toBeGreaterThanOrEqual(-halfFrame);
            if (hole > halfFrame) {
              // Only a pause may leave a hole, and it is exactly the reported span.
              while (spanIdx < spans.length && spans[spanIdx] < halfFrame) spanIdx += 1;
              expect(spans[spanIdx]).toBeCloseTo(hole, 6);
              spanIdx += 1;
            }
            expect(segs[i].prevSha256).toBe(segs[i - 1].sha256);
          }
          // Every segment ≤ target + one GOP, and the whole chain verifies.
          for (const s of segs) expect(s.durationMs).toBeLessThan(segmentS * 1000 + maxGop + 1);
          const cov = analyseCoverage(
            [start, end],
            segs.map((s) => [s.startMono, s.endMono] as const),
            [],
            halfFrame,
          );
          expect(cov.overlaps).toBe(0);
          const chain = await verifyChain(r.cardSim, 'video', 'main');
          expect(chain.problems).toEqual([]);
        },
      ),
      { numRuns: 40 },
    );
  });

  it('R-REC-1: a power cut at a random moment leaves every closed segment intact and hash-verified, and the open one readable to the cut (property)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: 2 ** 31 - 1 }),
        fc.integer({ min: 3, max: 1500 }),
        fc.boolean(),
        fc.array(fc.integer({ min: 10, max: 75 }), { minLength: 1, maxLength: 6 }),
        async (seed, cutAt, cutInternal, pattern) => {
          const r = rig({ seed, segmentMs: 8_000, gopFrames: (n) => pattern[n % pattern.length] });
          await r.recorder.prepare();
          (cutInternal ? r.internal : r.card).cutAtOp = cutAt;
          r.recorder.start();
          for (let i = 0; i < 120 && r.rail.alive; i++) await r.clock.runFor(5_000);
          if (r.rail.alive) r.rail.cut();
          // The media after the cut: every journalled segment is intact.
          const before = closedSegments(r.memory);
          for (const s of before) {
            const check = await verifySegment(r.cardSim, s.path);
            expect(check.problems).toEqual([]);
            expect(check.sha256).toBe(s.sha256);
          }
          // What the open segment's index held after the cut (all of it was synced) must survive recovery.
          const parts = (await r.cardSim.list('video/main/')).filter((f) => f.path.endsWith('.idx.part'));
          const survivingGops = new Map<string, GopRecord[]>();
          for (const p of parts) {
            survivingGops.set(p.path.replace('.idx.part', '.h264'), parseIndex(await r.cardSim.read(p.path)).records.filter((x): x is GopRecord => x.t === 'gop'));
          }
          // Power comes back: a new recorder on the same media recovers.
          r.rail.restore();
          const again = rig({ rail: r.rail, cardSim: r.cardSim, internalSim: r.internalSim, clock: r.clock, journal: r.memory.forBoot() });
          await again.recorder.prepare();
          const chain = await verifyChain(r.cardSim, 'video', 'main');
          expect(chain.problems).toEqual([]);
          for (const [video, gops] of survivingGops) {
            if (gops.length === 0) continue;
            const check = chain.segments.find((s) => s.path === video);
            expect(check, `${video} recovered`).toBeDefined();
            // Readable to the last synced GOP, byte for byte what the camera produced.
            let frames = 0;
            const data = await r.cardSim.read(video);
            for (const g of gops) {
              frames += g.f;
              if (g.i === 0) continue; // the first GOP carries the identity SEI
              const expected = makeGop(1280, 720, g.f, 8, emittedIndex(r.camera, g.pts));
              expect(Buffer.compare(data.subarray(g.o, g.o + g.n), expected)).toBe(0);
            }
            expect(check!.frames).toBe(frames);
          }
          // Every recovered segment was journalled with its hash.
          const journalled = new Map(closedSegments(r.memory).map((s) => [s.path, s.sha256]));
          for (const s of chain.segments) expect(journalled.get(s.path)).toBe(s.sha256);
        },
      ),
      { numRuns: 40, examples: [[0, 901, false, [27]]] },
    );
  });

  it('R-REC-1: a pulled card stops recording with an alert, and recording resumes into a new segment when it is back', async () => {
    const r = rig({ segmentMs: 20_000 });
    await r.recorder.prepare();
    r.recorder.start();
    await r.clock.runFor(31_000);
    r.evidence.set('absent');
    r.cardSim.setAvailable(false);
    await r.clock.runFor(10_000);
    expect(r.alerts.active.has('recording-stopped')).toBe(true);
    expect(r.memory.of('recording-stopped').map((e) => e.data.reason)).toEqual(['main: card absent']);
    r.cardSim.setAvailable(true);
    r.evidence.set('ready');
    await r.clock.runFor(30_000);
    expect(r.alerts.active.has('recording-stopped')).toBe(false);
    const done = r.recorder.finish(true);
    await r.clock.runFor(5_000);
    await done;
    const segs = closedSegments(r.memory);
    // Segment 0 closed normally, segment 1 was recovered from its .part, then recording went on.
    expect(r.memory.of('segment-recovered')).toHaveLength(1);
    expect(segs.map((s) => s.segment)).toEqual([0, 1, 2, 3]);
    const chain = await verifyChain(r.cardSim, 'video', 'main');
    expect(chain.problems).toEqual([]);
    expect(chain.segments[1].recovered).toBe(true);
  });

  it('R-PWR-3: a camera that fails is a fault; the recorder re-opens it and records on', async () => {
    const r = rig({ segmentMs: 20_000 });
    await r.recorder.prepare();
    r.recorder.start();
    await r.clock.runFor(15_000);
    r.camera.fail('encoder died');
    await r.clock.runFor(1_000);
    expect(r.faults.isFaulty('camera main')).toBe(true);
    expect(r.memory.of('fault')[0].data).toMatchObject({ device: 'camera main', state: 'raised' });
    await r.clock.runFor(10_000);
    expect(r.faults.isFaulty('camera main')).toBe(false);
    expect(r.camera.subscriptions).toBe(2);
    const done = r.recorder.finish(true);
    await r.clock.runFor(5_000);
    await done;
    const chain = await verifyChain(r.cardSim, 'video', 'main');
    expect(chain.problems).toEqual([]);
    expect(chain.segments.length).toBeGreaterThanOrEqual(2);
  });

  it('R-REC-8: a marker is placed in the segment that records its moment, in the index and the journal', async () => {
    const r = rig({ segmentMs: 10_000 });
    await r.recorder.prepare();
    r.recorder.start();
    await r.clock.runFor(13_500);
    r.recorder.mark('suspect leaves the car');
    await r.clock.runFor(5_000);
    const [m] = r.memory.of('marker');
    expect(m.data).toMatchObject({ segment: 1, offsetMs: 3_500, note: 'suspect leaves the car' });
    const done = r.recorder.finish(true);
    await r.clock.runFor(5_000);
    await done;
    const check = await verifySegment(r.cardSim, segmentPaths('video', 'main', 1).video);
    expect(check.markers).toEqual([expect.objectContaining({ offsetMs: 3_500, note: 'suspect leaves the car' })]);
  });

  it('R-REC-4: plays back a window of a closed or open segment as whole GOPs, and journals it', async () => {
    const r = rig({ segmentMs: 20_000 });
    await r.recorder.prepare();
    r.recorder.start();
    await r.clock.runFor(30_000);
    const player = new PlaybackService(() => r.card, 'video', new ServiceJournal(r.memory));
    const clip = await player.play({ camera: 'main', segment: 0, fromMs: 5_000, toMs: 9_000 });
    expect(clip).toMatchObject({ fromMs: 4_000, toMs: 10_000, frames: 180, open: false });
    const gops: number[] = [];
    const a = new GopAssembler((g) => gops.push(g.frames));
    a.push(clip.data);
    a.flush();
    expect(gops).toEqual([60, 60, 60]);
    const live = await player.play({ camera: 'main', segment: 1 });
    expect(live.open).toBe(true);
    expect(live.frames).toBe(300);
    expect(r.memory.of('playback').map((e) => e.data)).toEqual([
      { segment: 0, path: 'video/main/00000000.h264', fromMs: 4_000, toMs: 10_000 },
      { segment: 1, path: 'video/main/00000001.h264', fromMs: 0, toMs: 10_000 },
    ]);
  });

  it('R-REC-6: recording, recovery and playback never remove a file, and the firmware has no deletion call', async () => {
    const r = rig({ segmentMs: 5_000 });
    let removes = 0;
    const inner = r.card.remove.bind(r.card);
    r.card.remove = async (p: string) => {
      removes += 1;
      return inner(p);
    };
    await r.recorder.prepare();
    r.recorder.start();
    await r.clock.runFor(12_300);
    r.rail.cut();
    r.rail.restore();
    const again = rig({ rail: r.rail, cardSim: r.cardSim, internalSim: r.internalSim, clock: r.clock, journal: r.memory.forBoot() });
    again.card.remove = r.card.remove;
    await again.recorder.prepare();
    expect(removes).toBe(0);
    // Static check: no firmware source outside tests calls Storage.remove.
    const root = path.resolve(import.meta.dirname, '..');
    const offenders: string[] = [];
    const walk = (dir: string) => {
      for (const f of readdirSync(dir)) {
        const p = path.join(dir, f);
        if (statSync(p).isDirectory()) walk(p);
        else if (p.endsWith('.ts') && !p.endsWith('.test.ts') && /\.remove\(/.test(readFileSync(p, 'utf8'))) offenders.push(p);
      }
    };
    walk(root);
    // The only removals allowed: the evidence store's receipt-guarded reclaim (R-OFF-2, R-CARD-4),
    // the card guard's storage wrapper that refuses every remove, and the radar's outbound queue,
    // which drops its own transmission copies on internal storage once the centre acknowledged them.
    const allowed = [`firmware${path.sep}card${path.sep}`, `firmware${path.sep}evidence${path.sep}evidence-store.ts`, `firmware${path.sep}radar${path.sep}outbox.ts`];
    expect(offenders.filter((p) => !allowed.some((a) => p.includes(a)))).toEqual([]);
  });

  it('restarts numbering and the chain from the card after a reboot, across duties', async () => {
    const r = rig({ segmentMs: 10_000 });
    await r.recorder.prepare();
    r.recorder.start();
    await r.clock.runFor(25_000);
    let done = r.recorder.finish(true);
    await r.clock.runFor(5_000);
    await done;
    const again = rig({ segmentMs: 10_000, rail: r.rail, cardSim: r.cardSim, internalSim: r.internalSim, clock: r.clock, journal: r.memory.forBoot() });
    await again.recorder.prepare();
    again.recorder.start();
    await r.clock.runFor(15_000);
    done = again.recorder.finish(true);
    await r.clock.runFor(5_000);
    await done;
    expect(closedSegments(r.memory).map((s) => s.segment)).toEqual([0, 1, 2, 3, 4]);
    expect((await verifyChain(r.cardSim, 'video', 'main')).problems).toEqual([]);
  });
});

describe('segment index', () => {
  it('uses the standard CRC-32 (zlib) for its lines', () => {
    expect(crc32(new TextEncoder().encode('123456789')).toString(16)).toBe('cbf43926');
  });

  it('reads back every record and stops at the first damaged line', () => {
    const lines = [
      encodeIndexLine({ t: 'gop', i: 0, o: 0, n: 10, pts: 0, d: 2000, f: 60, m: 'day' }),
      encodeIndexLine({ t: 'mark', offsetMs: 5, wall: 1, mono: 2, note: 'Ночь, улица' }),
      encodeIndexLine({ t: 'gop', i: 1, o: 10, n: 10, pts: 2000, d: 2000, f: 60, m: 'night' }),
    ];
    const all = Buffer.concat(lines);
    const parsed = parseIndex(all);
    expect(parsed.records).toHaveLength(3);
    expect(parsed.records[1]).toMatchObject({ note: 'Ночь, улица' });
    const damaged = Uint8Array.from(all);
    damaged[lines[0].length + lines[1].length + 5] ^= 0x20;
    expect(parseIndex(damaged).records).toHaveLength(2);
    expect(parseIndex(damaged).validBytes).toBe(lines[0].length + lines[1].length);
  });

  it('hashes what it writes: the SHA-256 of the file equals the recorded one', async () => {
    const r = rig({ segmentMs: 4_000 });
    await r.recorder.prepare();
    r.recorder.start();
    await r.clock.runFor(4_500);
    const [seg] = closedSegments(r.memory);
    const data = await r.cardSim.read(seg.path);
    expect(createHash('sha256').update(data).digest('hex')).toBe(seg.sha256);
  });
});

/** The camera's GOP number whose pts is `pts` (fakes stamp that number into each GOP). */
function emittedIndex(camera: FakeCamera, pts: number): number {
  const i = camera.emitted.findIndex((e) => Math.abs(e.pts - pts) < 1e-6);
  if (i < 0) throw new Error(`no GOP at ${pts}`);
  return i;
}

