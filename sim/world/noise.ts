/**
 * Stateless, seeded noise for the world models. Every value is a pure function of (seed, time),
 * computed from an integer hash: O(1) per query, the same answer whatever order or how often the
 * simulator asks, and no pre-generated tables (an 8-hour shift must not cost hours of samples).
 */

/** 32-bit avalanche mix (the murmur3 finaliser). */
function mix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** Uniform in [0, 1) from a seed and an integer index (any safe integer, negative too). */
export function hashUniform(seed: number, index: number): number {
  const lo = index >>> 0;
  const hi = Math.floor(index / 4294967296) >>> 0;
  const h = mix32(mix32(seed ^ 0x9e3779b9) ^ lo) ^ Math.imul(hi + 0x7f4a7c15, 0x27d4eb2f);
  return mix32(h) / 4294967296;
}

/** Standard-normal value (Box–Muller on two hashes) for a seed and an integer index. */
export function hashGaussian(seed: number, index: number): number {
  const u = 1 - hashUniform(seed, index * 2); // (0, 1]
  const v = hashUniform(seed ^ 0x5bd1e995, index * 2 + 1);
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
}

/** Derives a sub-seed from a seed and a label, so each model draws from its own stream. */
export function subSeed(seed: number, label: string): number {
  let h = 0x811c9dc5 ^ seed;
  for (let i = 0; i < label.length; i++) h = Math.imul(h ^ label.charCodeAt(i), 0x01000193);
  return mix32(h >>> 0);
}

/**
 * Smooth value noise in [−1, 1]: random knots every `periodMs`, joined by a smoothstep, summed
 * over a few octaves so it looks like a smoothed random walk (clouds drifting, temperature
 * wandering) rather than a sine.
 */
interface Octave {
  seed: number;
  period: number;
  weight: number;
  /** Cached knot values around the last query (pure: they depend only on k). */
  k: number;
  a: number;
  b: number;
}

export class SmoothNoise {
  private readonly octaves: Octave[];

  constructor(seed: number, periodMs: number, octaves = 3) {
    if (!(periodMs > 0)) throw new RangeError(`noise period must be > 0, got ${periodMs}`);
    const list: Array<{ seed: number; period: number; weight: number }> = [];
    let total = 0;
    for (let o = 0; o < octaves; o++) {
      const weight = 0.5 ** o;
      total += weight;
      // Non-integer period ratios keep the octaves' knots from lining up.
      list.push({ seed: subSeed(seed, `octave${o}`), period: periodMs / 2.17 ** o, weight });
    }
    this.octaves = list.map((x) => ({ ...x, weight: x.weight / total, k: Number.NaN, a: 0, b: 0 }));
  }

  /** Noise value at time `t` (ms), in [−1, 1]. */
  at(t: number): number {
    let sum = 0;
    for (const o of this.octaves) {
      const x = t / o.period;
      const k = Math.floor(x);
      const f = x - k;
      if (k !== o.k) {
        o.a = k === o.k + 1 ? o.b : hashUniform(o.seed, k) * 2 - 1;
        o.b = hashUniform(o.seed, k + 1) * 2 - 1;
        o.k = k;
      }
      sum += o.weight * (o.a + (o.b - o.a) * f * f * (3 - 2 * f));
    }
    return sum;
  }
}
