/** A filled form as CSV (RFC 4180, UTF-8 with BOM for spreadsheet programs) or self-contained HTML. */
import { phrases, type FilledForm } from './forms.ts';

function csvCell(raw: string): string {
  const value = raw.replace(/\n/g, '; ');
  // A cell that a spreadsheet would run as a formula is prefixed with an apostrophe (OWASP CSV injection).
  const v = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v;
}

export function formToCsv(f: FilledForm): string {
  const lines = [f.text.columns, ...f.rows.map((r) => r.cells)].map((cells) => cells.map(csvCell).join(','));
  return `\ufeff${lines.join('\r\n')}\r\n`;
}

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

export function formToHtml(f: FilledForm, unit?: string): string {
  const p = phrases(f.lang);
  const [first, ...rest] = f.text.title.startsWith('Журнал') ? ['Журнал', f.text.title.slice('Журнал'.length).trim()] : [f.text.title];
  const dates =
    f.lang === 'kk'
      ? `${esc(f.started || '__.__.20__')} ${p.started} &nbsp; ${esc(f.ended || '__.__.20__')} ${p.ended}`
      : `${p.started} ${esc(f.started || '«___» _______ 20__')} &nbsp; ${p.ended} ${esc(f.ended || '«___» _______ 20__')}`;
  const head = f.text.columns.map((c) => `<th>${esc(c)}</th>`).join('');
  const nums = f.text.columns.map((_c, i) => `<td>${i + 1}</td>`).join('');
  const body = f.rows
    .map((r) => `<tr${r.corrected ? ' class="corrected"' : ''}>${r.cells.map((c, i) => `<td${i === r.cells.length - 1 ? ' class="note"' : ''}>${esc(c)}</td>`).join('')}</tr>`)
    .join('\n');
  return `<!doctype html>
<html lang="${f.lang}">
<head>
<meta charset="utf-8">
<title>${esc(f.text.title)}</title>
<style>
body { font-family: "Times New Roman", serif; margin: 2em; }
.appendix { text-align: right; font-size: 0.85em; max-width: 28em; margin-left: auto; }
h1 { text-align: center; font-size: 1.3em; margin-bottom: 0; }
h2 { text-align: center; font-size: 1.1em; font-weight: normal; margin-top: 0.2em; }
.unit { text-align: center; margin: 1em 0 0; border-bottom: 1px solid #000; }
.label { text-align: center; font-size: 0.8em; margin: 0; }
.dates { text-align: right; }
table { border-collapse: collapse; width: 100%; }
th, td { border: 1px solid #000; padding: 0.25em 0.4em; vertical-align: top; font-size: 0.9em; white-space: pre-line; }
th { font-weight: normal; }
tr.num td { text-align: center; font-size: 0.8em; }
tr.corrected td:not(.note) { text-decoration: line-through; }
.footnote { font-size: 0.85em; }
footer { margin-top: 1.5em; font-size: 0.8em; color: #333; }
</style>
</head>
<body>
<p class="appendix">${esc(f.text.appendix)}</p>
<h1>${esc(first)}</h1>
${rest.length ? `<h2>${esc(rest[0])}</h2>` : ''}
<p class="unit">${esc(unit ?? '')}&nbsp;</p>
<p class="label">${esc(p.unitLabel)}</p>
<p class="dates">${dates}</p>
<table>
<thead>
<tr>${head}</tr>
<tr class="num" title="${esc(p.numbers)}">${nums}</tr>
</thead>
<tbody>
${body}
</tbody>
</table>
${f.text.footnote ? `<p class="footnote">${esc(f.text.footnote)}</p>` : ''}
<footer>${esc(f.footer)}</footer>
</body>
</html>
`;
}
