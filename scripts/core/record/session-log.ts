/** What an agent did in one iteration, as the run record keeps it: bounded, redacted, and readable as a log. */
import { z } from 'zod';
import { findCredentials } from '../security/credential-patterns.ts';
import { singleLine } from '../security/sanitize.ts';
import { REDACTED } from '../security/secret-values.ts';

/**
 * How much of a session a record keeps. A model may call a tool thousands of times with
 * megabytes of arguments; the record holds the first and the last entries, a short view of each
 * call's arguments and of why a call was refused, and counts the rest.
 */
export const SESSION_BOUNDS = {
  /** Entries (turns and calls) kept from the start and from the end of the session. */
  headEntries: 30,
  tailEntries: 30,
  /** Characters of a call's arguments kept. */
  argsChars: 300,
  /** Characters of the reason a call was refused. */
  reasonChars: 200,
  /** Characters of a tool's name (a model may invent any name). */
  toolChars: 100,
  /**
   * Characters of the arguments looked at for secrets before they are cut: far more than is
   * kept, so a secret that starts inside the kept part is always seen whole.
   */
  argsWindow: 4096,
} as const;

/** The characters a cut text may grow by: the ellipsis, and a redaction marker cut in two. */
const SLACK = REDACTED.length + 1;

/** One model answer in the session, with what it cost in tokens. */
const TurnEntrySchema = z.strictObject({
  kind: z.literal('turn'),
  turn: z.int().positive(),
  input: z.int().nonnegative(),
  output: z.int().nonnegative(),
});

/** One tool call: its name, a short view of its arguments, the size of its result, and any refusal. */
const CallEntrySchema = z.strictObject({
  kind: z.literal('call'),
  tool: z.string().max(SESSION_BOUNDS.toolChars),
  /** The arguments as the model sent them, on one line, redacted and cut to `argsChars`. */
  args: z.string().max(SESSION_BOUNDS.argsChars + SLACK),
  /** The length of the whole arguments, in characters. */
  args_chars: z.int().nonnegative(),
  /** Bytes of the result the model read back. */
  result_bytes: z.int().nonnegative(),
  /** The rule that refused the call and why, so the model could correct itself. */
  refused: z
    .strictObject({
      rule: z.string().max(SESSION_BOUNDS.toolChars),
      reason: z.string().max(SESSION_BOUNDS.reasonChars + SLACK),
    })
    .optional(),
});

/** The entries left out between the first and the last ones kept. */
const MoreEntrySchema = z.strictObject({
  kind: z.literal('more'),
  turns: z.int().nonnegative(),
  calls: z.int().nonnegative(),
});

export const SessionEntrySchema = z.discriminatedUnion('kind', [
  TurnEntrySchema,
  CallEntrySchema,
  MoreEntrySchema,
]);

/**
 * How a session ended: `finish` was called, a turn answered with whole files, a reviewer answered
 * with its verdict, or a limit stopped it.
 */
export const SESSION_ENDS = ['finish', 'proposal', 'verdict', 'stopped'] as const;

/** A coder's or reviewer's tool session in one iteration, as an attempt of the run record keeps it. */
export const SessionSchema = z.strictObject({
  /** Model answers in the iteration, all of them. */
  turns: z.int().nonnegative(),
  /** Tool calls in the iteration, all of them. */
  calls: z.int().nonnegative(),
  ended: z.enum(SESSION_ENDS),
  /** The session in order; past the bounds, one `more` entry stands for the middle. */
  entries: z.array(SessionEntrySchema).max(SESSION_BOUNDS.headEntries + SESSION_BOUNDS.tailEntries + 1),
});

export type SessionEntry = z.infer<typeof SessionEntrySchema>;
export type Session = z.infer<typeof SessionSchema>;

/** One call as the agent loop saw it, before it is bounded. */
export interface SessionCallInput {
  /** The model answer (1-based) that asked for the call. */
  turn: number;
  name: string;
  /** The arguments' text; only the first `argsWindow` characters are ever looked at. */
  args: string;
  /** The length of the whole arguments. */
  argsChars: number;
  resultBytes: number;
  /** The rule that refused the call. */
  refused?: string;
  /** The refusal's text, as the model read it. */
  reason?: string;
}

/** Everything the loop knew of a session: the tokens of each answer, each call, how it ended. */
export interface SessionInput {
  turnTokens: readonly { input: number; output: number }[];
  calls: readonly SessionCallInput[];
  ended: Session['ended'];
}

/**
 * `text` safe to store and short: the run's secrets replaced (`redact`), cut where anything that
 * looks like a credential starts, on one line, at most `max` characters. Redacted before it is
 * cut, so a cut can never leave the first half of a secret behind.
 */
export function storableText(text: string, max: number, redact: (text: string) => string): string {
  const clean = redact(text.slice(0, SESSION_BOUNDS.argsWindow));
  const credential = findCredentials(clean)[0];
  const kept = credential ? `${clean.slice(0, credential.start)}${REDACTED}` : clean;
  return singleLine(kept, max);
}

/** A refusal's reason without the "refused (rule): " the model read before it. */
function reasonOf(call: SessionCallInput): string {
  const text = call.reason ?? '';
  const prefix = `refused (${call.refused}): `;
  return text.startsWith(prefix) ? text.slice(prefix.length) : text;
}

function callEntry(call: SessionCallInput, redact: (text: string) => string): SessionEntry {
  return {
    kind: 'call',
    tool: storableText(call.name, SESSION_BOUNDS.toolChars, redact),
    args: storableText(call.args, SESSION_BOUNDS.argsChars, redact),
    args_chars: call.argsChars,
    result_bytes: call.resultBytes,
    ...(call.refused === undefined
      ? {}
      : {
          refused: {
            rule: storableText(call.refused, SESSION_BOUNDS.toolChars, redact),
            reason: storableText(reasonOf(call), SESSION_BOUNDS.reasonChars, redact),
          },
        }),
  };
}

/**
 * The session a run record keeps of one loop: each answer's tokens followed by the calls it
 * asked for, in order; the first `headEntries` and last `tailEntries` of them, and one `more`
 * entry counting what lies between. Every text is redacted with `redact` (the run's secrets)
 * and cut where a credential starts. Only the kept entries are built, so a loop of a million
 * calls costs no more to record than one of sixty.
 */
export function sessionOf(input: SessionInput, redact: (text: string) => string): Session {
  type Raw = { turn: number; tokens: { input: number; output: number } } | { call: SessionCallInput };
  const raw: Raw[] = [];
  let next = 0;
  for (const [index, tokens] of input.turnTokens.entries()) {
    const turn = index + 1;
    raw.push({ turn, tokens });
    while (next < input.calls.length && input.calls[next]!.turn === turn) {
      raw.push({ call: input.calls[next]! });
      next += 1;
    }
  }
  // Calls of a turn the tokens do not know (never in a loop's own output) still count.
  for (; next < input.calls.length; next += 1) raw.push({ call: input.calls[next]! });
  const { headEntries, tailEntries } = SESSION_BOUNDS;
  const build = (item: Raw): SessionEntry =>
    'call' in item
      ? callEntry(item.call, redact)
      : { kind: 'turn', turn: item.turn, input: item.tokens.input, output: item.tokens.output };
  let entries: SessionEntry[];
  if (raw.length <= headEntries + tailEntries) entries = raw.map(build);
  else {
    const middle = raw.slice(headEntries, raw.length - tailEntries);
    const calls = middle.filter((item) => 'call' in item).length;
    entries = [
      ...raw.slice(0, headEntries).map(build),
      { kind: 'more', turns: middle.length - calls, calls },
      ...raw.slice(raw.length - tailEntries).map(build),
    ];
  }
  return { turns: input.turnTokens.length, calls: input.calls.length, ended: input.ended, entries };
}

const count = (n: number, noun: string) => `${n.toLocaleString('en')} ${noun}${n === 1 ? '' : 's'}`;

/** One line of the readable log; `refused` marks a call a rule refused. */
export interface SessionLine {
  kind: SessionEntry['kind'] | 'end';
  text: string;
  refused?: true;
}

const ENDINGS: Record<Session['ended'], string> = {
  finish: 'the agent called finish',
  proposal: 'the agent answered with whole files instead of tools',
  verdict: 'the reviewer answered with its verdict',
  stopped: 'a limit stopped the session; its edits were dropped',
};

/** A session in a few words: "4 turns, 5 tool calls". */
export function sessionSize(session: Session): string {
  return `${count(session.turns, 'turn')}, ${count(session.calls, 'tool call')}`;
}

/** One entry of a session as one line of its log. */
function entryLine(entry: SessionEntry): SessionLine {
  switch (entry.kind) {
    case 'turn':
      return {
        kind: 'turn',
        text: `turn ${entry.turn}: ${entry.input.toLocaleString('en')} tokens in, ${entry.output.toLocaleString('en')} out`,
      };
    case 'call': {
      const cut =
        entry.args_chars > SESSION_BOUNDS.argsChars ? ` (${count(entry.args_chars, 'character')})` : '';
      const call = `${entry.tool} ${entry.args}${cut}`;
      return entry.refused
        ? {
            kind: 'call',
            text: `${call} → refused (${entry.refused.rule}): ${entry.refused.reason}`,
            refused: true,
          }
        : { kind: 'call', text: `${call} → ${count(entry.result_bytes, 'byte')}` };
    }
    case 'more': {
      const parts = [
        entry.calls > 0 ? count(entry.calls, 'more call') : '',
        entry.turns > 0 ? count(entry.turns, 'more turn') : '',
      ];
      return { kind: 'more', text: `… ${parts.filter(Boolean).join(' and ')}, not kept in the record` };
    }
  }
}

/**
 * The session as a readable log, one line per entry, for `aifactory show` and the dashboard's
 * task page: each turn with its tokens, each call with its arguments and what came back, the
 * calls left out, and how it ended.
 */
export function sessionLines(session: Session): SessionLine[] {
  return [
    ...session.entries.map(entryLine),
    {
      kind: 'end',
      text: `${ENDINGS[session.ended]} (${sessionSize(session)})`,
    },
  ];
}
