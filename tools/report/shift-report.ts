/**
 * The shift report: one self-contained HTML page (inline CSS and SVG, no scripts, no network)
 * with the verdict per requirement and plots over the shift — recording coverage with segments
 * (per camera), pauses, gaps, day/night mode, the IR light, alerts and journal events; battery
 * charge per pack; recording time left (the device's estimate against the ground truth); light
 * and day/night mode; temperature, dew point and the lens. Each plot is a `<figure id="plot-…">`.
 */
import { escapeXml, hhmm, lineChart, timeline, type Band, type ChartFrame, type Marker } from './svg.ts';

export type Verdict = 'pass' | 'fail' | 'n/a';

export interface ShiftReportData {
  title: string;
  scenario: string;
  seed: number;
  device: string;
  /** ISO time of duty start (device wall time), for the header. */
  startIso: string;
  /** Seconds covered by the plots (0 = duty start). */
  spanSeconds: number;
  /** Key figures for the summary table, in display order. */
  summary: ReadonlyArray<readonly [string, string]>;
  replayCommand: string;
  requirements: ReadonlyArray<{ id: string; verdict: Verdict; detail: string }>;
  battery: ReadonlyArray<{ t: number; soc: readonly [number | null, number | null]; active: 0 | 1 | null }>;
  light: ReadonlyArray<{ t: number; lux: number }>;
  modes: ReadonlyArray<{ start: number; end: number; mode: 'day' | 'night' }>;
  climate: ReadonlyArray<{ t: number; airC: number; dewPointC: number; lensC: number | null }>;
  /** Segments; `camera` names the camera of a multi-camera recorder (one lane each). */
  segments: ReadonlyArray<{ start: number; end: number; index: number; camera?: string }>;
  pauses: ReadonlyArray<{ start: number; end: number; reason: string }>;
  gaps: ReadonlyArray<{ start: number; end: number }>;
  alerts: ReadonlyArray<{ t: number; kind: string; severity: 'info' | 'warning' | 'critical'; message: string }>;
  events: ReadonlyArray<{ t: number; type: string; text: string }>;
  /** Lux thresholds of the day/night switch, drawn as reference lines. */
  dayNightThresholds?: { toNight: number; toDay: number };
  /** Minutes of recording left: the device's estimate and the ground truth (null off battery). */
  remaining?: ReadonlyArray<{ t: number; device: number | null; truth: number | null }>;
  /** When the IR illuminator was physically on. */
  irOn?: ReadonlyArray<{ start: number; end: number }>;
}

const COLORS = { packA: '#2563eb', packB: '#db2777', lux: '#ca8a04', air: '#dc2626', dew: '#0891b2', lens: '#7c3aed', segment: '#16a34a', segmentAlt: '#22c55e', pause: '#f59e0b', gap: '#dc2626', night: '#1e293b', day: '#fde68a' };
const SEVERITY_COLOR = { info: '#2563eb', warning: '#d97706', critical: '#dc2626' } as const;

export function renderShiftReport(d: ShiftReportData): string {
  const frame: ChartFrame = { width: 980, height: 220, t0: 0, t1: Math.max(60, d.spanSeconds) };
  const alertMarkers: Marker[] = d.alerts.map((a) => ({ at: a.t, color: SEVERITY_COLOR[a.severity], label: `${hhmm(a.t)} ${a.kind}: ${a.message}` }));
  const nightBands: Band[] = d.modes.filter((m) => m.mode === 'night').map((m) => ({ start: m.start, end: m.end, color: COLORS.night, label: `night ${hhmm(m.start)}–${hhmm(m.end)}` }));
  const pauseBands: Band[] = d.pauses.map((p) => ({ start: p.start, end: p.end, color: COLORS.pause, label: `pause (${p.reason}) ${hhmm(p.start)}–${hhmm(p.end)}` }));

  const battery = lineChart({
    frame,
    yLabel: 'charge %',
    y: [0, 100],
    series: [
      { name: 'pack A', color: COLORS.packA, points: d.battery.filter((b) => b.soc[0] !== null).map((b) => [b.t, b.soc[0]!] as const) },
      { name: 'pack B', color: COLORS.packB, points: d.battery.filter((b) => b.soc[1] !== null).map((b) => [b.t, b.soc[1]!] as const) },
    ],
    markers: alertMarkers.filter((m) => m.label.includes('battery')),
    bands: pauseBands,
  });
  const light = lineChart({
    frame,
    yLabel: 'lux (log)',
    log: true,
    y: [0.001, 150_000],
    series: [{ name: 'ambient light', color: COLORS.lux, points: d.light.map((l) => [l.t, l.lux] as const) }],
    bands: nightBands,
    references: d.dayNightThresholds
      ? [
          { value: d.dayNightThresholds.toNight, color: '#475569', label: `to night < ${d.dayNightThresholds.toNight} lx` },
          { value: d.dayNightThresholds.toDay, color: '#92400e', label: `to day > ${d.dayNightThresholds.toDay} lx` },
        ]
      : [],
  });
  const climate = lineChart({
    frame,
    yLabel: '°C',
    series: [
      { name: 'air', color: COLORS.air, points: d.climate.map((c) => [c.t, c.airC] as const) },
      { name: 'dew point', color: COLORS.dew, points: d.climate.map((c) => [c.t, c.dewPointC] as const), dashed: true },
      { name: 'lens (model)', color: COLORS.lens, points: d.climate.filter((c) => c.lensC !== null).map((c) => [c.t, c.lensC!] as const) },
    ],
    markers: alertMarkers.filter((m) => m.label.includes('condensation')),
  });
  const cameras = [...new Set(d.segments.map((s) => s.camera ?? 'main'))];
  const segmentRows = cameras.map((camera) => ({
    label: cameras.length > 1 ? camera : 'segments',
    bands: d.segments
      .filter((s) => (s.camera ?? 'main') === camera)
      .map((s) => ({ start: s.start, end: s.end, color: s.index % 2 ? COLORS.segment : COLORS.segmentAlt, label: `${camera} segment ${s.index} ${hhmm(s.start)}–${hhmm(s.end)}` })),
  }));
  const eventMarkers: Marker[] = d.events.map((e) => ({ at: e.t, color: e.type.startsWith('action') ? '#dc2626' : '#475569', label: `${hhmm(e.t)} ${e.type}: ${e.text}` }));
  const coverage = timeline({ ...frame, height: 0 }, [
    ...(segmentRows.length ? segmentRows : [{ label: 'segments', bands: [] }]),
    { label: 'pauses', bands: pauseBands },
    { label: 'gaps', bands: d.gaps.map((g) => ({ start: g.start, end: Math.max(g.end, g.start + 1), color: COLORS.gap, label: `GAP ${hhmm(g.start)}–${hhmm(g.end)}` })) },
    { label: 'day / night', bands: d.modes.map((m) => ({ start: m.start, end: m.end, color: m.mode === 'night' ? COLORS.night : COLORS.day, label: `${m.mode} ${hhmm(m.start)}–${hhmm(m.end)}` })) },
    { label: 'IR light', bands: (d.irOn ?? []).map((b) => ({ start: b.start, end: b.end, color: COLORS.lens, label: `IR illuminator on ${hhmm(b.start)}–${hhmm(b.end)}` })) },
    { label: 'alerts', bands: [], markers: alertMarkers },
    { label: 'journal', bands: [], markers: eventMarkers },
  ]);
  // The alarms live in the last half hour: the axis stops at two hours (longer estimates are drawn at the top).
  const CAP = 120;
  const remainingPoints = (d.remaining ?? []).filter((p) => p.device !== null || p.truth !== null);
  const remaining = remainingPoints.length
    ? lineChart({
        frame,
        yLabel: 'minutes left (≤ 2 h)',
        y: [0, CAP],
        series: [
          { name: 'device estimate', color: COLORS.packA, points: remainingPoints.filter((p) => p.device !== null).map((p) => [p.t, Math.min(CAP, p.device!)] as const) },
          { name: 'ground truth', color: '#111827', points: remainingPoints.filter((p) => p.truth !== null).map((p) => [p.t, Math.min(CAP, p.truth!)] as const), dashed: true },
        ],
        markers: alertMarkers.filter((m) => m.label.includes('battery')),
        references: [
          { value: 20, color: '#d97706', label: 'low ≤ 20 min' },
          { value: 5, color: '#dc2626', label: 'critical ≤ 5 min' },
        ],
      })
    : '';

  const failed = d.requirements.filter((r) => r.verdict === 'fail').length;
  const reqRows = d.requirements
    .map((r) => `<tr class="${r.verdict === 'fail' ? 'fail' : r.verdict === 'pass' ? 'pass' : 'na'}"><td>${escapeXml(r.id)}</td><td>${r.verdict}</td><td>${escapeXml(r.detail)}</td></tr>`)
    .join('');
  const summaryRows = d.summary.map(([k, v]) => `<tr><th>${escapeXml(k)}</th><td>${escapeXml(v)}</td></tr>`).join('');
  const alertRows = d.alerts
    .map((a) => `<tr><td>${hhmm(a.t)}</td><td><span class="sev ${a.severity}">${a.severity}</span></td><td>${escapeXml(a.kind)}</td><td>${escapeXml(a.message)}</td></tr>`)
    .join('');
  const eventRows = d.events.map((e) => `<tr><td>${hhmm(e.t)}</td><td>${escapeXml(e.type)}</td><td>${escapeXml(e.text)}</td></tr>`).join('');

  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeXml(d.title)}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:24px auto;max-width:1020px;color:#111827;padding:0 12px}
h1{font-size:22px;margin:0 0 4px}h2{font-size:16px;margin:28px 0 8px;border-bottom:1px solid #e5e7eb;padding-bottom:4px}
.sub{color:#4b5563;margin-bottom:16px}.verdict{display:inline-block;padding:4px 10px;border-radius:4px;font-weight:600}
.verdict.ok{background:#dcfce7;color:#166534}.verdict.bad{background:#fee2e2;color:#991b1b}
table{border-collapse:collapse;width:100%;font-size:13px}td,th{padding:4px 8px;border-bottom:1px solid #f3f4f6;text-align:left;vertical-align:top}
table.summary th{width:260px;color:#374151;font-weight:500}tr.fail td{background:#fef2f2}tr.pass td:nth-child(2){color:#166534;font-weight:600}tr.fail td:nth-child(2){color:#991b1b;font-weight:700}tr.na td{color:#6b7280}
.sev{padding:1px 6px;border-radius:3px;font-size:12px}.sev.info{background:#dbeafe}.sev.warning{background:#fef3c7}.sev.critical{background:#fee2e2}
svg{display:block;max-width:100%;height:auto}svg .grid{stroke:#e5e7eb;stroke-width:1}svg .tick{font-size:11px;fill:#4b5563}svg .axis{font-size:12px;fill:#111827}
code{background:#f3f4f6;padding:1px 4px;border-radius:3px}.scroll{max-height:420px;overflow:auto}figure{margin:0}
</style></head>
<body>
<h1>${escapeXml(d.title)}</h1>
<div class="sub">${escapeXml(d.device)} · scenario <b>${escapeXml(d.scenario)}</b> · seed ${d.seed} · duty from ${escapeXml(d.startIso)}</div>
<div class="verdict ${failed ? 'bad' : 'ok'}" id="verdict">${failed ? `${failed} requirement(s) failed` : 'all checked requirements passed'}</div>
<p>Replay exactly: <code>${escapeXml(d.replayCommand)}</code></p>
<h2>Summary</h2><table class="summary">${summaryRows}</table>
<h2>Requirements</h2><table id="requirements"><tr><th>requirement</th><th>verdict</th><th>evidence</th></tr>${reqRows}</table>
<figure id="plot-coverage"><h2>Recording coverage, alerts and journal events</h2>${coverage}</figure>
<figure id="plot-battery"><h2>Battery charge</h2>${battery}</figure>
${remaining ? `<figure id="plot-remaining"><h2>Recording time left on the packs</h2>${remaining}</figure>` : ''}
<figure id="plot-light"><h2>Light and day/night mode</h2>${light}</figure>
<figure id="plot-climate"><h2>Temperature and dew point</h2>${climate}</figure>
<h2>Alerts (${d.alerts.length})</h2><div class="scroll"><table><tr><th>time</th><th>severity</th><th>kind</th><th>message</th></tr>${alertRows}</table></div>
<h2>Journal events (${d.events.length})</h2><div class="scroll"><table><tr><th>time</th><th>type</th><th>details</th></tr>${eventRows}</table></div>
</body></html>
`;
}
