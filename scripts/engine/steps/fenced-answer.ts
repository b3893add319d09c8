// A fenced-block answer turned into file changes: search/replace blocks applied, lossy whole files refused.
import type { ProposedEdit, ProposedFile } from '../../core/protocol/proposal.ts';
import { checkPathShape } from '../../core/protocol/protocol.ts';
import { applyReplacements } from '../../core/protocol/search-replace.ts';
import type { FileChange } from '../../forge/types.ts';
import { wholeFileLoss } from '../tools/write-tools.ts';

/** Reads files where the iteration starts from; undefined for a file that does not exist. */
export type ReadFiles = (paths: readonly string[]) => Promise<ReadonlyMap<string, string | undefined>>;

/**
 * The changes a fenced-block answer makes, or why it cannot be used: the answer then goes back to
 * the coder, and nothing of it is applied. Search/replace blocks are applied to the file's current
 * content; a file that does not exist, or a SEARCH text that occurs nowhere or more than once,
 * refuses the answer. A whole file that would lose part of the file it replaces (`wholeFileLoss`)
 * is kept with the changes but named in `lossy`: the caller vets the changes first, so a write the
 * protocol forbids is rejected by its rule, and only then sends a lossy answer back. An edited file
 * that gained an elision marker refuses the answer. Paths of a shape the
 * protocol refuses are never read: whole files keep them for the vetting, which rejects them by
 * its rule; an edit of one cannot be applied and is refused here.
 */
export async function fencedChanges(
  proposal: { files: readonly ProposedFile[]; edits: readonly ProposedEdit[] },
  read: ReadFiles,
): Promise<{ changes: FileChange[]; lossy?: string } | { error: string }> {
  for (const edit of proposal.edits) {
    const bad = checkPathShape(edit.path);
    if (bad)
      return { error: `the SEARCH/REPLACE block for "${bad.path}" is refused (${bad.rule}): ${bad.message}` };
  }
  const readable = [...proposal.files, ...proposal.edits]
    .map((entry) => entry.path)
    .filter((path) => checkPathShape(path) === undefined);
  const current = await read(readable);
  const changes: FileChange[] = [];
  let lossy: string | undefined;
  for (const file of proposal.files) {
    const before = current.get(file.path);
    const loss = before === undefined ? undefined : wholeFileLoss(file.path, { text: before }, file.content);
    if (loss) {
      lossy ??= `refused (${loss.rule}): ${loss.message}; write the file whole, or change part of it with SEARCH/REPLACE sections`;
    }
    changes.push({ path: file.path, content: file.content });
  }
  for (const edit of proposal.edits) {
    const before = current.get(edit.path);
    if (before === undefined) {
      return {
        error: `"${edit.path}" does not exist, so a SEARCH/REPLACE block cannot edit it; write a new file whole`,
      };
    }
    const applied = applyReplacements(before, edit.replacements);
    if (!applied.ok) return { error: `the SEARCH/REPLACE block for "${edit.path}": ${applied.reason}` };
    // Quoting what it deletes, an edit may shrink a file at will; a marker it adds still loses code.
    const loss = wholeFileLoss(edit.path, { text: before }, applied.content);
    if (loss?.rule === 'elision_marker') {
      return { error: `refused (${loss.rule}): ${loss.message}; quote and replace the lines themselves` };
    }
    changes.push({ path: edit.path, content: applied.content });
  }
  return lossy === undefined ? { changes } : { changes, lossy };
}
