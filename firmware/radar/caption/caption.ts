/**
 * The evidence caption (R-RAD-4, MVD App. 1-1 §2): eight fields burned into a band added below the
 * photo (the scene itself is never covered) and kept as structured metadata beside it:
 *  1 radar name · 2 radar serial number · 3 date and time of the event · 4 event type ·
 *  5 direction of travel · 6 coordinates of the radar · 7 place of the event ·
 *  8 number and expiry of the verification certificate.
 * Labels default to Russian; place names may use the Kazakh alphabet (the font covers both).
 */
import { CELL_H, CELL_W, FONT_NAME, drawText, hasGlyph, type RgbaImage } from './font.ts';

export const CAPTION_FIELDS = ['radarName', 'serialNumber', 'dateTime', 'eventType', 'direction', 'coordinates', 'place', 'certificate'] as const;
export type CaptionFieldName = (typeof CAPTION_FIELDS)[number];

/** The text of each field, as printed after its label. */
export type CaptionFields = Record<CaptionFieldName, string>;

export type CaptionLabels = Record<CaptionFieldName, string>;

export const RUSSIAN_LABELS: CaptionLabels = {
  radarName: 'Радар',
  serialNumber: 'Зав. №',
  dateTime: 'Дата и время',
  eventType: 'Событие',
  direction: 'Направление',
  coordinates: 'Координаты радара',
  place: 'Место',
  certificate: 'Свидетельство о поверке',
};

export interface CaptionLine {
  /** Which field the line belongs to (a long field may take several lines). */
  field: CaptionFieldName;
  text: string;
  /** Top-left of the first character cell, in pixels of the output image. */
  x: number;
  y: number;
}

export interface CaptionLayout {
  font: string;
  scale: number;
  cellWidth: number;
  cellHeight: number;
  /** Top of the caption band (= height of the original photo). */
  bandTop: number;
  bandHeight: number;
  lines: CaptionLine[];
  /** Characters the font lacks (drawn as the replacement glyph; the metadata keeps the exact text). */
  missingGlyphs: string[];
}

const MARGIN = 6;

/** Splits text into lines of at most `width` characters, at spaces where possible. */
export function wrap(text: string, width: number): string[] {
  const chars = [...text];
  if (chars.length <= width) return [text];
  const out: string[] = [];
  let rest = chars;
  while (rest.length > width) {
    let cut = rest.lastIndexOf(' ', width);
    if (cut <= width / 3) cut = width;
    out.push(rest.slice(0, cut).join('').trimEnd());
    rest = rest.slice(rest[cut] === ' ' ? cut + 1 : cut);
  }
  if (rest.length) out.push(rest.join(''));
  return out;
}

/** Text scale for a photo width: captions stay readable on large photos. */
export function captionScale(width: number): number {
  return Math.max(1, Math.round(width / 1000));
}

export function layoutCaption(fields: CaptionFields, width: number, photoHeight: number, labels: CaptionLabels = RUSSIAN_LABELS): CaptionLayout {
  const scale = captionScale(width);
  const cw = CELL_W * scale;
  const ch = CELL_H * scale;
  const perLine = Math.max(8, Math.floor((width - 2 * MARGIN) / cw));
  const lines: CaptionLine[] = [];
  const missing = new Set<string>();
  let y = photoHeight + MARGIN;
  for (const f of CAPTION_FIELDS) {
    const text = `${labels[f]}: ${fields[f]}`;
    for (const c of text) if (!hasGlyph(c.codePointAt(0)!)) missing.add(c);
    for (const part of wrap(text, perLine)) {
      lines.push({ field: f, text: part, x: MARGIN, y });
      y += ch;
    }
  }
  return {
    font: FONT_NAME,
    scale,
    cellWidth: cw,
    cellHeight: ch,
    bandTop: photoHeight,
    bandHeight: y + MARGIN - photoHeight,
    lines,
    missingGlyphs: [...missing],
  };
}

/** Returns a new image: the photo with the caption band below it. */
export function burnCaption(photo: RgbaImage, layout: CaptionLayout): RgbaImage {
  const width = photo.width;
  const height = photo.height + layout.bandHeight;
  const data = new Uint8Array(width * height * 4);
  data.set(photo.data.subarray(0, photo.width * photo.height * 4));
  // Opaque black band: white text on it is legible whatever the scene.
  for (let i = photo.width * photo.height * 4; i < data.length; i += 4) data[i + 3] = 255;
  const out = { width, height, data };
  for (const line of layout.lines) drawText(out, line.x, line.y, line.text, [255, 255, 255], layout.scale);
  return out;
}

function pad2(n: number): string {
  return String(n).padStart(2, '0');
}

/** Local date and time of an event: `2024-05-14 12:34:56 (UTC+05:00)`. */
export function formatLocalDateTime(wallMs: number, utcOffsetMinutes: number): string {
  const d = new Date(wallMs + utcOffsetMinutes * 60_000);
  const sign = utcOffsetMinutes < 0 ? '−' : '+';
  const off = Math.abs(utcOffsetMinutes);
  return (
    `${d.getUTCFullYear()}-${pad2(d.getUTCMonth() + 1)}-${pad2(d.getUTCDate())} ` +
    `${pad2(d.getUTCHours())}:${pad2(d.getUTCMinutes())}:${pad2(d.getUTCSeconds())} (UTC${sign}${pad2(Math.floor(off / 60))}:${pad2(off % 60)})`
  );
}

/** Local calendar date `YYYY-MM-DD` of a wall time. */
export function localDate(wallMs: number, utcOffsetMinutes: number): string {
  const d = new Date(wallMs + utcOffsetMinutes * 60_000);
  return `${d.getUTCFullYear()}-${pad2(d.getUTCMonth() + 1)}-${pad2(d.getUTCDate())}`;
}

export function formatCoordinates(lat: number, lon: number): string {
  const ns = lat < 0 ? 'S' : 'N';
  const ew = lon < 0 ? 'W' : 'E';
  return `${Math.abs(lat).toFixed(6)}° ${ns}, ${Math.abs(lon).toFixed(6)}° ${ew}`;
}
