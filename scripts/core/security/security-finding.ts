// A finding of `aifactory security-scan`: its shape, its line and annotation, its order in the report. Pure.
/**
 * What `aifactory security-scan` reports: one finding per problem, naming the file, the line and
 * the rule, and saying what to do. Pure: formatting, ordering and locating text in a file.
 */
import { workflowCommand } from '../task/annotation.ts';

/** `error` fails the scan; `info` is printed for a person to know and never fails it. */
export type FindingSeverity = 'error' | 'info';

export interface SecurityFinding {
  /** Path relative to the repository root, with `/` separators. */
  file: string;
  /** 1-based line of the offending text. */
  line: number;
  /** The rule broken, e.g. `unpinned_action`, `secret`, `control_plane_dir`. */
  rule: string;
  severity: FindingSeverity;
  /** What is wrong and what to do. Never holds a secret's value. */
  message: string;
}

/** An error-level finding (the usual kind). */
export function finding(file: string, line: number, rule: string, message: string): SecurityFinding {
  return { file, line, rule, severity: 'error', message };
}

/** `file:line: [rule] message`, with `info: ` before the message of an info finding. */
export function formatFinding(item: SecurityFinding): string {
  const prefix = item.severity === 'info' ? 'info: ' : '';
  return `${item.file}:${item.line}: [${item.rule}] ${prefix}${item.message}`;
}

/** The GitHub Actions annotation: `::error` for errors, `::notice` for info. */
export function findingAnnotation(item: SecurityFinding): string {
  return workflowCommand(
    item.severity === 'info' ? 'notice' : 'error',
    { file: item.file, line: item.line, title: item.rule },
    item.message,
  );
}

/** Findings in a stable order: by file, line, then rule. */
export function sortFindings(findings: readonly SecurityFinding[]): SecurityFinding[] {
  return [...findings].sort(
    (a, b) => a.file.localeCompare(b.file) || a.line - b.line || a.rule.localeCompare(b.rule),
  );
}

/** The 1-based line of the first line at or after `fromLine` that `test` accepts. */
export function findLine(text: string, test: RegExp, fromLine = 1): number | undefined {
  const lines = text.split('\n');
  for (let index = fromLine - 1; index < lines.length; index += 1) {
    if (test.test(lines[index]!)) return index + 1;
  }
  return undefined;
}

/** `text` as a regular expression that matches it literally. */
export function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
