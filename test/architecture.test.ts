import { describe, expect, it } from 'vitest';
import { ESLint } from 'eslint';

const eslint = new ESLint({ cwd: process.cwd() });

async function ruleIds(code: string, filePath: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath });
  return result.messages.map((m) => m.ruleId ?? m.message);
}

describe('architecture fences are lint rules', () => {
  const firmwareFile = 'firmware/bodycam/example.ts';
  const cases: Array<[string, string, string]> = [
    ['imports the simulator', "import { VirtualClock } from '../../sim/virtual-clock.ts';\nexport const c = VirtualClock;", 'no-restricted-imports'],
    ['imports node:fs', "import { readFileSync } from 'node:fs';\nexport const r = readFileSync;", 'no-restricted-imports'],
    ['imports fs/promises', "import { open } from 'fs/promises';\nexport const o = open;", 'no-restricted-imports'],
    ['imports node:timers', "import { setTimeout as st } from 'node:timers';\nexport const s = st;", 'no-restricted-imports'],
    ['calls Date.now()', 'export const t = Date.now();', 'no-restricted-properties'],
    ['calls new Date()', 'export const t = new Date();', 'no-restricted-syntax'],
    ['calls setTimeout', 'setTimeout(() => {}, 10);', 'no-restricted-globals'],
    ['calls setInterval', 'setInterval(() => {}, 10);', 'no-restricted-globals'],
    ['uses Math.random', 'export const r = Math.random();', 'no-restricted-properties'],
  ];
  for (const [what, code, rule] of cases) {
    it(`rejects firmware code that ${what}`, async () => {
      expect(await ruleIds(code, firmwareFile)).toContain(rule);
    });
  }

  it('accepts firmware code that uses the injected clock and hal contracts', async () => {
    const code = "import type { Clock } from '../../hal/clock.ts';\nexport const at = (c: Clock) => c.wallTime() + new Date(0).getTime();\n";
    expect(await ruleIds(code, firmwareFile)).toEqual([]);
  });

  it('keeps hal/ and protocol/ free of sim/, firmware/ and tools/', async () => {
    expect(await ruleIds("import '../sim/virtual-clock.ts';", 'hal/x.ts')).toContain('no-restricted-imports');
    expect(await ruleIds("import '../firmware/journal/entries.ts';", 'protocol/x.ts')).toContain('no-restricted-imports');
    expect(await ruleIds("import '../tools/cli.ts';", 'sim/x.ts')).toContain('no-restricted-imports');
  });
});
