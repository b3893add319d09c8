// The dashboard's one colour table: each task state, agent state, result and series, light and dark. Pure.
import type { TaskState } from '../task/task-state.ts';
import type { AgentState } from './agent-status.ts';

/**
 * The dashboard's one colour table. Every badge, chart series and legend takes a state's colour
 * from here, so a state looks the same everywhere; the site declares no colour of its own for a
 * state. Each colour has a light and a dark variant (for `prefers-color-scheme`), both readable
 * as text on the site's panels.
 */
export interface Colour {
  light: string;
  dark: string;
}

export const TASK_STATE_COLORS: Readonly<Record<TaskState, Colour>> = {
  pending: { light: '#5f6775', dark: '#a3abb9' },
  running: { light: '#1d5fd6', dark: '#7fa8ff' },
  proposed: { light: '#4b44c9', dark: '#aaa6ff' },
  reviewing: { light: '#7a35d8', dark: '#c9a6ff' },
  changes_requested: { light: '#9a5b00', dark: '#f0b35a' },
  approved: { light: '#0b7469', dark: '#4fd1c2' },
  needs_human: { light: '#b8430c', dark: '#ff9a5c' },
  merged: { light: '#177a3c', dark: '#4cc47f' },
  failed: { light: '#c02626', dark: '#ff7a72' },
  rejected: { light: '#a3195b', dark: '#f77fbe' },
  blocked: { light: '#6e5a12', dark: '#d9c26a' },
};

/** Agent states borrow the colour of the task state they mean: working is running, and so on. */
export const AGENT_STATE_TONES: Readonly<Record<AgentState, TaskState>> = {
  working: 'running',
  idle: 'pending',
  rate_limited: 'changes_requested',
  budget_paused: 'needs_human',
  key_missing: 'blocked',
  key_refused: 'rejected',
  erroring: 'failed',
};

/** Attempt results and CI outcomes, by the task state whose colour they take. */
export const RESULT_TONES: Readonly<Record<string, TaskState>> = {
  passed: 'merged',
  success: 'merged',
  approved: 'approved',
  proposed: 'proposed',
  failed: 'failed',
  failure: 'failed',
  error: 'failed',
  rejected: 'rejected',
  cancelled: 'blocked',
  skipped: 'pending',
  conflict: 'changes_requested',
  head_moved: 'changes_requested',
  closed: 'failed',
  branch_gone: 'failed',
  queued: 'pending',
  in_progress: 'running',
};

/** Chart series that are no state: commits on the default branch, and money. */
export const SERIES_COLORS: Readonly<Record<'commits' | 'cost', Colour>> = {
  commits: { light: '#0a6f8a', dark: '#5fd0ee' },
  cost: { light: '#3559e0', dark: '#8ea6ff' },
};

/** The colour of a task state, an agent state, a result or a series name; grey when unknown. */
export function colourOf(name: string): Colour {
  const tone =
    (TASK_STATE_COLORS as Record<string, Colour>)[name] ?? (SERIES_COLORS as Record<string, Colour>)[name];
  if (tone) return tone;
  const state = (AGENT_STATE_TONES as Record<string, TaskState>)[name] ?? RESULT_TONES[name] ?? 'pending';
  return TASK_STATE_COLORS[state];
}

/** CSS giving each `.state-<name>` badge its colour, light and dark, from the table. */
export function stateCss(): string {
  const names = [
    ...Object.keys(TASK_STATE_COLORS),
    ...Object.keys(AGENT_STATE_TONES),
    ...Object.keys(RESULT_TONES),
  ].filter((name, index, all) => all.indexOf(name) === index);
  const rules = (variant: keyof Colour) =>
    names.map((name) => `.state-${name}{--state-colour:${colourOf(name)[variant]}}`).join('');
  return `${rules('light')}@media (prefers-color-scheme: dark){${rules('dark')}}`;
}
