/**
 * What the simulated camera sees: how bright the picture comes out for a scene illuminance, and
 * a synthetic still (street scene with sky, buildings, lit windows and the device time burned
 * in) rendered into an RGBA buffer.
 *
 * Exposure model: auto-exposure keeps the picture fully bright down to about 10 lx; below
 * that gain runs out and the picture darkens by half per decade (1 lx ≈ 0.5, 0.1 lx ≈ 0.03).
 * At night with the IR illuminator on, the near field is lit: at least 0.7, in monochrome.
 */

export interface SceneLight {
  /** Scene illuminance (lx). */
  lux: number;
  /** Optics mode: day (IR-cut in, colour) or night (IR-cut out, monochrome). */
  mode: 'day' | 'night';
  /** The IR illuminator is on. */
  irLit: boolean;
}

/** Picture brightness 0.03–1 for a scene (1 = properly exposed daylight picture). */
export function pictureBrightness(scene: SceneLight): number {
  const exposed = Math.min(1, Math.max(0.03, (Math.log10(Math.max(scene.lux, 0) + 0.01) + 1) / 2));
  return scene.mode === 'night' && scene.irLit ? Math.max(exposed, 0.7) : exposed;
}

// ---- a 5×7 bitmap font for the burned-in timestamp ----

const GLYPHS: Record<string, readonly number[]> = {
  '0': [0x0e, 0x11, 0x13, 0x15, 0x19, 0x11, 0x0e],
  '1': [0x04, 0x0c, 0x04, 0x04, 0x04, 0x04, 0x0e],
  '2': [0x0e, 0x11, 0x01, 0x02, 0x04, 0x08, 0x1f],
  '3': [0x1f, 0x02, 0x04, 0x02, 0x01, 0x11, 0x0e],
  '4': [0x02, 0x06, 0x0a, 0x12, 0x1f, 0x02, 0x02],
  '5': [0x1f, 0x10, 0x1e, 0x01, 0x01, 0x11, 0x0e],
  '6': [0x06, 0x08, 0x10, 0x1e, 0x11, 0x11, 0x0e],
  '7': [0x1f, 0x01, 0x02, 0x04, 0x08, 0x08, 0x08],
  '8': [0x0e, 0x11, 0x11, 0x0e, 0x11, 0x11, 0x0e],
  '9': [0x0e, 0x11, 0x11, 0x0f, 0x01, 0x02, 0x0c],
  '-': [0, 0, 0, 0x1f, 0, 0, 0],
  ':': [0, 0x0c, 0x0c, 0, 0x0c, 0x0c, 0],
  ' ': [0, 0, 0, 0, 0, 0, 0],
  A: [0x0e, 0x11, 0x11, 0x11, 0x1f, 0x11, 0x11],
  C: [0x0e, 0x11, 0x10, 0x10, 0x10, 0x11, 0x0e],
  D: [0x1c, 0x12, 0x11, 0x11, 0x11, 0x12, 0x1c],
  G: [0x0e, 0x11, 0x10, 0x17, 0x11, 0x11, 0x0f],
  H: [0x11, 0x11, 0x11, 0x1f, 0x11, 0x11, 0x11],
  I: [0x0e, 0x04, 0x04, 0x04, 0x04, 0x04, 0x0e],
  N: [0x11, 0x11, 0x19, 0x15, 0x13, 0x11, 0x11],
  T: [0x1f, 0x04, 0x04, 0x04, 0x04, 0x04, 0x04],
  U: [0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x0e],
  Y: [0x11, 0x11, 0x0a, 0x04, 0x04, 0x04, 0x04],
};

/** Device wall time as burned into pictures: "2025-06-01 21:14:07 UTC". */
export function stampText(wallMs: number, mode: 'day' | 'night'): string {
  const iso = new Date(wallMs).toISOString();
  return `${iso.slice(0, 10)} ${iso.slice(11, 19)} UTC ${mode.toUpperCase()}`;
}

function drawText(rgba: Uint8Array, width: number, height: number, text: string, scale: number): void {
  const x0 = 2 * scale;
  const y0 = 2 * scale;
  // A dark box behind the text keeps it readable on any background.
  const boxW = Math.min(width, x0 + text.length * 6 * scale + scale);
  const boxH = Math.min(height, y0 + 8 * scale);
  for (let y = 0; y < boxH; y++) {
    for (let x = 0; x < boxW; x++) {
      const i = (y * width + x) * 4;
      rgba[i] = rgba[i] >> 2;
      rgba[i + 1] = rgba[i + 1] >> 2;
      rgba[i + 2] = rgba[i + 2] >> 2;
    }
  }
  for (let c = 0; c < text.length; c++) {
    const glyph = GLYPHS[text[c]] ?? GLYPHS[' '];
    for (let row = 0; row < 7; row++) {
      for (let col = 0; col < 5; col++) {
        if (!((glyph[row] >> (4 - col)) & 1)) continue;
        for (let dy = 0; dy < scale; dy++) {
          for (let dx = 0; dx < scale; dx++) {
            const x = x0 + (c * 6 + col) * scale + dx;
            const y = y0 + row * scale + dy;
            if (x >= width || y >= height) continue;
            const i = (y * width + x) * 4;
            rgba[i] = rgba[i + 1] = rgba[i + 2] = 255;
          }
        }
      }
    }
  }
}

export interface StillScene extends SceneLight {
  width: number;
  height: number;
  /** Seeds the layout (per camera) and the sensor noise (per shot). */
  seed: number;
  shot: number;
  /** Device wall time to burn in (ms since epoch). */
  wallMs: number;
}

/**
 * Renders the scene into RGBA pixels. Brightness follows `pictureBrightness`; sensor noise grows
 * as the light falls; night mode is monochrome (the sensor sees IR, no colour).
 */
export function renderStill(scene: StillScene): Uint8Array {
  const { width, height } = scene;
  const rgba = new Uint8Array(width * height * 4);
  const gain = pictureBrightness(scene);
  const mono = scene.mode === 'night';
  const horizon = Math.round(height * 0.45);
  // Layout from the camera's seed: the same street every shot, different noise per shot.
  let layout = (scene.seed * 2654435761) >>> 0 || 1;
  const rand = () => {
    layout ^= layout << 13;
    layout ^= layout >>> 17;
    layout ^= layout << 5;
    layout >>>= 0;
    return layout / 4294967296;
  };
  const buildings: Array<{ x0: number; x1: number; top: number; shade: number }> = [];
  for (let x = 0; x < width; ) {
    const w = Math.max(4, Math.round(width * (0.08 + 0.14 * rand())));
    buildings.push({ x0: x, x1: Math.min(width, x + w), top: Math.round(horizon * (0.25 + 0.6 * rand())), shade: 70 + 90 * rand() });
    x += w + Math.round(width * 0.02 * rand());
  }
  let noise = (scene.seed ^ Math.imul(scene.shot + 1, 0x9e3779b1)) >>> 0 || 1;
  const noiseAmp = 4 + 40 * (1 - gain);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      let r: number;
      let g: number;
      let b: number;
      if (y < horizon) {
        const t = y / horizon;
        r = 120 + 60 * t;
        g = 160 + 50 * t;
        b = 235 - 20 * t;
        for (const bd of buildings) {
          if (x >= bd.x0 && x < bd.x1 && y >= bd.top) {
            const win = (x - bd.x0) % 6 < 3 && (y - bd.top) % 8 < 4;
            r = g = b = win ? 230 : bd.shade;
            b = win ? 150 : bd.shade + 10;
            break;
          }
        }
      } else {
        // Road and pavement, darker towards the camera.
        const t = (y - horizon) / (height - horizon);
        const road = Math.abs(x - width / 2) < (width * (0.1 + 0.4 * t)) / 2;
        r = road ? 90 - 20 * t : 130 - 30 * t;
        g = road ? 90 - 20 * t : 125 - 30 * t;
        b = road ? 95 - 20 * t : 110 - 30 * t;
      }
      noise ^= noise << 13;
      noise ^= noise >>> 17;
      noise ^= noise << 5;
      noise >>>= 0;
      const n = ((noise & 0xff) / 255 - 0.5) * noiseAmp;
      const i = (y * width + x) * 4;
      if (mono) {
        const l = (0.299 * r + 0.587 * g + 0.114 * b) * gain + n;
        rgba[i] = rgba[i + 1] = rgba[i + 2] = clamp8(l);
      } else {
        rgba[i] = clamp8(r * gain + n);
        rgba[i + 1] = clamp8(g * gain + n);
        rgba[i + 2] = clamp8(b * gain + n);
      }
      rgba[i + 3] = 255;
    }
  }
  drawText(rgba, width, height, stampText(scene.wallMs, scene.mode), Math.max(1, Math.floor(width / 320)));
  return rgba;
}

function clamp8(v: number): number {
  return v < 0 ? 0 : v > 255 ? 255 : v | 0;
}
