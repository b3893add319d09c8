import { describe, expect, it } from 'vitest';
import {
  chainRoots,
  parseShard,
  type ShardTask,
  shardCount,
  shardMatrix,
  shardOfRoot,
  sliceCap,
  tasksInShard,
} from '../../../../scripts/core/task/shard.ts';

describe('parseShard', () => {
  it('reads i/n', () => {
    expect(parseShard('2/4')).toEqual({ shard: { index: 2, count: 4 } });
    expect(parseShard('1/1')).toEqual({ shard: { index: 1, count: 1 } });
  });

  it('refuses what is not i/n, a count out of range and an index outside the count', () => {
    expect(parseShard('2')).toEqual({ problem: '"2" is not a shard: write i/n, e.g. 2/4' });
    expect(parseShard('a/b')).toHaveProperty('problem');
    expect(parseShard('1/0')).toEqual({ problem: 'shard count 0 is not between 1 and 256' });
    expect(parseShard('1/300')).toEqual({ problem: 'shard count 300 is not between 1 and 256' });
    expect(parseShard('0/3')).toEqual({ problem: 'shard 0 is not between 1 and 3' });
    expect(parseShard('4/3')).toEqual({ problem: 'shard 4 is not between 1 and 3' });
  });
});

describe('chainRoots', () => {
  it('gives every task of a chain the same root: the smallest id that depends on nothing', () => {
    const tasks: ShardTask[] = [
      { task_id: 'd', depends_on: ['c'] },
      { task_id: 'c', depends_on: ['b'] },
      { task_id: 'b' },
      { task_id: 'z' },
      { task_id: 'a', depends_on: ['z'] },
      { task_id: 'lone' },
    ];
    expect(Object.fromEntries(chainRoots(tasks))).toEqual({
      d: 'b',
      c: 'b',
      b: 'b',
      z: 'z',
      a: 'z',
      lone: 'lone',
    });
  });

  it('joins two chains that one task depends on both of', () => {
    const tasks: ShardTask[] = [
      { task_id: 'm', depends_on: ['y', 'x'] },
      { task_id: 'y' },
      { task_id: 'x' },
      { task_id: 'n', depends_on: ['m'] },
    ];
    expect(new Set(chainRoots(tasks).values())).toEqual(new Set(['x']));
  });

  it('ignores a dependency on an unknown task, and roots a cycle at its smallest id', () => {
    const tasks: ShardTask[] = [
      { task_id: 'q', depends_on: ['p'] },
      { task_id: 'p', depends_on: ['q'] },
      { task_id: 'r', depends_on: ['gone'] },
    ];
    expect(Object.fromEntries(chainRoots(tasks))).toEqual({ q: 'p', p: 'p', r: 'r' });
  });

  it('does not depend on the order of the tasks', () => {
    const tasks: ShardTask[] = [
      { task_id: 't3', depends_on: ['t1'] },
      { task_id: 't1' },
      { task_id: 't2', depends_on: ['t3'] },
      { task_id: 't0', depends_on: ['t2'] },
    ];
    const forward = Object.fromEntries(chainRoots(tasks));
    const backward = Object.fromEntries(chainRoots([...tasks].reverse()));
    expect(forward).toEqual(backward);
    expect(new Set(Object.values(forward))).toEqual(new Set(['t1']));
  });
});

describe('tasksInShard', () => {
  const tasks: ShardTask[] = Array.from({ length: 60 }, (_, i) => ({
    task_id: `task-${i}`,
    ...(i % 3 === 2 ? { depends_on: [`task-${i - 1}`] } : {}),
  }));

  it('puts every task in exactly one shard and each chain in one shard', () => {
    const count = 4;
    const shards = Array.from({ length: count }, (_, i) => tasksInShard(tasks, { index: i + 1, count }));
    const all = shards.flatMap((shard) => [...shard]);
    expect(all.sort()).toEqual(tasks.map((task) => task.task_id).sort());
    for (const task of tasks) {
      for (const dep of task.depends_on ?? []) {
        expect(shards.findIndex((shard) => shard.has(dep))).toBe(
          shards.findIndex((shard) => shard.has(task.task_id)),
        );
      }
    }
    // A stable hash spreads 40 chains over every shard.
    expect(shards.every((shard) => shard.size > 0)).toBe(true);
  });

  it('is stable: the same tasks give the same split, and one shard of one is everything', () => {
    expect(tasksInShard(tasks, { index: 2, count: 3 })).toEqual(tasksInShard(tasks, { index: 2, count: 3 }));
    expect(tasksInShard(tasks, { index: 1, count: 1 }).size).toBe(tasks.length);
    expect(shardOfRoot('task-0', 7)).toBe(shardOfRoot('task-0', 7));
    expect(shardOfRoot('anything', 1)).toBe(1);
  });
});

describe('shardCount and shardMatrix', () => {
  const policy = { threshold: 20, max: 4 };

  it('keeps one shard up to the threshold, then one per threshold, capped', () => {
    expect(shardCount(0, policy)).toBe(1);
    expect(shardCount(20, policy)).toBe(1);
    expect(shardCount(21, policy)).toBe(2);
    expect(shardCount(60, policy)).toBe(3);
    expect(shardCount(1000, policy)).toBe(4);
    expect(shardCount(100_000, { threshold: 1, max: 10_000 })).toBe(256);
  });

  it('lists every shard of the matrix', () => {
    expect(shardMatrix(3)).toEqual({ count: 3, shard: ['1/3', '2/3', '3/3'] });
    expect(shardMatrix(1)).toEqual({ count: 1, shard: ['1/1'] });
  });
});

describe('sliceCap', () => {
  it('gives each shard the spend so far plus its part of what is left', () => {
    expect(sliceCap(10, 4, 3)).toBe(6);
    expect(sliceCap(10, 0, 1)).toBe(10);
  });

  it('gives nothing more when the cap is already spent', () => {
    expect(sliceCap(10, 12, 2)).toBe(12);
  });
});
