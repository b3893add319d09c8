// Property tests for the path rules: checkPathShape, the git names of path-names.ts and the control plane.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DEFAULT_ALLOWED_TOP_DIRS } from '../../scripts/core/config.ts';
import { controlPlaneHit } from '../../scripts/core/protocol/control-plane.ts';
import { gitNameProblem, resolvedName, segmentNameProblem } from '../../scripts/core/protocol/path-names.ts';
import { checkPathShape, checkWrite, type PathPolicy } from '../../scripts/core/protocol/protocol.ts';

const none = { plugins: [] };
/** The default folders, no declared files, no grant: what an ordinary task of `gpt` may write. */
const policy: PathPolicy = {
  ...none,
  allowedDirs: DEFAULT_ALLOWED_TOP_DIRS,
  declaredFiles: [],
  grants: [],
  agent: 'gpt',
};

/** Characters HFS+ drops from a name (git's utf8.c list), so `.g\u200Cit` is `.git` on a Mac. */
const HFS_IGNORED = ['\u200C', '\u200D', '\u200E', '\u200F', '\u202A', '\u202E', '\u206A', '\uFEFF'];

/** Randomly upper-cases letters, as a case-insensitive file system would not notice. */
const anyCase = (name: string) =>
  fc
    .array(fc.boolean(), { minLength: name.length, maxLength: name.length })
    .map((upper) => [...name].map((char, i) => (upper[i] ? char.toUpperCase() : char)).join(''));

/**
 * A name that some file system resolves to `name`: any case, invisible characters HFS+ ignores
 * put anywhere, trailing dots and spaces NTFS drops, an NTFS stream suffix.
 */
const lookalike = (name: string) =>
  fc
    .tuple(
      anyCase(name),
      fc.array(fc.tuple(fc.nat(), fc.constantFrom(...HFS_IGNORED)), { maxLength: 2 }),
      fc.constantFrom('', '.', ' ', '. .', '...', '::$DATA', ':x'),
    )
    .map(([cased, inserts, tail]) => {
      const chars = [...cased];
      for (const [at, char] of inserts) chars.splice(at % (chars.length + 1), 0, char);
      return chars.join('') + tail;
    });

const safeSegment = fc
  .stringMatching(/^[a-z0-9_][a-z0-9_-]{0,11}(\.[a-z]{1,4})?$/)
  .filter((segment) => segmentNameProblem(segment) === undefined && gitNameProblem(segment) === undefined);
const folders = fc.array(safeSegment, { maxLength: 4 });
const top = fc.constantFrom(...DEFAULT_ALLOWED_TOP_DIRS, 'tasks', 'scripts', '.github', 'shared/runs');

describe('the path rules', () => {
  it('never throw on any string, and blame a prefix of the path', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 300 }), (path) => {
        const problem = checkPathShape(path);
        if (problem) expect(path.startsWith(problem.path)).toBe(true);
      }),
      { numRuns: 500 },
    );
  });

  it('accept every path of plain names', () => {
    fc.assert(
      fc.property(top, folders, safeSegment, (dir, middle, name) => {
        expect(checkPathShape([dir, ...middle, name].join('/'))).toBeUndefined();
      }),
    );
  });

  it('never let a name that resolves to .git or .gitmodules through, at any depth', () => {
    fc.assert(
      fc.property(
        top,
        folders,
        fc.constantFrom('.git', '.gitmodules').chain(lookalike),
        folders,
        (dir, before, name, after) => {
          const problem = checkPathShape([dir, ...before, name, ...after, 'x.txt'].join('/'));
          expect(problem?.rule).toMatch(/^(git_dir|gitmodules)$/);
        },
      ),
    );
  });

  it('refuse every misspelling of a git dotfile, and accept only its exact name', () => {
    fc.assert(
      fc.property(
        fc
          .constantFrom('.gitattributes', '.gitignore', '.mailmap')
          .chain((name) => lookalike(name).map((variant) => ({ name, variant }))),
        ({ name, variant }) => {
          expect(resolvedName(variant)).toBe(name);
          const problem = checkPathShape(`src/${variant}`);
          if (variant === name) expect(problem).toBeUndefined();
          else expect(problem).toBeDefined();
        },
      ),
    );
  });

  it('hold every .gitattributes, at any depth and in any spelling, as control plane', () => {
    fc.assert(
      fc.property(top, folders, lookalike('.gitattributes'), (dir, middle, name) => {
        const path = [dir, ...middle, name].join('/');
        expect(controlPlaneHit(path, none)?.area).toBe('gitattributes');
        expect(checkWrite(path, policy)).toBeDefined();
        expect(checkWrite(path, { ...policy, grants: ['gitattributes'] })?.rule).not.toBe('control_plane');
      }),
    );
  });

  it('judge the control plane the same whatever the case of a path', () => {
    fc.assert(
      fc.property(
        top.chain((dir) => anyCase(dir)),
        folders,
        fc.oneof(safeSegment, fc.constantFrom('package.json', 'yarn.lock', '.gitattributes')),
        (dir, middle, name) => {
          const path = [dir, ...middle, name].join('/');
          expect(controlPlaneHit(path, none)).toEqual(controlPlaneHit(path.toLowerCase(), none));
        },
      ),
    );
  });

  it('let agents write plain names inside the allowed folders, and nothing else there', () => {
    fc.assert(
      fc.property(fc.constantFrom(...DEFAULT_ALLOWED_TOP_DIRS), folders, safeSegment, (dir, middle, name) => {
        const path = [dir, ...middle, name].join('/');
        expect(checkWrite(path, policy)).toBeUndefined();
      }),
    );
  });
});
