import { z } from 'zod';

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

export type ReviewComment = z.infer<typeof ReviewCommentSchema>;
export type Verdict = z.infer<typeof VerdictSchema>;
