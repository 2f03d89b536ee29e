/**
 * Minimal SVG charts for the self-contained shift report: time-series line charts with a
 * shared time axis, band timelines (segments, pauses, modes), and event markers. No external
 * assets, so the report opens anywhere (and in headless Chromium for the render test).
 */

export interface Series {
  name: string;
  color: string;
  /** [time in seconds since the chart's origin, value] pairs, time ascending. */
  points: ReadonlyArray<readonly [number, number]>;
  /** Draw as steps (a value holds until the next point). */
  step?: boolean;
  dashed?: boolean;
}

export interface Band {
  start: number;
  end: number;
  color: string;
  label?: string;
}

export interface Marker {
  at: number;
  color: string;
  label: string;
}

export interface ChartFrame {
  width: number;
  height: number;
  /** Time range in seconds. */
  t0: number;
  t1: number;
}

const PAD = { left: 56, right: 16, top: 14, bottom: 26 };

export function escapeXml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/** "h:mm" for a number of seconds. */
export function hhmm(seconds: number): string {
  const m = Math.floor(Math.max(0, seconds) / 60);
  return `${Math.floor(m / 60)}:${String(m % 60).padStart(2, '0')}`;
}

function timeAxis(f: ChartFrame, x: (t: number) => number, bottom: number): string {
  const span = Math.max(1, f.t1 - f.t0);
  const stepChoices = [60, 300, 600, 1800, 3600, 7200, 14400];
  const step = stepChoices.find((s) => span / s <= 10) ?? 28800;
  const ticks: string[] = [];
  for (let t = Math.ceil(f.t0 / step) * step; t <= f.t1; t += step) {
    ticks.push(
      `<line x1="${x(t).toFixed(1)}" y1="${PAD.top}" x2="${x(t).toFixed(1)}" y2="${bottom}" class="grid"/>` +
        `<text x="${x(t).toFixed(1)}" y="${bottom + 16}" class="tick" text-anchor="middle">${hhmm(t)}</text>`,
    );
  }
  return ticks.join('');
}

function niceRange(min: number, max: number): [number, number] {
  if (!Number.isFinite(min) || !Number.isFinite(max)) return [0, 1];
  if (min === max) return [min - 1, max + 1];
  const pad = (max - min) * 0.05;
  return [min - pad, max + pad];
}

export interface LineChartOptions {
  frame: ChartFrame;
  series: readonly Series[];
  yLabel: string;
  /** Fixed y range; computed from the data when absent. */
  y?: [number, number];
  /** Logarithmic y axis (lux spans 0.001 … 100 000). */
  log?: boolean;
  bands?: readonly Band[];
  markers?: readonly Marker[];
  /** Horizontal reference lines (thresholds). */
  references?: ReadonlyArray<{ value: number; color: string; label: string }>;
}

export function lineChart(o: LineChartOptions): string {
  const { frame: f } = o;
  const bottom = f.height - PAD.bottom;
  const x = (t: number) => PAD.left + ((t - f.t0) / Math.max(1e-9, f.t1 - f.t0)) * (f.width - PAD.left - PAD.right);
  const tf = (v: number) => (o.log ? Math.log10(Math.max(v, 1e-4)) : v);
  const values = o.series.flatMap((s) => s.points.map((p) => tf(p[1])));
  const [y0, y1] = o.y ? [tf(o.y[0]), tf(o.y[1])] : niceRange(Math.min(...values), Math.max(...values));
  const y = (v: number) => bottom - ((tf(v) - y0) / Math.max(1e-9, y1 - y0)) * (bottom - PAD.top);
  const parts: string[] = [];
  for (const b of o.bands ?? []) {
    parts.push(`<rect x="${x(b.start).toFixed(1)}" y="${PAD.top}" width="${Math.max(0.5, x(b.end) - x(b.start)).toFixed(1)}" height="${bottom - PAD.top}" fill="${b.color}" opacity="0.18"><title>${escapeXml(b.label ?? '')}</title></rect>`);
  }
  parts.push(timeAxis(f, x, bottom));
  // y ticks: decades on a log axis, quarters otherwise
  const ticks: number[] = [];
  if (o.log) {
    const step = Math.max(1, Math.ceil((Math.floor(y1) - Math.ceil(y0)) / 6));
    for (let e = Math.ceil(y0); e <= y1; e += step) ticks.push(e);
  } else {
    for (let k = 0; k <= 4; k++) ticks.push(y0 + ((y1 - y0) * k) / 4);
  }
  for (const v of ticks) {
    const label = o.log ? formatNumber(10 ** v) : formatNumber(v);
    const py = bottom - ((v - y0) / Math.max(1e-9, y1 - y0)) * (bottom - PAD.top);
    parts.push(`<line x1="${PAD.left}" y1="${py.toFixed(1)}" x2="${f.width - PAD.right}" y2="${py.toFixed(1)}" class="grid"/><text x="${PAD.left - 6}" y="${(py + 4).toFixed(1)}" class="tick" text-anchor="end">${label}</text>`);
  }
  // Labels alternate above and below their line so close thresholds stay readable.
  (o.references ?? []).forEach((r, i) => {
    const ly = y(r.value) + (i % 2 === 0 ? 12 : -4);
    parts.push(`<line x1="${PAD.left}" y1="${y(r.value).toFixed(1)}" x2="${f.width - PAD.right}" y2="${y(r.value).toFixed(1)}" stroke="${r.color}" stroke-dasharray="4 3"/><text x="${f.width - PAD.right - 4}" y="${ly.toFixed(1)}" class="tick" text-anchor="end" fill="${r.color}">${escapeXml(r.label)}</text>`);
  });
  for (const s of o.series) {
    if (s.points.length === 0) continue;
    const d: string[] = [];
    s.points.forEach(([t, v], i) => {
      const px = x(t).toFixed(1);
      const py = y(v).toFixed(1);
      if (i === 0) d.push(`M${px},${py}`);
      else if (s.step) d.push(`H${px}V${py}`);
      else d.push(`L${px},${py}`);
    });
    parts.push(`<path d="${d.join('')}" fill="none" stroke="${s.color}" stroke-width="1.6"${s.dashed ? ' stroke-dasharray="5 3"' : ''}><title>${escapeXml(s.name)}</title></path>`);
  }
  for (const m of o.markers ?? []) {
    parts.push(`<line x1="${x(m.at).toFixed(1)}" y1="${PAD.top}" x2="${x(m.at).toFixed(1)}" y2="${bottom}" stroke="${m.color}" stroke-width="1.2"><title>${escapeXml(m.label)}</title></line>`);
  }
  parts.push(`<text x="14" y="${(PAD.top + bottom) / 2}" class="axis" transform="rotate(-90 14 ${(PAD.top + bottom) / 2})" text-anchor="middle">${escapeXml(o.yLabel)}</text>`);
  const legend = o.series
    .map((s, i) => `<g transform="translate(${PAD.left + 8 + i * 150},${PAD.top + 4})"><rect width="12" height="3" y="4" fill="${s.color}"/><text x="16" y="9" class="tick">${escapeXml(s.name)}</text></g>`)
    .join('');
  return `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${f.width} ${f.height}" width="${f.width}" height="${f.height}" role="img">${parts.join('')}${legend}</svg>`;
}

export interface TimelineRow {
  label: string;
  bands: readonly Band[];
  markers?: readonly Marker[];
}

/** Horizontal lanes of coloured intervals (segments, pauses, gaps, day/night) on one time axis. */
export function timeline(frame: ChartFrame, rows: readonly TimelineRow[]): string {
  const laneH = 22;
  const height = PAD.top + rows.length * (laneH + 6) + PAD.bottom;
  const bottom = height - PAD.bottom;
  const left = 96;
  const x = (t: number) => left + ((t - frame.t0) / Math.max(1e-9, frame.t1 - frame.t0)) * (frame.width - left - PAD.right);
  const parts: string[] = [timeAxis(frame, x, bottom)];
  rows.forEach((row, i) => {
    const top = PAD.top + i * (laneH + 6);
    parts.push(`<text x="${left - 6}" y="${top + 15}" class="tick" text-anchor="end">${escapeXml(row.label)}</text>`);
    parts.push(`<rect x="${left}" y="${top}" width="${frame.width - left - PAD.right}" height="${laneH}" fill="#f3f4f6"/>`);
    for (const b of row.bands) {
      parts.push(`<rect x="${x(b.start).toFixed(2)}" y="${top}" width="${Math.max(0.6, x(b.end) - x(b.start)).toFixed(2)}" height="${laneH}" fill="${b.color}"><title>${escapeXml(b.label ?? `${hhmm(b.start)}–${hhmm(b.end)}`)}</title></rect>`);
    }
    for (const m of row.markers ?? []) {
      parts.push(`<path d="M${x(m.at).toFixed(1)},${top + 2}l4,8h-8z" fill="${m.color}"><title>${escapeXml(m.label)}</title></path>`);
    }
  });
  return `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${frame.width} ${height}" width="${frame.width}" height="${height}" role="img">${parts.join('')}</svg>`;
}

function formatNumber(v: number): string {
  const a = Math.abs(v);
  if (a >= 10000) return `${Math.round(v / 1000)}k`;
  if (a >= 100) return v.toFixed(0);
  if (a >= 1) return Number.isInteger(Math.round(v * 10) / 10) ? v.toFixed(0) : v.toFixed(1);
  if (a === 0) return '0';
  return String(Number(v.toPrecision(1)));
}
