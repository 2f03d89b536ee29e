import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { renderShiftReport, type ShiftReportData } from './shift-report.ts';
import { launchChromium } from '../../test/support/chromium.ts';

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
