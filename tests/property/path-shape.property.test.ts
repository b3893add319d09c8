// Property tests for checkPathShape and the segment rules of path-names.ts: what an accepted path is.
import { posix } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DEFAULT_ALLOWED_TOP_DIRS } from '../../scripts/core/config.ts';
import {
  gitNameProblem,
  MAX_SEGMENT_BYTES,
  resolvedName,
  segmentNameProblem,
  utf8Length,
} from '../../scripts/core/protocol/path-names.ts';
import { checkPathShape, MAX_PATH_BYTES } from '../../scripts/core/protocol/protocol.ts';

/** Segments an attack would try, beside plain names: climbing, git's names, devices, odd Unicode. */
const HOSTILE_SEGMENTS = [
  '..',
  '.',
  '',
  '.git',
  '.GIT',
  '.git.',
  '.git ',
  '.git::$DATA',
  '.g\u200Cit',
  'GIT~1',
  '.gitmodules',
  '.GitModules',
  '.gitignore ',
  'con',
  'NUL.txt',
  'com¹',
  'PROGRA~1',
  'a:b',
  'a\\b',
  'a\0b',
  'name.',
  'name ',
  'e\u0301',
  '\u202Eevil',
  '\uD800',
  'C:',
  'x\n',
  'a'.repeat(MAX_SEGMENT_BYTES + 1),
];

const plainSegment = fc.stringMatching(/^[a-z0-9_][a-z0-9_.-]{0,10}$/);
const segment = fc.oneof(
  { weight: 4, arbitrary: plainSegment },
  { weight: 3, arbitrary: fc.constantFrom(...HOSTILE_SEGMENTS) },
  { weight: 2, arbitrary: fc.string({ unit: 'grapheme', maxLength: 6 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 6 }) },
);
/** Paths of mixed segments, some with a leading slash or a drive letter. */
const path = fc
  .tuple(fc.constantFrom('', '', '', '/', 'C:/', 'c:'), fc.array(segment, { minLength: 1, maxLength: 6 }))
  .map(([lead, segments]) => lead + segments.join('/'));

/** The same mix, kept only where the rules accept it. */
const acceptedPath = path.filter((candidate) => checkPathShape(candidate) === undefined);

const allowedDir = fc.constantFrom(...DEFAULT_ALLOWED_TOP_DIRS);

describe('an accepted path', () => {
  it('has no "..", "." or empty segment, no backslash or NUL, and is relative', () => {
    fc.assert(
      fc.property(path, (candidate) => {
        fc.pre(checkPathShape(candidate) === undefined);
        const segments = candidate.split('/');
        expect(segments).not.toContain('..');
        expect(segments).not.toContain('.');
        expect(segments).not.toContain('');
        expect(candidate).not.toMatch(/[\\\0]/);
        expect(posix.isAbsolute(candidate)).toBe(false);
        expect(candidate).not.toMatch(/^[A-Za-z]:/);
      }),
      { numRuns: 2000 },
    );
  });

  it('normalises to itself, in POSIX form and in Unicode NFC', () => {
    fc.assert(
      fc.property(path, (candidate) => {
        fc.pre(checkPathShape(candidate) === undefined);
        expect(posix.normalize(candidate)).toBe(candidate);
        expect(candidate.normalize('NFC')).toBe(candidate);
      }),
      { numRuns: 2000 },
    );
  });

  it('holds no segment a file system reads as .git or .gitmodules, and fits every length limit', () => {
    fc.assert(
      fc.property(path, (candidate) => {
        fc.pre(checkPathShape(candidate) === undefined);
        expect(utf8Length(candidate)).toBeLessThanOrEqual(MAX_PATH_BYTES);
        for (const part of candidate.split('/')) {
          expect(['.git', '.gitmodules']).not.toContain(resolvedName(part));
          expect(resolvedName(part)).not.toMatch(/^git~[0-9]+$/);
          expect(utf8Length(part)).toBeLessThanOrEqual(MAX_SEGMENT_BYTES);
          expect(part).not.toMatch(/[. ]$/);
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('stays accepted when joined to another accepted path', () => {
    fc.assert(
      fc.property(acceptedPath, acceptedPath, (first, second) => {
        expect(checkPathShape(`${first}/${second}`)).toBeUndefined();
      }),
    );
  });
});

describe('a refused path', () => {
  it('stays refused under any allowed folder', () => {
    fc.assert(
      fc.property(allowedDir, path, (dir, candidate) => {
        fc.pre(checkPathShape(candidate) !== undefined);
        expect(checkPathShape(`${dir}/${candidate}`)).toBeDefined();
      }),
      { numRuns: 2000 },
    );
  });

  it('stays refused with any folder after it, when one of its segments is refused', () => {
    fc.assert(
      fc.property(path, plainSegment, (candidate, after) => {
        const refused = candidate.split('/').some((part) => gitNameProblem(part) || segmentNameProblem(part));
        fc.pre(refused);
        expect(checkPathShape(`src/${candidate}/${after}`)).toBeDefined();
      }),
    );
  });

  it('is refused for a reason no wider than the path itself', () => {
    fc.assert(
      fc.property(path, (candidate) => {
        const problem = checkPathShape(candidate);
        fc.pre(problem !== undefined);
        expect(problem!.message.length).toBeGreaterThan(0);
        expect(candidate.startsWith(problem!.path)).toBe(true);
      }),
    );
  });
});

describe('one segment under an allowed folder', () => {
  it('is accepted exactly when both name rules accept it (and it is clean, well-formed NFC)', () => {
    fc.assert(
      fc.property(allowedDir, segment, (dir, part) => {
        fc.pre(!/[/\\\0]/.test(part) && !['', '.', '..'].includes(part));
        fc.pre(!/\p{Cs}/u.test(part) && part.normalize('NFC') === part);
        const byNames = gitNameProblem(part) === undefined && segmentNameProblem(part) === undefined;
        expect(checkPathShape(`${dir}/${part}`) === undefined).toBe(byNames);
      }),
      { numRuns: 2000 },
    );
  });

  it('resolves to the same name however often it is resolved', () => {
    fc.assert(
      fc.property(segment, (part) => {
        expect(resolvedName(resolvedName(part))).toBe(resolvedName(part));
      }),
      { numRuns: 2000 },
    );
  });
});
