/** `dozor sim list`: the built-in scenario library and the requirements each scenario covers. */
import { builtInScenarioNames, loadBuiltInScenario } from './library.ts';

export interface ScenarioListing {
  name: string;
  device: string;
  hours: number;
  description: string;
  covers: string[];
}

export async function listBuiltInScenarios(): Promise<ScenarioListing[]> {
  const out: ScenarioListing[] = [];
  for (const name of await builtInScenarioNames()) {
    const s = await loadBuiltInScenario(name);
    out.push({ name, device: s.device, hours: s.hours, description: s.description, covers: s.covers });
  }
  return out;
}

export async function runListCommand(opts: { json?: boolean }): Promise<number> {
  const list = await listBuiltInScenarios();
  if (opts.json) {
    process.stdout.write(`${JSON.stringify(list, null, 2)}\n`);
    return 0;
  }
  const width = Math.max(...list.map((s) => s.name.length));
  const lines = [`${'scenario'.padEnd(width)}  device   hours  covers / description`];
  for (const s of list) {
    lines.push(`${s.name.padEnd(width)}  ${s.device.padEnd(7)}  ${String(s.hours).padStart(5)}  ${s.covers.join(' ')}`);
    lines.push(`${''.padEnd(width + 18)}  ${s.description}`);
  }
  const all = new Set(list.flatMap((s) => s.covers));
  lines.push('', `${list.length} scenarios covering ${all.size} requirements: ${[...all].sort().join(' ')}`, 'Run one: dozor sim shift --scenario NAME [--seed N] [--report FILE.html]');
  process.stdout.write(`${lines.join('\n')}\n`);
  return 0;
}
