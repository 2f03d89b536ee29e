import { describe, expect, it } from 'vitest';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { runCli } from '../support/cli.ts';
import { percentile } from '../../tools/sim/fleet.ts';

const QUIET_PATROL = `
name: quiet-patrol
description: a short daylight patrol with nothing else happening
start: 2026-06-15T09:55:00+05:00
hours: 0.5
covers: [R-REC-1, R-TIME-1]
`;

describe('dozor sim fleet', () => {
  it('R-REC-1: runs N devices with their own seeds on worker threads and summarises coverage, alerts, requirements and wall time', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'dozor-fleet-'));
    try {
      const file = path.join(dir, 'quiet.yaml');
      await writeFile(file, QUIET_PATROL);
      const res = await runCli(['sim', 'fleet', '--devices', '3', '--scenario', file, '--seed', '10', '--json']);
      expect(res.code, res.stderr).toBe(0);
      const s = JSON.parse(res.stdout);
      expect(s).toMatchObject({ scenario: 'quiet-patrol', devices: 3, hours: 0.5, seeds: [10, 12], failing: [], crashed: [] });
      expect(s.workers).toBeGreaterThanOrEqual(1);
      expect(s.workers).toBeLessThanOrEqual(3);
      expect(s.coverage.min).toBeGreaterThanOrEqual(0.999);
      expect(s.coverage.p1).toBe(s.coverage.min);
      expect(s.coverage.median).toBeGreaterThanOrEqual(s.coverage.min);
      expect(s.coverage.below999).toBe(0);
      expect(s.requirements['R-REC-1']).toEqual({ pass: 3, fail: 0, 'n/a': 0 });
      expect(s.requirements['R-RAD-1']).toEqual({ pass: 0, fail: 0, 'n/a': 3 });
      expect(s.wall.totalSeconds).toBeGreaterThan(0);
      expect(s.wall.perShift.max).toBeGreaterThanOrEqual(s.wall.perShift.median);
      expect(s.wall.simulatedHours).toBeGreaterThan(3 * 0.5);
      // Each device is its own shift: the first boot's provisioning alerts appear once per device.
      for (const a of Object.values(s.alerts) as Array<{ devices: number }>) expect(a.devices).toBeLessThanOrEqual(3);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('a failing fleet exits 1 and names the failing requirement, the seeds and replay commands that reproduce each failure exactly', async () => {
    // power-cut cut short to half an hour: its cuts never happen, so its own expectations fail.
    const res = await runCli(['sim', 'fleet', '--devices', '2', '--hours', '0.5', '--scenario', 'power-cut', '--seed', '7', '--json']);
    expect(res.code).toBe(1);
    const s = JSON.parse(res.stdout);
    expect(s.failures['R-REC-1']).toMatchObject({ devices: 2, seeds: [7, 8] });
    expect(s.failing.map((f: { replay: string }) => f.replay)).toEqual([
      'dozor sim shift --scenario power-cut --seed 7 --hours 0.5',
      'dozor sim shift --scenario power-cut --seed 8 --hours 0.5',
    ]);
    expect(res.stderr).toContain('replay one exactly: dozor sim shift --scenario power-cut --seed 7 --hours 0.5');
    const replay = await runCli(['sim', 'shift', '--scenario', 'power-cut', '--seed', '8', '--hours', '0.5', '--json']);
    expect(replay.code).toBe(1);
    expect(JSON.parse(replay.stdout).failed).toEqual(['R-REC-1']);
    const text = await runCli(['sim', 'fleet', '--devices', '1', '--hours', '0.5', '--scenario', 'power-cut', '--seed', '7']);
    expect(text.code).toBe(1);
    expect(text.stdout).toMatch(/Failures by requirement:\n {2}R-REC-1 +1 device\(s\), seeds 7/);
    expect(text.stdout).toContain('dozor sim shift --scenario power-cut --seed 7 --hours 0.5');
  });

  it('usage errors exit 2', async () => {
    for (const args of [['--devices', '0'], ['--hours', '8'], ['--devices', 'ten'], ['--devices', '2', '--workers', '0'], ['--devices', '2', '--scenario', 'nope']]) {
      const res = await runCli(['sim', 'fleet', ...args]);
      expect(res.code, args.join(' ')).toBe(2);
      expect(res.stderr.length).toBeGreaterThan(0);
    }
  });

  it('percentiles are nearest-rank', () => {
    const v = Array.from({ length: 200 }, (_, i) => i + 1);
    expect(percentile(v, 1)).toBe(2);
    expect(percentile(v, 50)).toBe(100);
    expect(percentile([0.5], 1)).toBe(0.5);
    expect(percentile([], 50)).toBeNull();
  });
});

describe('dozor sim list', () => {
  it('lists the built-in scenarios with device, hours, description and the requirements each covers', async () => {
    const res = await runCli(['sim', 'list', '--json']);
    expect(res.code).toBe(0);
    const list = JSON.parse(res.stdout) as Array<{ name: string; device: string; covers: string[]; description: string }>;
    expect(list.map((s) => s.name)).toContain('tamper');
    expect(list.find((s) => s.name === 'vehicle-shift')).toMatchObject({ device: 'vehicle' });
    expect(list.find((s) => s.name === 'clock-lost')!.covers).toEqual(expect.arrayContaining(['R-TIME-1', 'R-TIME-2']));
    for (const s of list) expect(s.description.length).toBeGreaterThan(20);
    const text = await runCli(['sim', 'list']);
    expect(text.code).toBe(0);
    for (const s of list) expect(text.stdout).toContain(s.name);
    expect(text.stdout).toMatch(/13 scenarios covering 25 requirements/);
  });
});
