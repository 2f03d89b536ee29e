/**
 * `dozor journal …`: verify a device journal, show it as a table, export the paper forms.
 * Exit codes: 0 valid / done, 1 the journal is not valid (verify), 2 bad usage or unreadable input.
 */
import { writeFile } from 'node:fs/promises';
import { Option, type Command } from 'commander';
import { ENTRY_TYPES } from '../../firmware/journal/entries.ts';
import { CHECKPOINT, FILE_HEADER } from '../../firmware/journal/format.ts';
import { readJournal, type ReadOptions, type VerifyReport } from '../../firmware/journal/reader.ts';
import { fillForm, formLanguages, FORM_IDS, LANGS, type FormId, type Lang } from '../journal/forms.ts';
import { loadCheckpoint, loadJournalInput, loadPublicKey, loadTrusted } from '../journal/load.ts';
import { formToCsv, formToHtml } from '../journal/render-form.ts';
import { renderJsonLines, renderTable, selectRecords } from '../journal/show.ts';
import { DEFAULT_UTC_OFFSET, isoLocal, parseTimeArg, parseUtcOffset } from '../journal/time.ts';
import { EXIT, InputError, UsageError } from './errors.ts';

interface KeyOptions {
  pubkey?: string;
  checkpoint?: string;
  trusted?: string;
}

interface VerifyCliOptions extends KeyOptions {
  json?: boolean;
}

interface ShowCliOptions extends KeyOptions {
  type?: string;
  since?: string;
  until?: string;
  all?: boolean;
  json?: boolean;
  tz: string;
}

interface ExportCliOptions extends KeyOptions {
  form: FormId;
  format: 'csv' | 'html';
  lang?: Lang;
  out?: string;
  tz: string;
  unit?: string;
}

const pubkeyOption = () => new Option('--pubkey <FILE>', "the device's Ed25519 public key (hex, raw, PEM, or JSON with publicKey); without it the journal's own key is used");

export function registerJournalCommands(program: Command): void {
  const journal = program.command('journal').description('verify, show and export device shift journals (R-LOG-1..5)');

  journal
    .command('verify')
    .description('check framing, CRCs, sequence, hash chain, signatures and entry schemas; name the first bad record')
    .argument('<PATH>', 'a journal file, or a folder holding the device journal files')
    .addOption(pubkeyOption())
    .option('--checkpoint <FILE>', 'a signed checkpoint kept by the dock or server (JSON): the journal must still hold what it sealed')
    .option('--trusted <FILE>', 'keys of responsible persons (JSON array): check every correction’s authorisation in full')
    .option('--json', 'print the report as JSON')
    .action(async (target: string, opts: VerifyCliOptions) => {
      process.exitCode = await verifyCommand(target, opts);
    });

  journal
    .command('show')
    .description('print the journal as a table')
    .argument('<PATH>', 'a journal file, or a folder holding the device journal files')
    .option('--type <TYPES>', 'only these record types, comma-separated (e.g. pause-start,pause-end)')
    .option('--since <TIME>', 'only records at or after this device time (2026-11-23 09:00, ISO 8601, or epoch ms)')
    .option('--until <TIME>', 'only records at or before this device time')
    .option('--all', 'include file headers and checkpoints')
    .option('--json', 'one JSON object per record instead of a table')
    .option('--tz <OFFSET>', 'UTC offset for times', DEFAULT_UTC_OFFSET)
    .addOption(pubkeyOption())
    .action(async (target: string, opts: ShowCliOptions) => {
      process.exitCode = await showCommand(target, opts);
    });

  journal
    .command('export')
    .description('fill a paper journal form (R-LOG-2..4) from the device journal')
    .argument('<PATH>', 'a journal file, or a folder holding the device journal files')
    .addOption(new Option('--form <FORM>', 'which form').choices(FORM_IDS).makeOptionMandatory())
    .addOption(new Option('--format <FORMAT>', 'output format').choices(['csv', 'html']).makeOptionMandatory())
    .addOption(new Option('--lang <LANG>', "column titles: the form's original language (default) or en").choices(LANGS))
    .option('--out <FILE>', 'write to this file instead of standard output')
    .option('--unit <NAME>', 'name of the unit (подразделение / Инспекция) for the form heading')
    .option('--tz <OFFSET>', 'UTC offset for times', DEFAULT_UTC_OFFSET)
    .addOption(pubkeyOption())
    .action(async (target: string, opts: ExportCliOptions) => {
      process.exitCode = await exportCommand(target, opts);
    });
}

async function readOptions(opts: KeyOptions): Promise<ReadOptions> {
  const o: ReadOptions = {};
  if (opts.pubkey) o.publicKey = await loadPublicKey(opts.pubkey);
  if (opts.checkpoint) o.knownCheckpoint = await loadCheckpoint(opts.checkpoint);
  if (opts.trusted) o.trusted = await loadTrusted(opts.trusted);
  return o;
}

let pipeGuard = false;
/** `dozor journal show … | head` closes the pipe early: that is not an error. */
function guardBrokenPipe(): void {
  if (pipeGuard) return;
  pipeGuard = true;
  process.stdout.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code !== 'EPIPE') throw e;
  });
}

const out = (s: string) => {
  guardBrokenPipe();
  process.stdout.write(s.endsWith('\n') ? s : `${s}\n`);
};

export function describeReport(target: string, r: VerifyReport): string {
  const lines: string[] = [];
  const files = r.files.length === 1 ? '1 file' : `${r.files.length} files`;
  lines.push(`journal ${target}: ${files}, ${r.records} records (${r.entries} entries, ${r.checkpoints} checkpoints)`);
  if (r.device) lines.push(`device ${r.device}, key ${r.keyId} ${r.keySource === 'pinned' ? '(pinned with --pubkey)' : "(taken from the journal's own header: not independently trusted; pass --pubkey)"}`);
  if (r.head) lines.push(`seq ${r.firstSeq} … ${r.lastSeq}, head ${r.head.hash}`);
  if (r.lastCheckpoint) {
    lines.push(`last checkpoint: seq ${r.lastCheckpoint.seq} (${r.lastCheckpoint.reason}); records after it: ${r.unsealedRecords}`);
  } else {
    lines.push('no valid checkpoint');
  }
  for (const n of r.notes) lines.push(`note: ${n}`);
  if (r.status === 'valid') {
    lines.push('VALID');
  } else {
    const p = r.firstProblem!;
    lines.push(r.status === 'truncated' ? 'TRUNCATED: the journal ends early' : 'INVALID');
    lines.push(`first bad record: ${p.file} offset ${p.offset}${p.seq !== undefined ? ` seq ${p.seq}` : ''}: [${p.code}] ${p.message}`);
    const more = r.problems.slice(1, 20);
    for (const q of more) lines.push(`  also: ${q.file} offset ${q.offset}${q.seq !== undefined ? ` seq ${q.seq}` : ''}: [${q.code}] ${q.message}`);
    if (r.problems.length > 20) lines.push(`  … and ${r.problems.length - 20} more`);
  }
  return lines.join('\n');
}

async function verifyCommand(target: string, opts: VerifyCliOptions): Promise<number> {
  const ro = await readOptions(opts);
  const files = await loadJournalInput(target);
  const { report } = readJournal(files, ro);
  out(opts.json ? JSON.stringify(report, null, 2) : describeReport(target, report));
  return report.status === 'valid' ? EXIT.ok : EXIT.failed;
}

function parseTypes(list: string): Set<string> {
  const known = new Set<string>([...ENTRY_TYPES, FILE_HEADER, CHECKPOINT]);
  const types = list
    .split(',')
    .map((t) => t.trim())
    .filter(Boolean);
  const unknown = types.filter((t) => !known.has(t));
  if (types.length === 0 || unknown.length > 0) {
    throw new UsageError(`--type: unknown record type ${unknown.join(', ') || '(none given)'}; known: ${[...known].join(', ')}`);
  }
  return new Set(types);
}

function warnIfNotValid(report: VerifyReport): void {
  if (report.status === 'valid') return;
  const p = report.firstProblem!;
  process.stderr.write(
    `dozor: warning: journal is ${report.status.toUpperCase()} (first bad record: ${p.file} offset ${p.offset}: ${p.message}); run "dozor journal verify" for details\n`,
  );
}

async function showCommand(target: string, opts: ShowCliOptions): Promise<number> {
  const offset = parseUtcOffset(opts.tz);
  const types = opts.type !== undefined ? parseTypes(opts.type) : undefined;
  const since = opts.since !== undefined ? parseTimeArg(opts.since, offset, '--since') : undefined;
  const until = opts.until !== undefined ? parseTimeArg(opts.until, offset, '--until') : undefined;
  if (since !== undefined && until !== undefined && since > until) throw new UsageError('--since is after --until');
  const ro = await readOptions(opts);
  const files = await loadJournalInput(target);
  const { report, records } = readJournal(files, ro);
  warnIfNotValid(report);
  const rows = selectRecords(records, { types, since, until, all: opts.all });
  if (opts.json) {
    if (rows.length > 0) out(renderJsonLines(rows));
  } else {
    out(renderTable(rows, records, offset));
    const range =
      since !== undefined || until !== undefined ? ` between ${since !== undefined ? isoLocal(since, offset) : '…'} and ${until !== undefined ? isoLocal(until, offset) : '…'}` : '';
    out(`${rows.length} of ${records.length} records${range}; journal ${report.status}`);
  }
  return EXIT.ok;
}

async function exportCommand(target: string, opts: ExportCliOptions): Promise<number> {
  const offset = parseUtcOffset(opts.tz);
  const langs = formLanguages(opts.form);
  const lang = opts.lang ?? langs.find((l) => l !== 'en')!;
  if (!langs.includes(lang)) {
    throw new UsageError(`form ${opts.form} exists only in ${langs.join(' and ')} here (its original text and our English translation); no official ${lang} text is held`);
  }
  const ro = await readOptions(opts);
  const files = await loadJournalInput(target);
  const { report, records } = readJournal(files, ro);
  warnIfNotValid(report);
  const filled = fillForm(opts.form, lang, records, report, offset);
  const text = opts.format === 'csv' ? formToCsv(filled) : formToHtml(filled, opts.unit);
  if (opts.out) {
    try {
      await writeFile(opts.out, text);
    } catch (err) {
      throw new InputError(`cannot write ${opts.out}: ${(err as Error).message}`, { cause: err });
    }
  } else {
    guardBrokenPipe();
    process.stdout.write(text);
  }
  return EXIT.ok;
}
