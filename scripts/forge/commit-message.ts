// Commit messages and the factory's committer identity, shared by both forges.
import type { Author } from './types.ts';

/** Who commits for the factory (agents are the authors). */
export const FACTORY_COMMITTER: Author = { name: 'AI Factory OS', email: 'factory@aifactory.invalid' };

/** A commit message with `trailers` appended as git trailers (one line each, whitespace folded). */
export function withTrailers(message: string, trailers: Record<string, string>): string {
  const lines = Object.entries(trailers).map(([key, value]) => `${key}: ${value.replace(/\s+/g, ' ')}`);
  return lines.length > 0 ? `${message.trim()}\n\n${lines.join('\n')}\n` : `${message.trim()}\n`;
}
