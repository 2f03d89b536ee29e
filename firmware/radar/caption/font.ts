/**
 * The caption font (generated glyph data in font-data.ts) and text drawing onto RGBA pixels.
 * Monospaced cells make layout exact and let tests read the burned-in text back.
 */
import { BASELINE, CELL_H, CELL_W, GLYPHS, LEVELS } from './font-data.ts';

export const FONT_NAME = 'Dozor Caption 10x20 (from DejaVu Sans Mono Bold)';
export { BASELINE, CELL_H, CELL_W };

let glyphMap: Map<number, Uint8Array> | null = null;

/** Coverage 0–255 per pixel, CELL_W × CELL_H, row-major. */
export function glyphs(): Map<number, Uint8Array> {
  if (!glyphMap) {
    glyphMap = new Map();
    for (const [cp, hex] of GLYPHS) {
      const cov = new Uint8Array(CELL_W * CELL_H);
      for (let i = 0; i < cov.length; i++) cov[i] = Math.round((parseInt(hex[i], 16) * 255) / (LEVELS - 1));
      glyphMap.set(cp, cov);
    }
  }
  return glyphMap;
}

const REPLACEMENT = 0xfffd;

/** The glyph drawn for a character (the replacement glyph when the font lacks it). */
export function glyphFor(cp: number): Uint8Array {
  const g = glyphs();
  return g.get(cp) ?? g.get(REPLACEMENT) ?? g.get(0x3f)!;
}

export function hasGlyph(cp: number): boolean {
  return glyphs().has(cp);
}

export interface RgbaImage {
  width: number;
  height: number;
  /** RGBA, 4 bytes per pixel, row-major. */
  data: Uint8Array;
}

/** Draws `text` with its top-left cell corner at (x, y), each font pixel as a scale×scale block. */
export function drawText(img: RgbaImage, x: number, y: number, text: string, rgb: readonly [number, number, number], scale = 1): void {
  const cw = CELL_W * scale;
  let cx = x;
  for (const ch of text) {
    const cov = glyphFor(ch.codePointAt(0)!);
    for (let gy = 0; gy < CELL_H; gy++) {
      for (let gx = 0; gx < CELL_W; gx++) {
        const a = cov[gy * CELL_W + gx];
        if (a === 0) continue;
        for (let sy = 0; sy < scale; sy++) {
          const py = y + gy * scale + sy;
          if (py < 0 || py >= img.height) continue;
          for (let sx = 0; sx < scale; sx++) {
            const px = cx + gx * scale + sx;
            if (px < 0 || px >= img.width) continue;
            const i = (py * img.width + px) * 4;
            const d = img.data;
            d[i] = (d[i] * (255 - a) + rgb[0] * a) / 255;
            d[i + 1] = (d[i + 1] * (255 - a) + rgb[1] * a) / 255;
            d[i + 2] = (d[i + 2] * (255 - a) + rgb[2] * a) / 255;
            d[i + 3] = 255;
          }
        }
      }
    }
    cx += cw;
  }
}
