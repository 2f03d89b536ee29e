/**
 * `make bench`: runs every suite in bench/*.bench.ts (or the ids given as arguments), prints a
 * table, and rewrites that suite's section of BENCHMARKS.md with the figures and the command.
 */
import { readdir, readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { fmt, type BenchResult, type BenchSuite } from './harness.ts';

const here = path.dirname(fileURLToPath(import.meta.url));
const mdPath = path.join(here, '..', 'BENCHMARKS.md');

async function loadSuites(): Promise<BenchSuite[]> {
  const files = (await readdir(here)).filter((f) => f.endsWith('.bench.ts')).sort();
  const suites: BenchSuite[] = [];
  for (const f of files) {
    const mod = (await import(pathToFileURL(path.join(here, f)).href)) as { default: BenchSuite };
    suites.push(mod.default);
  }
  return suites;
}

function table(results: BenchResult[]): string {
  const rows = results.map((r) => [r.metric, `${fmt(r.value)} ${r.unit}`, r.target ?? '', r.ok === undefined ? '' : r.ok ? 'yes' : 'NO', r.note ?? '']);
  const head = ['metric', 'measured', 'target', 'met', 'note'];
  return [`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`, ...rows.map((r) => `| ${r.join(' | ')} |`)].join('\n');
}

function machine(): string {
  const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
  return `${os.cpus().length} × ${cpu}, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}, ${os.platform()} ${os.release()}`;
}

async function updateMarkdown(suite: BenchSuite, results: BenchResult[]): Promise<void> {
  let md: string;
  try {
    md = await readFile(mdPath, 'utf8');
  } catch {
    md = '# Benchmarks\n\nFigures measured by `make bench` (all suites) or `node --import tsx bench/run.ts ID…` (some).\nEach section says when, on what machine, and with which command it was produced.\n';
  }
  const start = `<!-- bench:${suite.id}:start -->`;
  const end = `<!-- bench:${suite.id}:end -->`;
  const body = [
    start,
    `## ${suite.title} (issue #${suite.issue})`,
    '',
    `Command: \`node --import tsx bench/run.ts ${suite.id}\` (also part of \`make bench\`)  `,
    `Measured: ${new Date().toISOString().slice(0, 10)} on ${machine()}`,
    '',
    table(results),
    end,
  ].join('\n');
  const i = md.indexOf(start);
  const j = md.indexOf(end);
  md = i >= 0 && j > i ? md.slice(0, i) + body + md.slice(j + end.length) : `${md.trimEnd()}\n\n${body}\n`;
  await writeFile(mdPath, md);
}

const wanted = process.argv.slice(2);
const suites = (await loadSuites()).filter((s) => wanted.length === 0 || wanted.includes(s.id));
if (wanted.length > 0 && suites.length === 0) {
  process.stderr.write(`bench: no suite named ${wanted.join(', ')}\n`);
  process.exit(2);
}
let failed = 0;
for (const suite of suites) {
  process.stdout.write(`\n== ${suite.title} [${suite.id}] ==\n`);
  const results = await suite.run();
  process.stdout.write(`${table(results)}\n`);
  failed += results.filter((r) => r.ok === false).length;
  await updateMarkdown(suite, results);
}
process.stdout.write(`\n${failed === 0 ? 'all targets met' : `${failed} target(s) missed`}; BENCHMARKS.md updated\n`);
