/**
 * Builds the bitmap font burned into radar evidence captions (R-RAD-4) from DejaVu Sans Mono Bold:
 * parses the TrueType outlines with fontkit, rasterises each glyph with 8×8 supersampling into a
 * 10×20 cell of 16 coverage levels, and writes `firmware/radar/caption/font-data.ts`.
 *
 * The firmware never reads font files at run time; this script runs only when the character set
 * or the cell size changes:
 *   node --import tsx tools/fonts/build-caption-font.ts [path/to/DejaVuSansMono-Bold.ttf]
 * (Debian: package fonts-dejavu-core.) The licence travels with the output in
 * `firmware/radar/caption/FONT-LICENSE.txt`.
 */
import { writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

interface PathCommand {
  command: 'moveTo' | 'lineTo' | 'quadraticCurveTo' | 'bezierCurveTo' | 'closePath';
  args: number[];
}
interface FkGlyph {
  advanceWidth: number;
  path: { commands: PathCommand[] };
}
interface FkFont {
  unitsPerEm: number;
  ascent: number;
  descent: number;
  familyName: string;
  subfamilyName: string;
  version: string;
  hasGlyphForCodePoint(cp: number): boolean;
  glyphForCodePoint(cp: number): FkGlyph;
}

const require = createRequire(import.meta.url);
const fontkit = require('fontkit') as { openSync(file: string): FkFont };

export const CELL_W = 10;
export const CELL_H = 20;
const SS = 8;
const LEVELS = 16;

/** Latin, Latin-1, the Russian and Kazakh Cyrillic alphabets and the symbols a caption uses. */
export function captionCharset(): number[] {
  const cps = new Set<number>();
  const range = (a: number, b: number) => {
    for (let c = a; c <= b; c++) cps.add(c);
  };
  range(0x20, 0x7e);
  range(0xa0, 0xff); // Latin-1: ° ± · « » and accented Latin letters
  range(0x0400, 0x045f); // Cyrillic: Russian alphabet, Ё ё, І і
  // Kazakh: Ә ә Ғ ғ Қ қ Ң ң Ө ө Ұ ұ Ү ү Һ һ
  for (const c of [0x04d8, 0x04d9, 0x0492, 0x0493, 0x049a, 0x049b, 0x04a2, 0x04a3, 0x04e8, 0x04e9, 0x04b0, 0x04b1, 0x04ae, 0x04af, 0x04ba, 0x04bb]) cps.add(c);
  for (const c of [0x2013, 0x2014, 0x2018, 0x2019, 0x201c, 0x201d, 0x2026, 0x2116, 0x2192, 0x2190, 0x2191, 0x2193, 0x2212, 0xfffd]) cps.add(c);
  return [...cps].sort((a, b) => a - b);
}

type Edge = [number, number, number, number];

function flatten(commands: PathCommand[], scale: number, baseline: number, xOffset: number): Edge[] {
  const edges: Edge[] = [];
  const tx = (x: number) => xOffset + x * scale;
  const ty = (y: number) => baseline - y * scale;
  let sx = 0;
  let sy = 0;
  let cx = 0;
  let cy = 0;
  const line = (x: number, y: number) => {
    if (y !== cy) edges.push([cx, cy, x, y]);
    cx = x;
    cy = y;
  };
  for (const c of commands) {
    const a = c.args;
    switch (c.command) {
      case 'moveTo':
        if (cx !== sx || cy !== sy) line(sx, sy);
        cx = sx = tx(a[0]);
        cy = sy = ty(a[1]);
        break;
      case 'lineTo':
        line(tx(a[0]), ty(a[1]));
        break;
      case 'quadraticCurveTo': {
        const [x0, y0] = [cx, cy];
        const [x1, y1, x2, y2] = [tx(a[0]), ty(a[1]), tx(a[2]), ty(a[3])];
        for (let i = 1; i <= 16; i++) {
          const t = i / 16;
          const u = 1 - t;
          line(u * u * x0 + 2 * u * t * x1 + t * t * x2, u * u * y0 + 2 * u * t * y1 + t * t * y2);
        }
        break;
      }
      case 'bezierCurveTo': {
        const [x0, y0] = [cx, cy];
        const [x1, y1, x2, y2, x3, y3] = [tx(a[0]), ty(a[1]), tx(a[2]), ty(a[3]), tx(a[4]), ty(a[5])];
        for (let i = 1; i <= 16; i++) {
          const t = i / 16;
          const u = 1 - t;
          line(
            u * u * u * x0 + 3 * u * u * t * x1 + 3 * u * t * t * x2 + t * t * t * x3,
            u * u * u * y0 + 3 * u * u * t * y1 + 3 * u * t * t * y2 + t * t * t * y3,
          );
        }
        break;
      }
      case 'closePath':
        line(sx, sy);
        break;
    }
  }
  if (cx !== sx || cy !== sy) line(sx, sy);
  return edges;
}

/** Non-zero winding coverage of each pixel, sampled on an SS×SS grid. */
function rasterise(edges: Edge[]): Uint8Array {
  const counts = new Uint16Array(CELL_W * CELL_H);
  for (let row = 0; row < CELL_H * SS; row++) {
    const y = (row + 0.5) / SS;
    const xs: Array<[number, number]> = [];
    for (const [x0, y0, x1, y1] of edges) {
      if ((y0 <= y && y1 > y) || (y1 <= y && y0 > y)) {
        const x = x0 + ((y - y0) * (x1 - x0)) / (y1 - y0);
        xs.push([x, y1 > y0 ? 1 : -1]);
      }
    }
    xs.sort((p, q) => p[0] - q[0]);
    let winding = 0;
    for (let i = 0; i < xs.length - 1; i++) {
      winding += xs[i][1];
      if (winding === 0) continue;
      const from = Math.max(0, Math.ceil(xs[i][0] * SS - 0.5));
      const to = Math.min(CELL_W * SS - 1, Math.floor(xs[i + 1][0] * SS - 0.5));
      for (let s = from; s <= to; s++) counts[Math.floor(row / SS) * CELL_W + Math.floor(s / SS)] += 1;
    }
  }
  const out = new Uint8Array(CELL_W * CELL_H);
  for (let i = 0; i < out.length; i++) out[i] = Math.round((counts[i] / (SS * SS)) * (LEVELS - 1));
  return out;
}

function main(): void {
  const here = path.dirname(fileURLToPath(import.meta.url));
  const fontPath = process.argv[2] ?? '/usr/share/fonts/truetype/dejavu/DejaVuSansMono-Bold.ttf';
  const font = fontkit.openSync(fontPath);
  const advance = font.glyphForCodePoint(0x41).advanceWidth;
  const scale = CELL_W / advance;
  const lineUnits = font.ascent - font.descent;
  // Centre the font's line box in the cell.
  const baseline = Math.round((CELL_H - lineUnits * scale) / 2 + font.ascent * scale);
  const lines: string[] = [];
  const missing: string[] = [];
  for (const cp of captionCharset()) {
    if (!font.hasGlyphForCodePoint(cp)) {
      missing.push(cp.toString(16));
      continue;
    }
    const glyph = font.glyphForCodePoint(cp);
    const xOffset = (CELL_W - glyph.advanceWidth * scale) / 2;
    const cov = rasterise(flatten(glyph.path.commands, scale, baseline, xOffset));
    let hex = '';
    for (const v of cov) hex += v.toString(16);
    lines.push(`  [0x${cp.toString(16).padStart(4, '0')}, '${hex}'],`);
  }
  const out = [
    '/**',
    ' * GENERATED by tools/fonts/build-caption-font.ts: do not edit. "Dozor Caption 10x20": bitmaps',
    ` * rasterised from ${font.familyName} ${font.subfamilyName} (${font.version.trim()}), renamed as its licence`,
    ' * requires; see FONT-LICENSE.txt beside this file (Bitstream Vera licence, DejaVu changes public domain).',
    ' * Each glyph: CELL_H rows of CELL_W pixels, one hex digit (coverage 0–15) per pixel, row-major.',
    ' */',
    `export const CELL_W = ${CELL_W};`,
    `export const CELL_H = ${CELL_H};`,
    `export const BASELINE = ${baseline};`,
    `export const LEVELS = ${LEVELS};`,
    'export const GLYPHS: ReadonlyArray<readonly [number, string]> = [',
    ...lines,
    '];',
    '',
  ].join('\n');
  const target = path.join(here, '..', '..', 'firmware', 'radar', 'caption', 'font-data.ts');
  writeFileSync(target, out);
  process.stdout.write(`wrote ${lines.length} glyphs to ${path.relative(process.cwd(), target)}${missing.length ? `; missing: ${missing.join(' ')}` : ''}\n`);
}

main();
