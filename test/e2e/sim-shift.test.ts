import { describe, expect, it } from 'vitest';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadBuiltInScenario } from '../../tools/sim/library.ts';
import { ShiftSimulation } from '../../tools/sim/shift-runner.ts';
import { requirementVerdicts } from '../../tools/sim/verdicts.ts';
import { gatherEvidence } from '../../tools/sim/evidence.ts';
import { runCli } from '../support/cli.ts';

describe('dozor sim shift', () => {
  it('R-REC-1, R-REC-2, R-REC-3, R-REC-5, R-PWR-1: the default 8-hour shift (dusk, meal pause, cold-to-warm, hot swap) covers the duty with no gap', async () => {
    const scenario = await loadBuiltInScenario('day-patrol');
    const r = await new ShiftSimulation({ scenario, seed: 1 }).run();
    expect(r.coverage!.coverage).toBeGreaterThanOrEqual(0.999);
    expect(r.coverage!.gaps).toEqual([]);
    expect(r.journal.verdict).toBe('valid');
    const verdicts = requirementVerdicts(r, await gatherEvidence(r));
    expect(verdicts.filter((v) => v.verdict === 'fail')).toEqual([]);
    for (const id of ['R-REC-1', 'R-REC-2', 'R-REC-3', 'R-REC-5', 'R-REC-8', 'R-PWR-1', 'R-TIME-1', 'R-LOG-1']) {
      expect(verdicts.find((v) => v.id === id)?.verdict, id).toBe('pass');
    }
    // The condensation warning comes when the camera is carried into the warm station (2:30), the
    // night switch at dusk (about 18:13 local time, 4:18 into the scenario).
    const condensation = r.alerts.find((a) => a.kind === 'condensation-risk')!;
    expect(condensation.t / 3600).toBeGreaterThan(2.49);
    expect(condensation.t / 3600).toBeLessThan(2.75);
    const night = r.journal.records.find((e) => e.type === 'day-night' && e.data.mode === 'night')!;
    expect(night.t / 3600).toBeGreaterThan(4.1);
    expect(night.t / 3600).toBeLessThan(4.6);
  });

  it('same seed and scenario give byte-identical storage and summary; another seed does not', async () => {
    const scenario = await loadBuiltInScenario('day-patrol');
    const run = (seed: number) => new ShiftSimulation({ scenario, seed, hours: 1 }).run();
    const [a, b, c] = [await run(7), await run(7), await run(8)];
    const files = (m: Map<string, Uint8Array>) => [...m].map(([p, bytes]) => [p, Buffer.from(bytes).toString('base64')]);
    expect(files(a.files().internal)).toEqual(files(b.files().internal));
    expect(files(a.files().card)).toEqual(files(b.files().card));
    const strip = (r: typeof a) => JSON.stringify({ ...r, wallSeconds: 0, cardPaths: [...r.cardPaths] });
    expect(strip(a)).toEqual(strip(b));
    expect(files(a.files().internal)).not.toEqual(files(c.files().internal));
  });

  it('--json reports simulatedSeconds and wallSeconds, --out leaves a journal that `dozor journal verify` accepts, --report writes the page', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'dozor-shift-'));
    try {
      const out = path.join(dir, 'device');
      const report = path.join(dir, 'report.html');
      const res = await runCli(['sim', 'shift', '--hours', '0.5', '--seed', '4', '--json', '--out', out, '--report', report]);
      expect(res.code, res.stderr).toBe(0);
      const summary = JSON.parse(res.stdout);
      expect(summary.simulatedSeconds).toBeGreaterThan(1800);
      expect(summary.wallSeconds).toBeGreaterThan(0);
      expect(summary).toMatchObject({ scenario: 'day-patrol', seed: 4, hours: 0.5, gaps: 0 });
      expect(summary.coverage).toBeGreaterThanOrEqual(0.999);
      expect(summary.requirements['R-REC-1']).toBe('pass');
      const verify = await runCli(['journal', 'verify', out]);
      expect(verify.code, verify.stdout + verify.stderr).toBe(0);
      expect(await readFile(report, 'utf8')).toContain('<svg');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('bad arguments print usage and exit 2; a missing scenario file is a clear error', async () => {
    const bad = await runCli(['sim', 'shift', '--hours', 'eight']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/expected a positive number/);
    expect(bad.stderr).toMatch(/--help/);
    const unknown = await runCli(['sim', 'shift', '--frobnicate']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/unknown option/);
    const missing = await runCli(['sim', 'shift', '--scenario', '/nonexistent/shift.yaml']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/scenario file not found: \/nonexistent\/shift.yaml/);
    const name = await runCli(['sim', 'shift', '--scenario', 'no-such-built-in']);
    expect(name.code).toBe(2);
    expect(name.stderr).toMatch(/no built-in scenario "no-such-built-in"/);
  });
});
