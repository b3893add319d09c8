// The Node version a project pins (volta, .nvmrc, .node-version, engines), and which versions match it.
import { FactoryError } from './errors.ts';

/** A Node version as `node --version` prints it and version managers name their folders. */
export type NodeVersion = readonly [major: number, minor: number, patch: number];

/** The Node a project asks for: where it said so, what it wrote, and which versions fit. */
export interface NodePin {
  /** The file, and for package.json the field, that pins it: `.nvmrc`, `package.json volta.node`. */
  source: string;
  /** The value as written there, trimmed. */
  spec: string;
  /** Whether an installed version fits the pin. */
  matches(version: NodeVersion): boolean;
}

/** The files a pin is read from, as text (absent: undefined). */
export interface PinFiles {
  '.nvmrc'?: string | undefined;
  '.node-version'?: string | undefined;
  'package.json'?: string | undefined;
}

/** LTS code names, as nvm's `lts/<name>` writes them, by major version. */
const LTS_MAJORS: Readonly<Record<string, number>> = {
  argon: 4,
  boron: 6,
  carbon: 8,
  dubnium: 10,
  erbium: 12,
  fermium: 14,
  gallium: 16,
  hydrogen: 18,
  iron: 20,
  jod: 22,
  krypton: 24,
};

/** Names a version file may hold that pin nothing in particular: any installed Node will do. */
const ANY_VERSION = new Set(['node', 'stable', 'latest', 'current', 'lts/*']);

/** `v24.1.0` or `24.1.0` (nothing after it): the version, else undefined. */
export function parseNodeVersion(text: string): NodeVersion | undefined {
  const found = /^v?(\d+)\.(\d+)\.(\d+)$/.exec(text.trim());
  return found ? [Number(found[1]), Number(found[2]), Number(found[3])] : undefined;
}

/** `a` before `b`: negative; the same: 0; after: positive. */
export function compareVersions(a: NodeVersion, b: NodeVersion): number {
  return a[0] - b[0] || a[1] - b[1] || a[2] - b[2];
}

type Test = (version: NodeVersion) => boolean;
/** A partial version: `24`, `24.1`, `24.1.0`, with `x` or `*` for a part left open (null). */
type Partial = [number | null, number | null, number | null];

const PART = String.raw`(?:\d+|[xX*])`;
const PARTIAL = new RegExp(
  String.raw`^v?(${PART})(?:\.(${PART}))?(?:\.(${PART}))?(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?$`,
);

function partial(text: string): Partial | undefined {
  const found = PARTIAL.exec(text);
  if (!found) return undefined;
  const part = (value: string | undefined) =>
    value === undefined || /^[xX*]$/.test(value) ? null : Number(value);
  const parts: Partial = [part(found[1]), part(found[2]), part(found[3])];
  // `1.x.3` is not a range: once a part is open, the rest are.
  return parts[0] === null && parts[1] !== null
    ? undefined
    : parts[1] === null && parts[2] !== null
      ? undefined
      : parts;
}

/** The lowest version a partial names: its open parts as 0. */
function floor(p: Partial): NodeVersion {
  return [p[0] ?? 0, p[1] ?? 0, p[2] ?? 0];
}

/** The first version past what a partial names (`1.2` → 1.3.0), or none when it names every version. */
function ceiling(p: Partial): NodeVersion | undefined {
  if (p[0] === null) return undefined;
  if (p[1] === null) return [p[0] + 1, 0, 0];
  if (p[2] === null) return [p[0], p[1] + 1, 0];
  return [p[0], p[1], p[2] + 1];
}

const atLeast =
  (low: NodeVersion): Test =>
  (v) =>
    compareVersions(v, low) >= 0;
const below =
  (high: NodeVersion | undefined): Test =>
  (v) =>
    high === undefined || compareVersions(v, high) < 0;
const both =
  (a: Test, b: Test): Test =>
  (v) =>
    a(v) && b(v);

/** `^1.2.3` → below 2.0.0; `^0.2.3` → below 0.3.0; `^0.0.3` → below 0.0.4 (npm's caret). */
function caretCeiling(p: Partial): NodeVersion | undefined {
  if (p[0] !== 0 || p[1] === null) return ceiling([p[0], null, null]);
  if (p[1] !== 0 || p[2] === null) return ceiling([0, p[1], null]);
  return ceiling(p);
}

/** One comparator of an npm range (`>=22`, `^20.1`, `~18.2`, `22.x`), or undefined when it is not one. */
function comparator(text: string): Test | undefined {
  const found = /^(>=|<=|>|<|=|\^|~>?)?\s*(.+)$/.exec(text)!;
  const p = partial(found[2]!);
  if (!p) return undefined;
  switch (found[1]) {
    case '>=':
      return atLeast(floor(p));
    case '>': {
      const past = ceiling(p);
      return (v) => past !== undefined && compareVersions(v, past) >= 0;
    }
    case '<':
      return (v) => p[0] !== null && compareVersions(v, floor(p)) < 0;
    case '<=':
      return below(ceiling(p));
    case '^':
      return both(atLeast(floor(p)), below(caretCeiling(p)));
    case '~':
    case '~>':
      return both(atLeast(floor(p)), below(ceiling(p[1] === null ? p : [p[0], p[1], null])));
    default:
      return both(atLeast(floor(p)), below(ceiling(p)));
  }
}

/**
 * An npm version range (`>=22`, `^20 || ^22`, `20.x`, `18 - 22`, `*`) as a test of a version, or
 * undefined when it is not one. Pre-release tags are read past: Node releases have none.
 */
export function parseRange(text: string): Test | undefined {
  const alternatives: Test[] = [];
  for (const alternative of text.split('||')) {
    const set = alternative.trim();
    const hyphen = /^(\S+)\s+-\s+(\S+)$/.exec(set);
    if (hyphen) {
      const [from, to] = [partial(hyphen[1]!), partial(hyphen[2]!)];
      if (!from || !to) return undefined;
      alternatives.push(both(atLeast(floor(from)), below(ceiling(to))));
      continue;
    }
    // `>= 22` is one comparator: the operator's space is closed up before splitting.
    const words = set
      .replace(/(>=|<=|>|<|=|\^|~>?)\s+/g, '$1')
      .split(/\s+/)
      .filter(Boolean);
    const tests = (words.length === 0 ? ['*'] : words).map(comparator);
    if (tests.some((test) => test === undefined)) return undefined;
    alternatives.push((v) => tests.every((test) => test!(v)));
  }
  return (v) => alternatives.some((test) => test(v));
}

/** What a version file (`.nvmrc`, `.node-version`) says: its first line that is not a comment, if any. */
function versionFileSpec(text: string | undefined): string | undefined {
  return text
    ?.split('\n')
    .map((each) => each.replace(/#.*/, '').trim())
    .find((each) => each !== '');
}

/** The test a version file's value stands for: a version or its start, an LTS name, or any. */
function versionFileTest(spec: string): Test | undefined {
  const lower = spec.toLowerCase();
  if (ANY_VERSION.has(lower)) return () => true;
  const lts = /^lts\/(\w+)$/.exec(lower);
  if (lts) {
    const major = LTS_MAJORS[lts[1]!];
    return major === undefined ? undefined : (v) => v[0] === major;
  }
  const p = partial(spec);
  return p && p[0] !== null ? both(atLeast(floor(p)), below(ceiling(p))) : undefined;
}

function unreadable(source: string, spec: string, expected: string): FactoryError {
  return new FactoryError(
    'config',
    `${source} says ${JSON.stringify(spec)}, which is not a Node version the checks can find (${expected})`,
  );
}

function packageFields(text: string | undefined): { volta?: unknown; engines?: unknown } {
  if (text === undefined) return {};
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null ? value : {};
  } catch {
    // A broken package.json pins nothing; the product's own checks will say what is wrong with it.
    return {};
  }
}

function stringField(holder: unknown, name: string): string | undefined {
  if (typeof holder !== 'object' || holder === null) return undefined;
  const value = (holder as Record<string, unknown>)[name];
  return typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined;
}

/**
 * The Node a project pins, read as its own tools read it, first found first: package.json's
 * `volta.node` (what Volta switches to), `.nvmrc` (nvm, fnm), `.node-version` (nodenv, fnm), then
 * package.json's `engines.node` (a range the project supports). None of them: undefined.
 * @throws FactoryError (`config`) naming the file and the value when a pin cannot be read.
 */
export function nodePinOf(files: PinFiles): NodePin | undefined {
  const pkg = packageFields(files['package.json']);
  const candidates: [source: string, spec: string | undefined, read: (spec: string) => Test | undefined][] = [
    ['package.json volta.node', stringField(pkg.volta, 'node'), versionFileTest],
    ['.nvmrc', versionFileSpec(files['.nvmrc']), versionFileTest],
    ['.node-version', versionFileSpec(files['.node-version']), versionFileTest],
    ['package.json engines.node', stringField(pkg.engines, 'node'), parseRange],
  ];
  for (const [source, spec, read] of candidates) {
    if (spec === undefined) continue;
    const test = read(spec);
    if (!test) {
      const expected =
        read === parseRange ? 'an npm range such as ">=22"' : 'such as "24", "v24.1.0" or "lts/jod"';
      throw unreadable(source, spec, expected);
    }
    return { source, spec, matches: test };
  }
  return undefined;
}

/** The newest of `versions` that fits `pin`, or undefined when none does. */
export function newestMatching<T extends { version: NodeVersion }>(
  candidates: readonly T[],
  pin: NodePin,
): T | undefined {
  return candidates
    .filter((candidate) => pin.matches(candidate.version))
    .reduce<T | undefined>(
      (best, candidate) => (best && compareVersions(best.version, candidate.version) >= 0 ? best : candidate),
      undefined,
    );
}

/** `[24, 1, 0]` → `v24.1.0`. */
export function formatVersion(version: NodeVersion): string {
  return `v${version.join('.')}`;
}
