/** Built-in scenarios: YAML files beside this module, loaded by name. */
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { InputError } from '../cli/errors.ts';
import { loadScenarioFile, parseScenario, type Scenario } from './scenario.ts';

const DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), 'scenarios');

export async function builtInScenarioNames(): Promise<string[]> {
  return (await readdir(DIR)).filter((f) => f.endsWith('.yaml')).map((f) => f.slice(0, -5)).sort();
}

export async function loadBuiltInScenario(name: string): Promise<Scenario> {
  const file = path.join(DIR, `${name}.yaml`);
  return parseScenario(await readFile(file, 'utf8'), `built-in scenario ${name}`);
}

/** A built-in name, or a path to a YAML/JSON file (anything with a slash or an extension). */
export async function resolveScenario(nameOrFile: string): Promise<Scenario> {
  if (/[/\\]|\.(ya?ml|json)$/i.test(nameOrFile)) return loadScenarioFile(nameOrFile);
  const names = await builtInScenarioNames();
  if (!names.includes(nameOrFile)) {
    throw new InputError(`no built-in scenario "${nameOrFile}" (built-in: ${names.join(', ')}); give a file path for your own`);
  }
  return loadBuiltInScenario(nameOrFile);
}
