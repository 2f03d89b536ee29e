/** Matching the every-vehicle log against the simulated ground truth, and reading captions back. */
import { PNG } from 'pngjs';
import type { Vehicle } from '../../sim/traffic.ts';
import { maxPermissibleErrorKmh } from '../../sim/traffic.ts';
import type { VehicleRecord } from '../../firmware/radar/vehicle-log.ts';
import type { CaptionLayout } from '../../firmware/radar/caption/caption.ts';
import { CELL_H, CELL_W, glyphFor, glyphs } from '../../firmware/radar/caption/font.ts';

export interface MatchReport {
  truth: number;
  records: number;
  matched: number;
  missing: Vehicle[];
  phantoms: VehicleRecord[];
  withinTolerance: number;
  outOfTolerance: Array<{ v: Vehicle; r: VehicleRecord }>;
}

/**
 * Pairs each record with the true vehicle of its lane whose pass through the beam contains the
 * record's time (closest speed when two overlap). `startEpochMs` maps monotonic to wall time.
 */
export function matchVehicles(truth: readonly Vehicle[], records: readonly VehicleRecord[], startEpochMs: number): MatchReport {
  const byLane = new Map<number, Vehicle[]>();
  for (const v of truth) (byLane.get(v.lane) ?? byLane.set(v.lane, []).get(v.lane)!).push(v);
  const used = new Set<number>();
  const phantoms: VehicleRecord[] = [];
  const out: Array<{ v: Vehicle; r: VehicleRecord }> = [];
  let within = 0;
  let matched = 0;
  const cursor = new Map<number, number>();
  for (const r of [...records].sort((a, b) => a.wall - b.wall)) {
    const list = byLane.get(r.lane) ?? [];
    const t = r.wall - startEpochMs;
    let i = cursor.get(r.lane) ?? 0;
    while (i < list.length && list[i].exitMs + 500 < t) i++;
    cursor.set(r.lane, i);
    let best: Vehicle | null = null;
    for (let j = i; j < list.length && list[j].enterMs - 200 <= t; j++) {
      const v = list[j];
      if (used.has(v.id) || t > v.exitMs + 300) continue;
      if (!best || Math.abs(v.speedKmh - r.speedKmh) < Math.abs(best.speedKmh - r.speedKmh)) best = v;
    }
    if (!best) {
      phantoms.push(r);
      continue;
    }
    used.add(best.id);
    matched += 1;
    if (Math.abs(r.speedKmh - best.speedKmh) <= maxPermissibleErrorKmh(best.speedKmh)) within += 1;
    else out.push({ v: best, r });
  }
  return {
    truth: truth.length,
    records: records.length,
    matched,
    missing: truth.filter((v) => !used.has(v.id)),
    phantoms,
    withinTolerance: within,
    outOfTolerance: out,
  };
}

/**
 * Reads the burned-in caption back from the image pixels: for every character cell of every
 * line the layout lists, the glyph of the expected character must match the pixels better than
 * (or as well as, for look-alike letters) every other glyph of the font. Returns the lines whose
 * pixels do not spell their text.
 */
export function unreadableCaptionLines(png: Uint8Array, layout: CaptionLayout): string[] {
  const img = PNG.sync.read(Buffer.from(png));
  const all = [...glyphs().values()];
  const bad: string[] = [];
  const s = layout.scale;
  for (const line of layout.lines) {
    let ok = true;
    let i = 0;
    for (const ch of line.text) {
      const x0 = line.x + i * CELL_W * s;
      i += 1;
      const cell = new Float64Array(CELL_W * CELL_H);
      for (let gy = 0; gy < CELL_H; gy++) {
        for (let gx = 0; gx < CELL_W; gx++) {
          const px = x0 + gx * s;
          const py = line.y + gy * s;
          const k = (py * img.width + px) * 4;
          cell[gy * CELL_W + gx] = (img.data[k] + img.data[k + 1] + img.data[k + 2]) / 3;
        }
      }
      // Sum of squared differences, abandoned as soon as it exceeds `limit`.
      const ssd = (g: Uint8Array, limit: number) => {
        let e = 0;
        for (let p = 0; p < g.length && e <= limit; p++) {
          const d = g[p] - cell[p];
          e += d * d;
        }
        return e;
      };
      const mine = ssd(glyphFor(ch.codePointAt(0)!), Infinity);
      if (mine > CELL_W * CELL_H * 40 ** 2 || all.some((g) => ssd(g, mine) < mine - 1e-6)) {
        ok = false;
        break;
      }
    }
    if (!ok) bad.push(line.text);
  }
  return bad;
}
