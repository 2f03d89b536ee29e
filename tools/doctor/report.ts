/** The doctor's report as a table for a terminal, or as JSON for scripts. */
import type { CheckStatus, DoctorReport } from './target.ts';

const MARK: Record<CheckStatus, string> = { pass: 'PASS', fail: 'FAIL', skip: 'skip' };

export function formatReport(report: DoctorReport): string {
  // Names are never cut (they say which part); a rare long one pushes its detail right.
  const width = Math.min(64, Math.max(...report.rows.map((r) => r.part.length), 4));
  const lines = [`dozor doctor: ${report.target}`, ''];
  for (const r of report.rows) lines.push(`  ${MARK[r.status]}  ${r.part.padEnd(width)}  ${r.detail}`);
  const { pass, fail, skip } = report.summary;
  lines.push('', `${pass} passed, ${fail} failed, ${skip} skipped: ${report.ok ? 'OK' : `FAILED (${report.rows.filter((r) => r.status === 'fail').map((r) => r.part).join('; ')})`}`);
  return `${lines.join('\n')}\n`;
}

export function reportJson(report: DoctorReport): string {
  return `${JSON.stringify(report, null, 2)}\n`;
}
