import { describe, expect, it } from 'vitest';
import { parseClock, parseScenario, ScenarioError, loadScenarioFile } from './scenario.ts';
import { InputError } from '../cli/errors.ts';
import { readFile } from 'node:fs/promises';

const good = `
name: meal-break
start: 2026-03-15T08:00:00+06:00
hours: 8
timeline:
  - { at: "0:10", do: undock }
  - { at: "0:00", do: issue, officer: Sgt. Abenov }
  - { at: "4:00", do: pause, reason: meal, minutes: 40 }
  - { at: "5:30", do: battery-swap, slot: A }
expect:
  R-REC-1: { metric: "coverage >= 0.999" }
  R-REC-2:
    - { journal: pause-start, count: 1 }
    - { journal: pause-end, after: "4:39", before: "4:41" }
`;

function problemsOf(text: string) {
  try {
    parseScenario(text, 'test.yaml');
  } catch (e) {
    expect(e).toBeInstanceOf(ScenarioError);
    return (e as ScenarioError).problems;
  }
  throw new Error('expected a ScenarioError');
}

describe('scenario files', () => {
  it('parses h:mm, h:mm:ss and seconds', () => {
    expect(parseClock('7:40')).toBe(27600);
    expect(parseClock('0:00:05')).toBe(5);
    expect(parseClock(90)).toBe(90);
    expect(() => parseClock('7h40')).toThrow();
  });

  it('validates, fills defaults and sorts the timeline by time', () => {
    const s = parseScenario(good);
    expect(s.timeline.map((a) => a.do)).toEqual(['issue', 'undock', 'pause', 'battery-swap']);
    expect(s.timeline[3]).toMatchObject({ slot: 0, afterSeconds: 15, socPercent: 100 });
    expect(s.batteries).toHaveLength(2);
    expect(s.device).toBe('bodycam');
    expect(s.expect['R-REC-2']).toHaveLength(2);
  });

  it('names the line of a bad value inside a timeline entry', () => {
    const text = good.replace('minutes: 40', 'minutes: -5');
    const [p] = problemsOf(text);
    expect(p.line).toBe(8);
    expect(p.path).toBe('timeline.2.minutes');
  });

  it('names the line of an unknown action and of an unknown field', () => {
    expect(problemsOf(good.replace('do: undock', 'do: teleport'))[0].line).toBe(6);
    const extra = problemsOf(good.replace('hours: 8', 'hours: 8\nweathr: sunny'));
    expect(extra[0].line).toBe(5);
    expect(extra[0].message).toMatch(/weathr/);
  });

  it('reports YAML syntax errors with their line', () => {
    const [p] = problemsOf('name: x\nstart: 2026-01-01T00:00:00Z\ntimeline: [ { at: 1, do: dock }\n');
    expect(p.line).toBeGreaterThanOrEqual(3);
  });

  it('rejects a bad requirement id and an expectation with two checks', () => {
    expect(problemsOf(good.replace('R-REC-1:', 'REC1:'))[0].message).toMatch(/R-REC-1/);
    expect(problemsOf(good.replace('{ metric: "coverage >= 0.999" }', '{ metric: "coverage >= 0.999", alert: battery-low }'))[0].message).toMatch(/exactly one/);
  });

  it('a missing file is a clear input error', async () => {
    await expect(loadScenarioFile('/nonexistent/shift.yaml')).rejects.toThrow(InputError);
    await expect(loadScenarioFile('/nonexistent/shift.yaml')).rejects.toThrow(/not found/);
  });

  it('takes alert triggers, QA limits and the requirements a scenario covers, with defaults', () => {
    const s = parseScenario(`
name: low
start: 2026-03-15T08:00:00+06:00
covers: [R-PWR-2, R-PWR-4]
limits: { lowBatteryAlarmMinutes: [18, 25] }
timeline:
  - { at: "0:10", do: battery-swap, slot: B, when: { alert: battery-critical, delaySeconds: 60 } }
  - { at: "1:00", do: journal-correction, entry: issue, text: "name misspelt" }
  - { at: "2:00", do: external-power, on: true }
`);
    expect(s.covers).toEqual(['R-PWR-2', 'R-PWR-4']);
    expect(s.limits.lowBatteryAlarmMinutes).toEqual([18, 25]);
    expect(s.limits.maxPauseMinutes).toBe(120);
    expect(s.timeline[0]).toMatchObject({ do: 'battery-swap', slot: 1, when: { alert: 'battery-critical', delaySeconds: 60 } });
    expect(s.timeline[1]).toMatchObject({ do: 'journal-correction', index: 0, signer: 'responsible' });
  });

  it('names the line of a bad limit, a bad covered requirement id and a bad trigger', () => {
    const base = `name: x
start: 2026-03-15T08:00:00+06:00
covers: [R-PWR-2]
limits:
  maxPauseMinutes: 120
  lowBatteryAlarmMinutes: [30, 15]
timeline:
  - { at: "0:10", do: dock, when: { alert: battery-low } }
`;
    expect(parseScenario(base.replace('[30, 15]', '[15, 30]')).limits.lowBatteryAlarmMinutes).toEqual([15, 30]);
    const [limit] = problemsOf(base);
    expect(limit).toMatchObject({ line: 6, path: 'limits.lowBatteryAlarmMinutes' });
    expect(limit.message).toMatch(/min ≤ max/);
    const [cover] = problemsOf(base.replace('[30, 15]', '[15, 30]').replace('covers: [R-PWR-2]', 'covers: [PWR-2]'));
    expect(cover).toMatchObject({ line: 3, path: 'covers.0' });
    const [trigger] = problemsOf(base.replace('[30, 15]', '[15, 30]').replace('{ alert: battery-low }', '{ alert: battery-low, after: 5 }'));
    expect(trigger.line).toBe(8);
    expect(trigger.message).toMatch(/after/);
  });

  it('the example in docs/scenarios.md is a valid scenario', async () => {
    const doc = await readFile(new URL('../../docs/scenarios.md', import.meta.url), 'utf8');
    const example = /```yaml\n(name: rainy-evening[\s\S]*?)```/.exec(doc)![1];
    const s = parseScenario(example, 'docs/scenarios.md');
    expect(s.covers).toEqual(['R-REC-1', 'R-REC-5', 'R-PWR-1']);
    expect(s.timeline.find((a) => a.do === 'battery-swap')?.when).toEqual({ alert: 'battery-swap-needed', delaySeconds: 300 });
  });
});
