/** The agent loop: one iteration of a coder as a bounded conversation of tool calls, until `finish` or a limit. */
import type { AgentRequest } from '../../agents/invoke.ts';
import type { AgentLoopConfig } from '../../core/config.ts';
import type { ErrorInfo } from '../../core/errors.ts';
import type { Tokens } from '../../core/record/run-record.ts';
import { SESSION_BOUNDS, type SessionCallInput } from '../../core/record/session-log.ts';
import type { ChatMessage, ToolCall, ToolSpec } from '../../providers/types.ts';
import { type Finished, type Toolbox, type ToolName, toolDeclarations } from '../tools/tool-table.ts';
import type { AgentAnswer } from '../types.ts';

/**
 * One tool call as the loop saw it: never the result itself, only its size and outcome. The
 * caller bounds and redacts it for the run record (`sessionOf`).
 */
export interface SessionCall extends SessionCallInput {
  /** The first `argsWindow` characters of the arguments as sent. */
  args: string;
}

/** What a loop ended with. Every kind carries the answers it paid for and the calls it made. */
export type LoopOutcome = (
  | { kind: 'finished'; finished: Finished }
  /** A turn that called no tool: its text, a coder's whole-file proposal or a reviewer's verdict. */
  | { kind: 'proposal'; text: string }
  /** A limit, a loop or a cut answer ended the iteration; its edits are dropped whole. */
  | { kind: 'stopped'; error: ErrorInfo }
) & {
  answer: AgentAnswer;
  calls: SessionCall[];
  turns: number;
  /** The tokens of each model answer, in order. */
  turnTokens: Tokens[];
};

/** What one loop needs: the model call (through the call layer and the ledger), the toolbox, the prompt. */
export interface LoopInput {
  /** One model call; the engine's `callAgent` for this agent, which reserves and records its spend. */
  call: (request: AgentRequest) => Promise<AgentAnswer>;
  toolbox: Toolbox;
  system: string;
  /** The first user message of the conversation. */
  opening: string;
  context: AgentRequest['context'];
  limits: AgentLoopConfig;
  /** The tools declared to the model (default: every tool); the toolbox decides what runs. */
  tools?: readonly ToolName[];
  /**
   * Judges an answer that calls no tool: undefined takes it (the loop ends with its text), a
   * reason sends it back once as a user message saying what was wrong, for one more answer.
   */
  judge?: (text: string) => string | undefined;
  /** Whether answers are streamed (default true: a coder's answers are long). */
  stream?: boolean;
  signal?: AbortSignal;
  /** Milliseconds since some fixed point (tests move it). */
  clock?: () => number;
  /**
   * Filled as the loop goes with the answers it paid for and the calls it made, so a caller
   * still knows them when a model call throws (a budget cap reached mid-loop).
   */
  progress?: LoopProgress;
}

/** What a loop has done so far. */
export interface LoopProgress {
  answers: AgentAnswer[];
  calls: SessionCall[];
}

/** A shortened tool result: what the model reads where an old result was. */
const shortened = (bytes: number) =>
  `[an earlier tool result of ${bytes} bytes, shortened to keep the conversation within its budget; call the tool again if you need it]`;

const tokensOf = (message: ChatMessage) =>
  Math.ceil(
    (message.content.length + (message.toolCalls ? JSON.stringify(message.toolCalls).length : 0)) / 4,
  );

/**
 * Shortens the oldest tool results, before the last answer's, until the conversation's estimated
 * tokens are within `budget`. Shortened in place: the model never sees the old text again.
 */
export function compact(messages: ChatMessage[], budget: number): void {
  let total = messages.reduce((sum, message) => sum + tokensOf(message), 0);
  const lastAnswer = messages.findLastIndex((message) => message.role === 'assistant');
  for (let index = 0; index < lastAnswer && total > budget; index += 1) {
    const message = messages[index]!;
    if (message.role !== 'tool' || message.content.startsWith('[an earlier tool result')) continue;
    const before = tokensOf(message);
    const content = shortened(Buffer.byteLength(message.content));
    messages[index] = { ...message, content };
    total += tokensOf(messages[index]!) - before;
  }
}

/** The arguments of a call as one canonical text: the same call always reads the same. */
function argumentText(call: ToolCall): string {
  if (typeof call.arguments === 'string') return call.arguments;
  return JSON.stringify(call.arguments ?? {});
}

/** The tokens of each answer, in order. */
export function answerTokens(answers: readonly AgentAnswer[]): Tokens[] {
  return answers.map((answer) => ({ input: answer.usage.inputTokens, output: answer.usage.outputTokens }));
}

/** The spend of several answers as one: tokens and cost summed, the last answer's model. */
export function total(answers: readonly AgentAnswer[]): AgentAnswer {
  const last = answers.at(-1)!;
  return {
    ...last,
    usage: {
      inputTokens: answers.reduce((sum, answer) => sum + answer.usage.inputTokens, 0),
      outputTokens: answers.reduce((sum, answer) => sum + answer.usage.outputTokens, 0),
    },
    costUsd: answers.reduce((sum, answer) => sum + answer.costUsd, 0),
    latencyMs: answers.reduce((sum, answer) => sum + answer.latencyMs, 0),
  };
}

/**
 * Runs the loop: asks the model, runs the tools it calls (in order, at most
 * `max_calls_per_turn` of one answer), and sends back each result paired with its call, until the
 * model calls `finish`, answers without a tool call (its text is then judged as a whole-file
 * proposal), or a limit ends it. An answer cut by the
 * output limit is never acted on. The same call repeated `max_repeats` times with no write in
 * between is a model looping, and ends the loop.
 *
 * @throws FactoryError from the model call (`budget`, `auth`, `timeout`, …): the caller records
 *   it as today; the edits so far are dropped with it.
 */
export async function runAgentLoop(input: LoopInput): Promise<LoopOutcome> {
  const { limits, toolbox } = input;
  const clock = input.clock ?? (() => performance.now());
  const deadline = clock() + limits.deadline_seconds * 1000;
  const tools: ToolSpec[] = toolDeclarations(input.tools);
  let sentBack = false;
  const messages: ChatMessage[] = [{ role: 'user', content: input.opening }];
  const { answers, calls } = input.progress ?? { answers: [], calls: [] };
  const seen = new Map<string, number>();
  const timer = new AbortController();
  const wait = setTimeout(() => timer.abort(), Math.max(0, deadline - clock()));
  const signal = input.signal ? AbortSignal.any([input.signal, timer.signal]) : timer.signal;
  const end = (kind: 'stopped', error: ErrorInfo, turns: number): LoopOutcome => ({
    kind,
    error,
    answer: total(answers),
    calls,
    turns,
    turnTokens: answerTokens(answers),
  });
  const overDeadline = (turn: number) =>
    end(
      'stopped',
      {
        class: 'timeout',
        message: `the agent loop passed its deadline of ${limits.deadline_seconds} s (agent_loop.deadline_seconds) in turn ${turn}; the iteration's edits were dropped`,
      },
      turn,
    );
  try {
    for (let turn = 1; turn <= limits.max_turns; turn += 1) {
      if (clock() >= deadline) return overDeadline(turn);
      compact(messages, limits.conversation_tokens);
      let answer: AgentAnswer;
      try {
        answer = await input.call({
          system: input.system,
          messages: [...messages],
          tools,
          stream: input.stream ?? true,
          context: input.context,
          signal,
        });
      } catch (error) {
        if (timer.signal.aborted && !input.signal?.aborted) return overDeadline(turn);
        throw error;
      }
      answers.push(answer);
      if (answer.finishReason === 'length') {
        return end(
          'stopped',
          {
            class: 'bad_output',
            message: `turn ${turn}: the answer was cut by the output limit (finish reason "length"), so none of it was applied; the iteration's edits were dropped. Raise max_output_tokens.coder or ask for smaller steps`,
          },
          turn,
        );
      }
      const asked = answer.toolCalls ?? [];
      // A turn that calls no tool ends the loop: its text is a whole-file proposal, or, holding
      // none, goes back to the coder with what was wrong, counting an iteration (the code step).
      if (asked.length === 0) {
        const wrong = sentBack ? undefined : input.judge?.(answer.text);
        if (wrong === undefined) {
          return {
            kind: 'proposal',
            text: answer.text,
            answer: total(answers),
            calls,
            turns: turn,
            turnTokens: answerTokens(answers),
          };
        }
        sentBack = true;
        messages.push({ role: 'assistant', content: answer.text }, { role: 'user', content: wrong });
        continue;
      }
      messages.push({ role: 'assistant', content: answer.text, toolCalls: asked });
      for (const [index, call] of asked.entries()) {
        const args = argumentText(call);
        const key = `${call.name}\u0000${args}`;
        const repeats = (seen.get(key) ?? 0) + 1;
        seen.set(key, repeats);
        if (repeats >= limits.max_repeats) {
          return end(
            'stopped',
            {
              class: 'bad_output',
              message: `turn ${turn}: the model called ${call.name.slice(0, 100)} with the same arguments ${repeats} times with no edit in between (agent_loop.max_repeats); it is looping, so the iteration's edits were dropped`,
            },
            turn,
          );
        }
        const result =
          index < limits.max_calls_per_turn
            ? await toolbox.callTool(call.name, call.arguments)
            : {
                ok: false as const,
                rule: 'too_many_calls',
                text: `refused (too_many_calls): one answer runs at most ${limits.max_calls_per_turn} tool calls (agent_loop.max_calls_per_turn); this one was not run, call it again`,
              };
        if (result.ok && /^(edit_file|write_file|delete_file)$/.test(call.name)) seen.clear();
        const content = result.text;
        messages.push({ role: 'tool', toolCallId: call.id, toolName: call.name, content });
        calls.push({
          turn,
          name: call.name.slice(0, SESSION_BOUNDS.argsWindow),
          args: args.slice(0, SESSION_BOUNDS.argsWindow),
          argsChars: args.length,
          resultBytes: Buffer.byteLength(content),
          ...(result.ok ? {} : { refused: result.rule, reason: content.slice(0, SESSION_BOUNDS.argsWindow) }),
        });
        if (clock() >= deadline) return overDeadline(turn);
      }
      const finished = toolbox.finished;
      if (finished) {
        return {
          kind: 'finished',
          finished,
          answer: total(answers),
          calls,
          turns: turn,
          turnTokens: answerTokens(answers),
        };
      }
    }
  } finally {
    clearTimeout(wait);
  }
  return end(
    'stopped',
    {
      class: 'bad_output',
      message: `the model did not call finish within ${limits.max_turns} turns (agent_loop.max_turns); the iteration's edits were dropped`,
    },
    limits.max_turns,
  );
}
