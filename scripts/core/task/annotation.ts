// GitHub Actions workflow commands (`::error file=…::message`), escaped as the runner expects. Pure.
/**
 * GitHub Actions workflow commands (`::error file=…,line=…::message`), escaped as the runner
 * expects: `%`, CR and LF in the message; also `:` and `,` in property values. Pure.
 * https://docs.github.com/actions/reference/workflows-and-actions/workflow-commands
 */

/** The annotation levels GitHub shows on a pull request's files. */
export type AnnotationLevel = 'error' | 'warning' | 'notice';

function escapeData(value: string): string {
  return value.replaceAll('%', '%25').replaceAll('\r', '%0D').replaceAll('\n', '%0A');
}

function escapeProperty(value: string): string {
  return escapeData(value).replaceAll(':', '%3A').replaceAll(',', '%2C');
}

/** One workflow command line, properties in the order given. */
export function workflowCommand(
  level: AnnotationLevel,
  properties: Readonly<Record<string, string | number>>,
  message: string,
): string {
  const props = Object.entries(properties)
    .map(([name, value]) => `${name}=${escapeProperty(String(value))}`)
    .join(',');
  return `::${level} ${props}::${escapeData(message)}`;
}
