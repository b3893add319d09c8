// The reviewer's verdict: its schema, the bounds on its text, and a strict parser of the JSON answer. Pure.
import { z } from 'zod';
import { formatJsonPath, parseJsonDocument } from '../json-source.ts';

/** The reviewer's answer (DESIGN.md, "Review verdict"). */
export const ReviewCommentSchema = z.strictObject({
  path: z.string().min(1),
  line: z.int().positive().optional(),
  body: z.string().min(1),
});

export const VerdictSchema = z.strictObject({
  verdict: z.enum(['approve', 'request_changes']),
  summary: z.string(),
  comments: z.array(ReviewCommentSchema),
});

export type Verdict = z.infer<typeof VerdictSchema>;

/** Bounds on what a verdict may carry into records, pull requests and prompts. */
export const VERDICT_LIMITS = {
  summaryChars: 4000,
  comments: 30,
  commentChars: 2000,
  pathChars: 300,
} as const;

function bounded(text: string, limit: number): string {
  return text.length > limit ? `${text.slice(0, limit - 1)}…` : text;
}

/** The verdict cut to VERDICT_LIMITS, so no answer can flood a record, a pull request or a prompt. */
export function boundVerdict(verdict: Verdict): Verdict {
  return {
    verdict: verdict.verdict,
    summary: bounded(verdict.summary, VERDICT_LIMITS.summaryChars),
    comments: verdict.comments.slice(0, VERDICT_LIMITS.comments).map((comment) => ({
      path: bounded(comment.path, VERDICT_LIMITS.pathChars),
      ...(comment.line !== undefined ? { line: comment.line } : {}),
      body: bounded(comment.body, VERDICT_LIMITS.commentChars),
    })),
  };
}

/**
 * Reads a reviewer's raw answer as a verdict: strict JSON (an optional ```json fence around it),
 * no key given twice at any depth — `{"verdict":"request_changes", …, "verdict":"approve"}` means
 * different things to different parsers — the schema, then the bounds.
 */
export function parseVerdict(text: string): { ok: true; verdict: Verdict } | { ok: false; reason: string } {
  const body = text
    .trim()
    .replace(/^```(?:json)?\s*\n?/, '')
    .replace(/\n?```$/, '');
  const doc = parseJsonDocument(body);
  if (!('value' in doc)) return { ok: false, reason: doc.message };
  const [duplicate] = doc.duplicateKeys;
  if (duplicate) {
    return { ok: false, reason: `the key "${formatJsonPath(duplicate.path)}" is given twice` };
  }
  const parsed = VerdictSchema.safeParse(doc.value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    return { ok: false, reason: `field "${formatJsonPath(issue.path)}": ${issue.message}` };
  }
  return { ok: true, verdict: boundVerdict(parsed.data) };
}
