import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { renderShiftReport, type ShiftReportData } from './shift-report.ts';
import { launchChromium } from '../../test/support/chromium.ts';
import { loadBuiltInScenario } from '../sim/library.ts';
import { ShiftSimulation } from '../sim/shift-runner.ts';
import { gatherEvidence } from '../sim/evidence.ts';
import { requirementVerdicts, ALL_REQUIREMENTS } from '../sim/verdicts.ts';
import { shiftReportData } from '../sim/report-data.ts';

function sample(): ShiftReportData {
  const span = 8 * 3600;
  const t = Array.from({ length: 97 }, (_, i) => i * 300);
  return {
    title: 'Body camera shift <test>',
    scenario: 'day-patrol',
    seed: 7,
    device: 'bodycam BC-0001',
    startIso: '2026-03-15T08:00:00Z',
    spanSeconds: span,
    summary: [
      ['coverage', '0.9999'],
      ['segments', '480'],
    ],
    replayCommand: 'dozor sim shift --scenario day-patrol --seed 7',
    requirements: [
      { id: 'R-REC-1', verdict: 'pass', detail: 'coverage 0.9999, 0 gaps' },
      { id: 'R-PWR-2', verdict: 'fail', detail: 'no low alert before 7:40' },
      { id: 'R-RAD-1', verdict: 'n/a', detail: 'not a radar' },
    ],
    battery: t.map((s) => ({ t: s, soc: [Math.max(0, 100 - s / 200), s > 14400 ? 100 - (s - 14400) / 300 : 100] as const, active: s > 14400 ? 1 : 0 })),
    light: t.map((s) => ({ t: s, lux: s < 20000 ? 20000 : Math.max(0.01, 20000 * Math.exp(-(s - 20000) / 900)) })),
    modes: [
      { start: 0, end: 22000, mode: 'day' },
      { start: 22000, end: span, mode: 'night' },
    ],
    climate: t.map((s) => ({ t: s, airC: s < 10000 ? -10 : 21, dewPointC: 5, lensC: s < 10000 ? -10 : 21 - 31 * Math.exp(-(s - 10000) / 1200) })),
    segments: Array.from({ length: 480 }, (_, i) => ({ start: i * 60, end: i * 60 + 60, index: i })).filter((s) => s.start < 14400 || s.start >= 16800),
    pauses: [{ start: 14400, end: 16800, reason: 'meal' }],
    gaps: [],
    alerts: [
      { t: 27000, kind: 'battery-low', severity: 'warning', message: '20 min left' },
      { t: 10100, kind: 'condensation-risk', severity: 'info', message: 'lens below dew point' },
    ],
    events: [{ t: 0, type: 'duty-start', text: 'officer Sgt. Test' }],
    dayNightThresholds: { toNight: 2, toDay: 4 },
  };
}

describe('shift report', () => {
  it('is one self-contained page: no scripts, no external resources, escaped text', () => {
    const html = renderShiftReport(sample());
    expect(html).not.toMatch(/<script|<link |src="http|href="http/i);
    expect(html).toContain('Body camera shift &lt;test&gt;');
    expect(html.match(/<svg /g)?.length).toBe(4);
    expect(html).toContain('1 requirement(s) failed');
  });

  describe('in headless Chromium', () => {
    let browser: Browser;
    beforeAll(async () => {
      browser = await launchChromium();
    });
    afterAll(async () => {
      await browser?.close();
    });

    it('R-REC-1, R-REC-3, R-REC-5, R-PWR-1: the report of a real simulated shift shows every plot with its data and the requirement table', async () => {
      const scenario = await loadBuiltInScenario('day-patrol');
      const record = await new ShiftSimulation({ scenario, seed: 5 }).run();
      const verdicts = requirementVerdicts(record, await gatherEvidence(record));
      const html = renderShiftReport(shiftReportData(record, verdicts, 'dozor sim shift --scenario day-patrol --seed 5 --hours 8'));
      expect(html).not.toMatch(/<script|<link |src="http|href="http|url\(/i);
      const page = await browser.newPage({ viewport: { width: 1100, height: 900 } });
      const errors: string[] = [];
      const requests: string[] = [];
      page.on('pageerror', (e) => errors.push(String(e)));
      page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
      page.on('request', (r) => requests.push(r.url()));
      await page.setContent(html, { waitUntil: 'load' });
      // Every plot the issue names, each an SVG of a sensible size.
      for (const id of ['coverage', 'battery', 'remaining', 'light', 'climate']) {
        const box = await page.$eval(`#plot-${id} svg`, (e) => {
          const r = e.getBoundingClientRect();
          return [r.width, r.height];
        });
        expect(box[0], id).toBeGreaterThan(500);
        expect(box[1], id).toBeGreaterThan(80);
      }
      // Coverage: one band per segment (440 in 8 h of 1-minute segments), the meal pause, no gap.
      const segmentBands = await page.$$eval('#plot-coverage rect title', (ts) => ts.filter((t) => /^main segment \d+/.test(t.textContent ?? '')).length);
      expect(segmentBands).toBe(record.segments.length);
      expect(await page.$$eval('#plot-coverage title', (ts) => ts.filter((t) => (t.textContent ?? '').startsWith('pause (meal)')).length)).toBeGreaterThanOrEqual(1);
      expect(await page.$$eval('#plot-coverage title', (ts) => ts.filter((t) => (t.textContent ?? '').startsWith('GAP')).length)).toBe(0);
      // Alerts and journal events as markers on the coverage plot.
      const markers = await page.$$eval('#plot-coverage path title', (ts) => ts.map((t) => t.textContent ?? ''));
      expect(markers.some((m) => /condensation-risk/.test(m))).toBe(true);
      expect(markers.some((m) => /pause-start/.test(m))).toBe(true);
      expect(markers.some((m) => /day-night: mode: night/.test(m))).toBe(true);
      // Battery: both packs drawn over the whole shift; the swap shows as pack A back at 100 %.
      const lengths = await page.$$eval('#plot-battery path', (ps) => ps.map((p) => (p as unknown as { getTotalLength(): number }).getTotalLength()));
      expect(lengths.filter((l) => l > 300)).toHaveLength(2);
      // Light: the dusk drawn on a log axis with the night band and both thresholds.
      expect(await page.$$eval('#plot-light title', (ts) => ts.filter((t) => (t.textContent ?? '').startsWith('night ')).length)).toBeGreaterThanOrEqual(1);
      expect(await page.textContent('#plot-light')).toContain('to night < 2 lx');
      // Climate: air, dew point and the lens model.
      expect(await page.$$eval('#plot-climate path title', (ts) => ts.map((t) => t.textContent))).toEqual(['air', 'dew point', 'lens (model)']);
      // The requirement table: every requirement, with the verdicts the checks gave.
      const rows = await page.$$eval('#requirements tr', (trs) => trs.slice(1).map((tr) => [tr.children[0]?.textContent, tr.children[1]?.textContent]));
      expect(rows).toHaveLength(Object.keys(ALL_REQUIREMENTS).length);
      for (const v of verdicts) expect(rows).toContainEqual([v.id, v.verdict]);
      expect(rows.filter(([, v]) => v === 'pass').length).toBeGreaterThanOrEqual(scenario.covers.length);
      expect(await page.textContent('#verdict')).toBe('all checked requirements passed');
      expect(requests.filter((u) => !u.startsWith('about:') && !u.startsWith('data:'))).toEqual([]);
      expect(errors).toEqual([]);
      await page.close();
    });

    it('renders every plot and the requirement table without errors', async () => {
      const page = await browser.newPage({ viewport: { width: 1100, height: 900 } });
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(String(e)));
      page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
      await page.setContent(renderShiftReport(sample()), { waitUntil: 'load' });
      const boxes = await page.$$eval('svg', (els) => els.map((e) => e.getBoundingClientRect()).map((r) => [r.width, r.height]));
      expect(boxes).toHaveLength(4);
      for (const [w, h] of boxes) {
        expect(w).toBeGreaterThan(500);
        expect(h).toBeGreaterThan(80);
      }
      const paths = await page.$$eval('svg path', (els) => els.filter((e) => (e as unknown as { getTotalLength(): number }).getTotalLength() > 100).length);
      expect(paths).toBeGreaterThanOrEqual(5);
      expect(await page.textContent('#verdict')).toContain('1 requirement(s) failed');
      const rows = await page.$$eval('#requirements tr', (els) => els.map((e) => e.textContent));
      expect(rows.some((r) => r?.includes('R-PWR-2') && r.includes('fail'))).toBe(true);
      const png = await page.screenshot({ fullPage: true });
      expect(png.length).toBeGreaterThan(20_000);
      expect(errors).toEqual([]);
      await page.close();
    });
  });
});
