// A review's body on GitHub: its text, the hidden marker a rerun finds it by, and GitHub's refusal texts.
import type { PostedReview } from '../types.ts';

/**
 * The hidden marker that makes a review findable again: GitHub keeps no field for our iteration,
 * so each review body ends with one HTML comment (invisible when rendered).
 */
const MARKER = /<!-- aifactory:review (\{.*?\}) -->/s;

/**
 * The review's body, with the comments that cannot be line comments, and the marker; `sign`
 * adds the factory's signature of the marker's data (trust.ts), so a copy with other data fails.
 */
export function reviewBody(
  review: PostedReview,
  inBody: readonly PostedReview['comments'][number][],
  sign: (content: string) => string | undefined = () => undefined,
): string {
  const lines = [
    review.summary.trim() || (review.verdict === 'approve' ? 'Approved.' : 'Changes requested.'),
  ];
  if (inBody.length > 0) {
    lines.push('', ...inBody.map((c) => `- \`${c.path}\`${c.line ? ` line ${c.line}` : ''}: ${c.body}`));
  }
  const data = {
    agent: review.agent,
    verdict: review.verdict,
    commit: review.commit,
    iteration: review.iteration,
    summary: review.summary,
    comments: review.comments,
  };
  const sig = sign(JSON.stringify(data));
  // `--` cannot appear inside an HTML comment; JSON escapes keep it out.
  const json = JSON.stringify(sig ? { ...data, sig } : data)
    .replace(/--/g, '-\\u002d')
    .replace(/>/g, '\\u003e');
  lines.push('', `<!-- aifactory:review ${json} -->`);
  return lines.join('\n');
}

/** The review a body's marker records, or undefined when the body has none or it is damaged. */
export function parseReviewBody(body: string | null | undefined): PostedReview | undefined {
  return markedReview(body)?.review;
}

/**
 * A body's marker: the review it records, the data its signature covers, and the signature
 * (undefined when unsigned). Undefined when the body has no marker or it is damaged.
 */
export function markedReview(
  body: string | null | undefined,
): { review: PostedReview; content: string; signature: string | undefined } | undefined {
  const match = MARKER.exec(body ?? '');
  if (!match?.[1]) return undefined;
  try {
    const { sig, ...data } = JSON.parse(match[1]) as PostedReview & { sig?: unknown };
    if (typeof data.commit !== 'string' || typeof data.iteration !== 'number') return undefined;
    if (data.verdict !== 'approve' && data.verdict !== 'request_changes') return undefined;
    return {
      review: {
        agent: String(data.agent),
        verdict: data.verdict,
        summary: String(data.summary ?? ''),
        comments: Array.isArray(data.comments) ? data.comments : [],
        commit: data.commit,
        iteration: data.iteration,
      },
      content: JSON.stringify(data),
      signature: typeof sig === 'string' ? sig : undefined,
    };
  } catch {
    return undefined;
  }
}

/** 422 texts meaning this identity may not approve or request changes: post a COMMENT and a status instead. */
export const CANNOT_JUDGE =
  /Can not approve your own pull request|Can not request changes on your own pull request|not permitted to approve pull requests/i;
/** 422 text of a line comment outside the diff (The-PR-Agent/pr-agent#592). */
export const LINE_OUTSIDE_DIFF =
  /line must be part of the diff|pull_request_review_thread\.line|could not be resolved/i;
/** The commit status that carries the verdict when the review itself cannot. */
export const REVIEW_STATUS_CONTEXT = 'aifactory/review';
