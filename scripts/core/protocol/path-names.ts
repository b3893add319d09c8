// File names every git and file system reads alike: no `.git` lookalike, no name Windows or macOS refuses. Pure.
/**
 * Names no git and no common file system can misread. Git's own `verify_path` (read.c) with
 * core.protectNTFS and core.protectHFS on refuses `.git` and the names Windows or macOS read as
 * `.git`; this goes further and refuses any name that Windows or macOS cannot hold, or would
 * hold under another name, so a branch written on Linux checks out the same everywhere.
 */

/** The rules a single path segment can break. */
export type SegmentRule =
  | 'git_dir'
  | 'gitmodules'
  | 'git_file_lookalike'
  | 'control_character'
  | 'invisible_character'
  | 'bad_character'
  | 'reserved_name'
  | 'short_name'
  | 'trailing_dot_or_space'
  | 'segment_too_long';

export interface SegmentProblem {
  rule: SegmentRule;
  message: string;
}

/** ext4, APFS and NTFS all stop at 255 (bytes or UTF-16 units; bytes is the stricter). */
export const MAX_SEGMENT_BYTES = 255;

/**
 * Format characters (Unicode category Cf) are invisible. HFS+ ignores the ones git lists in
 * utf8.c `next_hfs_char` (U+200C–200F, U+202A–202E, U+206A–206F, U+FEFF), so `.g\u200Cit` is
 * `.git` on a Mac; Cf holds every one of them, and the bidirectional overrides of "Trojan
 * Source" besides.
 */
const INVISIBLE = /\p{Cf}/u;
/** C0 and C1 controls, DEL, and the Unicode line and paragraph separators. */
const CONTROL = /[\p{Cc}\p{Zl}\p{Zp}]/u;
/** What Windows refuses in a name (the `/` and `\` separators are judged on the whole path). */
const WINDOWS_FORBIDDEN = /[<>:"|?*]/;
/**
 * Windows device names, also with any extension (`nul.tar.gz`): the superscript digits count
 * as digits there (COM¹), and the console has two more names.
 */
const RESERVED = /^(con|prn|aux|nul|conin\$|conout\$|com[0-9¹²³]|lpt[0-9¹²³])$/i;
/** An NTFS 8.3 short name, `PROGRA~1`: it may alias another file of the same folder. */
const SHORT_NAME = /^[^~]{0,6}~[0-9]+$/;

/** Git's dotfiles that change how git itself reads the tree, besides `.gitmodules`. */
const GIT_DOTFILES = ['.gitattributes', '.gitignore', '.mailmap'];

/**
 * A segment as NTFS and HFS+ resolve it, for comparison with git's names: invisible characters
 * dropped (HFS+), lower case, an alternate data stream (`name:stream`) cut off, and trailing dots
 * and spaces dropped (NTFS).
 */
export function resolvedName(segment: string): string {
  const visible = segment.replace(/\p{Cf}/gu, '').toLowerCase();
  const colon = visible.indexOf(':');
  return (colon === -1 ? visible : visible.slice(0, colon)).replace(/[. ]+$/, '');
}

function codePoint(char: string): string {
  return `U+${char.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}`;
}

/**
 * The git names a segment stands for, in git's order of concern: `.git` itself (and `git~N`,
 * its NTFS short name), `.gitmodules`, then a misspelt git dotfile that some file system would
 * still read as the real one (`.GITIGNORE`, `.gitattributes.`).
 */
export function gitNameProblem(segment: string): SegmentProblem | undefined {
  const name = resolvedName(segment);
  if (name === '.git' || /^git~[0-9]+$/.test(name)) {
    return {
      rule: 'git_dir',
      message: `"${segment}" is .git, or a name Windows or macOS read as .git; no agent may write there`,
    };
  }
  if (name === '.gitmodules') {
    return {
      rule: 'gitmodules',
      message: `"${segment}" is .gitmodules (or reads as it); submodule URLs are not an agent's to set`,
    };
  }
  const dotfile = GIT_DOTFILES.find((candidate) => candidate === name);
  if (dotfile !== undefined && segment !== dotfile) {
    return {
      rule: 'git_file_lookalike',
      message: `"${segment}" is read as ${dotfile} by some file systems but not by others; spell it exactly "${dotfile}"`,
    };
  }
  return undefined;
}

/**
 * Whether Windows and macOS can hold a segment as it is: no control or invisible characters, none
 * of `< > : " | ? *`, no device name, no 8.3 short name, no trailing dot or space, at most 255
 * bytes. The empty, `.` and `..` segments are the caller's to refuse.
 */
export function segmentNameProblem(segment: string): SegmentProblem | undefined {
  const control = CONTROL.exec(segment);
  if (control) {
    return {
      rule: 'control_character',
      message: `"${JSON.stringify(segment).slice(1, -1)}" holds the control character ${codePoint(control[0])}; names are one line of printable text`,
    };
  }
  const invisible = INVISIBLE.exec(segment);
  if (invisible) {
    return {
      rule: 'invisible_character',
      message: `"${segment}" holds the invisible character ${codePoint(invisible[0])}, which macOS drops from names; remove it`,
    };
  }
  const forbidden = WINDOWS_FORBIDDEN.exec(segment);
  if (forbidden) {
    return {
      rule: 'bad_character',
      message: `"${segment}" holds "${forbidden[0]}", which Windows refuses in a name (< > : " | ? *); choose another character`,
    };
  }
  const base = segment.split('.')[0]!.replace(/ +$/, '');
  if (RESERVED.test(base)) {
    return {
      rule: 'reserved_name',
      message: `"${segment}" is the Windows device name ${base.toUpperCase()}, with any extension; choose another name`,
    };
  }
  if (SHORT_NAME.test(base)) {
    return {
      rule: 'short_name',
      message: `"${segment}" has the form of an NTFS short name (NAME~1), which can stand for another file; choose another name`,
    };
  }
  if (/[. ]$/.test(segment)) {
    return {
      rule: 'trailing_dot_or_space',
      message: `"${segment}" ends in a dot or a space, which Windows drops; remove it`,
    };
  }
  const bytes = utf8Length(segment);
  if (bytes > MAX_SEGMENT_BYTES) {
    return {
      rule: 'segment_too_long',
      message: `a name of ${bytes} bytes; file systems hold at most ${MAX_SEGMENT_BYTES} (UTF-8) per name`,
    };
  }
  return undefined;
}

/** The length of a string in UTF-8 bytes. */
export function utf8Length(text: string): number {
  return new TextEncoder().encode(text).length;
}
