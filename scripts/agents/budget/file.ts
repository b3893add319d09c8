// The budget files, `shared/budget/<YYYY-MM-DD>.json`: one UTC day of spend, its schema, parser and writer.
import { z } from 'zod';

/** An amount of money in a budget file: finite and never negative. */
const Usd = z.number().nonnegative();

/** `shared/budget/<YYYY-MM-DD>.json`: one UTC day of spend. */
export const DayFileSchema = z.strictObject({
  version: z.literal(1),
  day: z.iso.date(),
  total_usd: Usd,
  calls: z.int().nonnegative(),
  by_agent: z.record(z.string(), Usd),
  by_task: z.record(z.string(), Usd),
  by_model: z.record(z.string(), Usd),
});
export type DayFile = z.infer<typeof DayFileSchema>;

/**
 * One day of spend in memory. The tables are Maps: a task or an agent called `constructor` or
 * `toString` is a key like any other, never a property of Object.
 */
export interface Day {
  day: string;
  total: number;
  calls: number;
  byAgent: Map<string, number>;
  byTask: Map<string, number>;
  byModel: Map<string, number>;
}

export const BUDGET_FILE_NAME = /^\d{4}-\d{2}-\d{2}\.json$/;

export const emptyDay = (day: string): Day => ({
  day,
  total: 0,
  calls: 0,
  byAgent: new Map(),
  byTask: new Map(),
  byModel: new Map(),
});

const sum = (table: Map<string, number>): number => [...table.values()].reduce((a, b) => a + b, 0);

/**
 * Reads one budget file. Anything the factory would not have written — not JSON, a field too many,
 * a negative or non-finite amount, a `day` that is not its file name, tables that do not add up to
 * the total — is a problem, returned as a sentence rather than thrown, so the caller skips the file
 * and the factory goes on.
 */
export function parseDayFile(name: string, text: string): { day: Day } | { problem: string } {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { problem: 'it is not valid JSON' };
  }
  const parsed = DayFileSchema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    return { problem: `field "${issue.path.join('.') || '(root)'}": ${issue.message}` };
  }
  const file = parsed.data;
  if (`${file.day}.json` !== name) return { problem: `its day "${file.day}" is not its file name` };
  // zod passes over a "__proto__" key without looking at it; the tables are read from the file
  // itself, so such a key is an entry like any other and its amount is checked too.
  const raw = value as Record<'by_agent' | 'by_task' | 'by_model', Record<string, unknown>>;
  const tables = { by_agent: raw.by_agent, by_task: raw.by_task, by_model: raw.by_model };
  for (const [table, entries] of Object.entries(tables)) {
    const bad = Object.entries(entries).find(([, amount]) => !Usd.safeParse(amount).success);
    if (bad) return { problem: `field "${table}.${bad[0]}": not an amount of at least 0` };
  }
  const day: Day = {
    day: file.day,
    total: file.total_usd,
    calls: file.calls,
    byAgent: new Map(Object.entries(raw.by_agent) as [string, number][]),
    byTask: new Map(Object.entries(raw.by_task) as [string, number][]),
    byModel: new Map(Object.entries(raw.by_model) as [string, number][]),
  };
  // Every recorded call adds its cost, rounded to a millionth, to the total and to each table.
  const tolerance = 1e-6 * (file.calls + 1);
  for (const [table, entries] of [
    ['by_agent', day.byAgent],
    ['by_task', day.byTask],
    ['by_model', day.byModel],
  ] as const) {
    if (Math.abs(sum(entries) - day.total) > tolerance) {
      return { problem: `its ${table} does not add up to total_usd` };
    }
  }
  return { day };
}

/** The file form of a day, for writing. */
export function dayFile(day: Day): DayFile {
  return {
    version: 1,
    day: day.day,
    total_usd: day.total,
    calls: day.calls,
    by_agent: Object.fromEntries(day.byAgent),
    by_task: Object.fromEntries(day.byTask),
    by_model: Object.fromEntries(day.byModel),
  };
}
