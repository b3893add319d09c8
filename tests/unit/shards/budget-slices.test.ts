import { cp, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { emptyDay, parseDayFile } from '../../../scripts/agents/budget/file.ts';
import { BudgetLedger } from '../../../scripts/agents/budget/ledger.ts';
import { mergeDays } from '../../../scripts/agents/budget/merge.ts';
import { defineAgent } from '../../../scripts/agents/define-agent.ts';
import { ConfigSchema } from '../../../scripts/core/config.ts';

const DAY = '2026-11-25';
const now = () => new Date(`${DAY}T12:00:00Z`);
const roots: string[] = [];
afterEach(async () => {
  for (const root of roots.splice(0)) await rm(root, { recursive: true, force: true });
});
async function tempRoot(): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), 'aifactory-slices-'));
  roots.push(root);
  return root;
}

const agent = defineAgent({ name: 'writer', role: 'coder', provider: 'openai', model: 'm' });
// $1 per million input tokens, $100 per million output tokens: a 1,000-token prompt and a
// 1,024-token answer cost about $0.1034.
const config = ConfigSchema.parse({
  prices: { 'openai:m': { input_per_mtok: 1, output_per_mtok: 100 } },
  caps: { daily_usd: 2, per_agent_daily_usd: 1.5 },
});

/** Calls until the ledger refuses one; every call spends all it reserved. */
async function spendUntilRefused(ledger: BudgetLedger, shard: number): Promise<number> {
  let calls = 0;
  for (;;) {
    let reservation: ReturnType<BudgetLedger['reserve']>;
    try {
      reservation = ledger.reserve({
        agent,
        taskId: `s${shard}-t${calls}`,
        provider: 'openai',
        model: 'm',
        inputTokens: 1000,
        ceiling: 1024,
      });
    } catch {
      return calls;
    }
    await ledger.record({
      agent: agent.name,
      taskId: `s${shard}-t${calls}`,
      provider: 'openai',
      model: 'm',
      tokens: { input: 1000, output: reservation.maxOutputTokens },
      reservation,
    });
    calls += 1;
  }
}

describe('the daily caps across shards', () => {
  it('gives each of n shards 1/n of what is left of the day, so together they never pass a cap', async () => {
    // The day already has $0.5 spent when the shards start.
    const base = await tempRoot();
    const opening = await BudgetLedger.open(base, { config, now });
    const before = opening.reserve({
      agent,
      taskId: 'earlier',
      provider: 'openai',
      model: 'm',
      inputTokens: 1000,
      ceiling: 1024,
    });
    await opening.record({
      agent: 'writer',
      taskId: 'earlier',
      provider: 'openai',
      model: 'm',
      tokens: { input: 0, output: 5000 },
      reservation: before,
    });
    expect(opening.spentToday()).toBe(0.5);

    const shards = 3;
    const spent: number[] = [];
    const days = [];
    for (let shard = 1; shard <= shards; shard += 1) {
      const root = await tempRoot();
      await cp(join(base, 'shared'), join(root, 'shared'), { recursive: true });
      const ledger = await BudgetLedger.open(root, { config, now, shards });
      expect(await spendUntilRefused(ledger, shard)).toBeGreaterThan(0);
      spent.push(ledger.spentToday() - 0.5);
      const read = parseDayFile(
        `${DAY}.json`,
        await readFile(join(root, 'shared/budget', `${DAY}.json`), 'utf8'),
      );
      if (!('day' in read)) throw new Error(read.problem);
      days.push(read.day);
    }
    // The tightest cap is the agent's $1.5: each shard gets a third of the $1 left of it.
    for (const amount of spent) expect(amount).toBeLessThanOrEqual(1 / 3 + 1e-9);
    const baseRead = parseDayFile(
      `${DAY}.json`,
      await readFile(join(base, 'shared/budget', `${DAY}.json`), 'utf8'),
    );
    if (!('day' in baseRead)) throw new Error(baseRead.problem);
    const merged = mergeDays(DAY, baseRead.day, days);
    expect(merged.total).toBeLessThanOrEqual(1.5);
    expect(merged.byAgent.get('writer')).toBe(merged.total);
    expect(merged.total).toBeCloseTo(0.5 + spent.reduce((a, b) => a + b, 0), 6);
    // One unsharded ledger over the merged day has nothing left under the agent's cap.
    expect(merged.byTask.get('earlier')).toBe(0.5);
  });

  it('without shards the ledger sees the whole cap', async () => {
    const root = await tempRoot();
    const ledger = await BudgetLedger.open(root, { config, now });
    await spendUntilRefused(ledger, 1);
    expect(ledger.spentToday()).toBeGreaterThan(1.3);
    expect(ledger.spentToday()).toBeLessThanOrEqual(1.5);
  });
});

describe('mergeDays', () => {
  it('adds what each shard added to the day it started from, and never takes anything away', () => {
    const base = {
      ...emptyDay(DAY),
      total: 1,
      calls: 2,
      byAgent: new Map([['a', 1]]),
      byTask: new Map([['t0', 1]]),
      byModel: new Map([['x:m', 1]]),
    };
    const shard = (task: string, amount: number) => ({
      ...emptyDay(DAY),
      total: 1 + amount,
      calls: 3,
      byAgent: new Map([['a', 1 + amount]]),
      byTask: new Map([
        ['t0', 1],
        [task, amount],
      ]),
      byModel: new Map([['x:m', 1 + amount]]),
    });
    const forged = { ...emptyDay(DAY), total: 0, calls: 0 };
    const merged = mergeDays(DAY, base, [shard('t1', 0.25), shard('t2', 0.5), forged]);
    expect(merged.total).toBe(1.75);
    expect(merged.calls).toBe(4);
    expect(Object.fromEntries(merged.byTask)).toEqual({ t0: 1, t1: 0.25, t2: 0.5 });
    expect(Object.fromEntries(merged.byAgent)).toEqual({ a: 1.75 });
    expect(mergeDays(DAY, undefined, [shard('t1', 0.25)]).total).toBe(1.25);
  });
});
