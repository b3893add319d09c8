// `aifactory security-scan`: secrets, workflows and config checked, a line or an annotation per finding.
import type { Command } from 'commander';
import { findingAnnotation, formatFinding } from '../core/security/security-finding.ts';
import type { SecurityScanReport } from '../engine/guard/security-audit.ts';
import { plural } from '../ui/words.ts';

/**
 * `aifactory security-scan [--json]` (the seed's `security_scan`): exit 0 when nothing fails,
 * 1 when a finding does, 2 on bad usage or when it cannot scan (not a git repository).
 */
export function registerSecurityScan(program: Command): void {
  program
    .command('security-scan')
    .description(
      'Check the repository: secrets in its files (tracked, and untracked unless ignored) and shared/, workflows (pinned actions, permissions, pull_request_target, expressions in run:, merging steps) and the config (control plane, grants).',
    )
    .option('--json', 'print a machine-readable report')
    .addHelpText(
      'after',
      [
        '',
        'Prints one line per finding: file:line: [rule] message. Info findings (agents granted',
        'control-plane areas) are printed and never fail the scan. A secret is never printed.',
        '',
        'Exit codes: 0 no failing finding, 1 findings, 2 bad usage or cannot scan.',
        'Under GitHub Actions it also prints ::error (and ::notice) annotations.',
      ].join('\n'),
    )
    .action(async (options: { json?: boolean }) => {
      // Loaded when the command runs, so the scanners (YAML parser, secretlint) add nothing to the
      // start-up of every other command.
      const { scanRepository } = await import('../engine/guard/security-audit.ts');
      const report = await scanRepository(process.cwd());
      printReport(report, {
        json: options.json === true,
        annotations: process.env.GITHUB_ACTIONS === 'true',
      });
      process.exitCode = failing(report) > 0 ? 1 : 0;
    });
}

function failing(report: SecurityScanReport): number {
  return report.findings.filter((item) => item.severity === 'error').length;
}

function printReport(report: SecurityScanReport, options: { json: boolean; annotations: boolean }): void {
  const errors = failing(report);
  if (options.json) {
    console.log(
      JSON.stringify({ ok: errors === 0, scanned: report.scanned, findings: report.findings }, null, 2),
    );
  } else {
    for (const item of report.findings) console.log(formatFinding(item));
    const { files, workflows, config } = report.scanned;
    const scope = `${plural(files, 'file')}, ${plural(workflows, 'workflow')}, config ${config ?? '(defaults)'}`;
    console.log(
      errors === 0
        ? `✓ security scan clean (${scope})`
        : `✗ ${errors} security finding${errors === 1 ? '' : 's'} (${scope})`,
    );
  }
  if (options.annotations) for (const item of report.findings) console.log(findingAnnotation(item));
}
