import { execFile } from 'node:child_process';
import { type Agent, defineAgent, FactoryError, renderProposal } from 'aifactory-os';
import { z } from 'zod';

/** What `npm outdated --json` says of each package (npm 7 and later). */
const OutdatedSchema = z.record(
  z.string(),
  z.looseObject({
    current: z.string().optional(),
    wanted: z.string().optional(),
    latest: z.string(),
  }),
);
export type Outdated = z.infer<typeof OutdatedSchema>;

/** A manifest's dependency sections that the bumper updates. */
const SECTIONS = ['dependencies', 'devDependencies', 'optionalDependencies'] as const;
const ManifestSchema = z.looseObject(
  Object.fromEntries(SECTIONS.map((section) => [section, z.record(z.string(), z.string()).optional()])),
);

/** A plain version range the bumper may rewrite: an exact version, or one after `^` or `~`. */
const PLAIN_RANGE = /^([~^]?)(\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?)$/;
const PLAIN_VERSION = /^\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?$/;

/** Runs `npm outdated --json` in `root`; npm exits 1 when something is outdated, which is no error here. */
export function npmOutdated(root: string, env: NodeJS.ProcessEnv = process.env): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      'npm',
      ['outdated', '--json'],
      { cwd: root, env, maxBuffer: 16 * 1024 * 1024 },
      (error, stdout, stderr) => {
        if (error && (error.code !== 1 || stdout.trim() === '')) {
          reject(
            new FactoryError(
              'bad_output',
              `dependency-bumper: npm outdated failed: ${stderr.trim() || error.message}`,
            ),
          );
          return;
        }
        resolve(stdout);
      },
    );
  });
}

/** Parses what `npm outdated --json` printed; an empty answer means nothing is outdated. */
export function parseOutdated(text: string): Outdated {
  let value: unknown;
  try {
    value = text.trim() === '' ? {} : JSON.parse(text);
  } catch (error) {
    throw new FactoryError(
      'bad_output',
      `dependency-bumper: npm outdated did not print JSON: ${(error as Error).message}`,
    );
  }
  const parsed = OutdatedSchema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new FactoryError(
      'bad_output',
      `dependency-bumper: npm outdated, field "${issue.path.join('.')}": ${issue.message}`,
    );
  }
  return parsed.data;
}

/**
 * The manifest with each outdated dependency moved to its latest version, keeping its `^`/`~`
 * prefix and the file's indentation. Ranges that are not plain versions (tags, URLs, `workspace:`)
 * are left alone. Returns the new text and what changed, as `name: from → to`.
 */
export function bumpManifest(
  path: string,
  text: string,
  outdated: Outdated,
): { text: string; bumped: string[] } {
  let manifest: z.infer<typeof ManifestSchema>;
  try {
    manifest = ManifestSchema.parse(JSON.parse(text));
  } catch (error) {
    throw new FactoryError(
      'bad_output',
      `dependency-bumper: ${path} is not a valid package.json: ${(error as Error).message}`,
    );
  }
  const bumped: string[] = [];
  for (const section of SECTIONS) {
    const deps = manifest[section] as Record<string, string> | undefined;
    for (const [name, range] of Object.entries(deps ?? {})) {
      const latest = Object.hasOwn(outdated, name) ? outdated[name]!.latest : undefined;
      const plain = PLAIN_RANGE.exec(range);
      if (!latest || !plain || !PLAIN_VERSION.test(latest) || plain[2] === latest) continue;
      deps![name] = `${plain[1]}${latest}`;
      bumped.push(`${name}: ${range} → ${deps![name]}`);
    }
  }
  const indent = /^([ \t]+)"/m.exec(text)?.[1] ?? '  ';
  return { text: `${JSON.stringify(manifest, null, indent)}\n`, bumped };
}

/**
 * A dependency bumper that reads `npm outdated --json` through `outdated` (injectable, so tests
 * need no registry) and proposes the task's `package.json` files with each outdated dependency at
 * its latest version. Manifests are the control plane: its pull request waits for a person, who
 * runs `npm install` to update the lockfile and reads the changelogs of major bumps.
 */
export function dependencyBumper(
  outdated: (root: string) => Promise<string> = (root) => npmOutdated(root),
): Agent {
  return defineAgent({
    name: 'dependency-bumper',
    role: 'tool',
    description: 'Bumps outdated dependencies in package.json (no model); a person merges them',
    permissions: { control_plane: ['root', 'manifests'] },
    run: async ({ task, root, files }) => {
      const manifests = task.files.filter(
        (path) => path === 'package.json' || path.endsWith('/package.json'),
      );
      if (manifests.length === 0) {
        throw new FactoryError('config', `dependency-bumper: task ${task.task_id} declares no package.json`);
      }
      const latest = parseOutdated(await outdated(root));
      const changed = manifests.flatMap((path) => {
        const current = files[path];
        if (current === undefined) return [];
        const next = bumpManifest(path, current, latest);
        return next.bumped.length > 0
          ? [{ path, content: next.text, lang: 'json', bumped: next.bumped }]
          : [];
      });
      if (changed.length === 0) {
        throw new FactoryError(
          'bad_output',
          `dependency-bumper: nothing in ${manifests.join(', ')} is outdated`,
        );
      }
      const summary = changed.flatMap((file) => file.bumped.map((line) => `- ${file.path}: ${line}`));
      return { text: `Bumped:\n${summary.join('\n')}\n\n${renderProposal(changed)}` };
    },
  });
}

/** The example as registered: it runs the real `npm outdated --json` in the repository. */
export default dependencyBumper();
