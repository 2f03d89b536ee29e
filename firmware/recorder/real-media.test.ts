import { describe, expect, it } from 'vitest';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Observable } from 'rxjs';
import { VirtualClock } from '../../sim/virtual-clock.ts';
import { SimStorage } from '../../sim/storage.ts';
import { SeededRandom } from '../../sim/random.ts';
import { GopAssembler, type GopChunk } from '../../hal/drivers/h264.ts';
import type { Camera, VideoChunk } from '../../hal/camera.ts';
import { FakeEvidence, MemoryJournal } from '../../test/fakes/recorder-board.ts';
import { ServiceJournal } from '../common/journal.ts';
import { FaultReporter } from '../faults/fault-reporter.ts';
import { parseRecorderConfig } from '../app/config.ts';
import { Recorder } from './recorder.ts';
import { RecordingHealth } from './recording-health.ts';
import { verifyChain } from './verify.ts';
import { readSegmentSei } from './sei.ts';

/** A real libx264 stream (10 fps, a keyframe every second) cut into GOPs. */
function realGops(seconds: number): GopChunk[] {
  const h264 = execFileSync('ffmpeg', [
    '-hide_banner', '-loglevel', 'error', '-f', 'lavfi', '-i', 'testsrc2=size=320x240:rate=10', '-t', String(seconds),
    '-c:v', 'libx264', '-preset', 'ultrafast', '-g', '10', '-keyint_min', '10', '-sc_threshold', '0', '-bf', '0',
    '-x264-params', 'repeat-headers=1', '-f', 'h264', '-',
  ]);
  const gops: GopChunk[] = [];
  const a = new GopAssembler((g) => gops.push(g));
  a.push(new Uint8Array(h264));
  a.flush();
  return gops;
}

/** A camera that plays the given GOPs on the clock, one per second, as the contract says. */
function replayCamera(clock: VirtualClock, gops: GopChunk[]): Camera {
  return {
    name: 'replay camera',
    async close() {},
    async still() {
      throw new Error('no stills');
    },
    setMode() {},
    video: () =>
      new Observable<VideoChunk>((sub) => {
        const t0 = clock.monotonic();
        const timers = gops.map((g, i) =>
          clock.setTimeout(() => sub.next({ data: g.data, pts: t0 + i * 1000, durationMs: 1000, frames: g.frames, mode: 'day' }), (i + 1) * 1000),
        );
        return () => timers.forEach((t) => t.cancel());
      }),
  };
}

function ffprobeFrames(file: string): number {
  const r = spawnSync('ffprobe', ['-v', 'error', '-count_frames', '-select_streams', 'v:0', '-show_entries', 'stream=nb_read_frames,codec_name,width,height', '-of', 'json', file]);
  expect(r.status).toBe(0);
  expect(r.stderr.toString()).toBe(''); // no decoder complaint, not even about the SEI
  const s = (JSON.parse(r.stdout.toString()) as { streams: Array<{ nb_read_frames: string; codec_name: string; width: number }> }).streams[0];
  expect(s.codec_name).toBe('h264');
  expect(s.width).toBe(320);
  return Number(s.nb_read_frames);
}

describe('recorder on a real H.264 stream', () => {
  it('R-REC-1: every segment, the identity SEI included, is accepted by ffprobe and decodes completely; so does a segment recovered after a power cut', async () => {
    const gops = realGops(12);
    expect(gops).toHaveLength(12);
    const clock = new VirtualClock({ startEpochMs: Date.UTC(2026, 10, 23, 8) });
    const card = new SimStorage({ name: 'card', capacityBytes: 1 << 28, random: new SeededRandom(5) });
    const internal = new SimStorage({ name: 'int', capacityBytes: 1 << 20, random: new SeededRandom(6) });
    const memory = new MemoryJournal(clock);
    const journal = new ServiceJournal(memory);
    const alerts = { raise() {}, clear() {} };
    const config = parseRecorderConfig({ video: { fps: 10, keyframeInterval: 10, width: 320, height: 240 }, recorder: { segmentMs: 5_000 } });
    const make = () =>
      new Recorder({
        camera: replayCamera(clock, gops),
        cameraName: 'main',
        clock,
        evidence: new FakeEvidence(card),
        internal,
        journal,
        alerts,
        faults: new FaultReporter(journal, alerts),
        health: new RecordingHealth(journal, alerts),
        device: 'DZ-REAL',
        video: config.video,
        config: config.recorder,
      });
    const rec = make();
    await rec.prepare();
    rec.start();
    await clock.runFor(12_500);
    // Power cut with the third segment open (two GOPs of it written): recover it on the next boot.
    card.powerCut(() => ({ keep: 0 }));
    await make().prepare();
    const chain = await verifyChain(card, 'video', 'main');
    expect(chain.problems).toEqual([]);
    expect(chain.segments.map((s) => s.frames)).toEqual([50, 50, 20]);
    expect(chain.segments[2].recovered).toBe(true);
    const dir = mkdtempSync(path.join(tmpdir(), 'dozor-seg-'));
    try {
      for (const s of chain.segments) {
        const file = path.join(dir, path.basename(s.path));
        const data = await card.read(s.path);
        writeFileSync(file, data);
        expect(ffprobeFrames(file)).toBe(s.frames);
        expect(readSegmentSei(data)?.segment).toBe(s.segment);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
