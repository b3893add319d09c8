// Shards of a GitHub Actions matrix: whole dependency chains per shard, how many, and each one's share of a cap.
/**
 * Scale-out on a GitHub Actions matrix: which shard works on which task, how many shards a run
 * needs, and each shard's slice of a spending cap. Pure: task lists in, numbers and sets out.
 *
 * The split is by dependency chain, so a task and everything it depends on (or that depends on it)
 * land in one shard: a shard never waits for a merge that another shard is making.
 */

/** Shard `index` of `count` (1-based), as written `index/count` on the command line. */
export interface Shard {
  index: number;
  count: number;
}

/** More shards than this is a typo, not a plan: GitHub runs at most 256 jobs of one matrix. */
export const MAX_SHARDS = 256;

/** The part of a task the split looks at. */
export interface ShardTask {
  task_id: string;
  depends_on?: readonly string[] | undefined;
}

/** Reads `i/n` (1 ≤ i ≤ n ≤ 256), or says what is wrong with it. */
export function parseShard(text: string): { shard: Shard } | { problem: string } {
  const match = /^(\d{1,3})\/(\d{1,3})$/.exec(text);
  if (!match) return { problem: `"${text}" is not a shard: write i/n, e.g. 2/4` };
  const index = Number(match[1]);
  const count = Number(match[2]);
  if (count < 1 || count > MAX_SHARDS)
    return { problem: `shard count ${count} is not between 1 and ${MAX_SHARDS}` };
  if (index < 1 || index > count) return { problem: `shard ${index} is not between 1 and ${count}` };
  return { shard: { index, count } };
}

/**
 * The root task of each task's dependency chain: tasks linked by `depends_on`, in either
 * direction, form one chain, and its root is the smallest id among its tasks that depend on
 * nothing (the smallest id of all when every task of the chain depends on another). A dependency
 * on an id that is no task here links nothing.
 */
export function chainRoots(tasks: readonly ShardTask[]): Map<string, string> {
  const parent = new Map<string, string>(tasks.map((task) => [task.task_id, task.task_id]));
  const find = (id: string): string => {
    let root = id;
    while (parent.get(root) !== root) root = parent.get(root)!;
    // Path compression keeps long chains cheap.
    for (let node = id; node !== root; ) {
      const next = parent.get(node)!;
      parent.set(node, root);
      node = next;
    }
    return root;
  };
  for (const task of tasks) {
    for (const dep of task.depends_on ?? []) {
      if (!parent.has(dep)) continue;
      const [a, b] = [find(task.task_id), find(dep)];
      // The smaller id leads the joined group, so the result is the same in any order.
      const [low, high] = a < b ? [a, b] : [b, a];
      if (low !== high) parent.set(high, low);
    }
  }
  const best = new Map<string, { id: string; free: boolean }>();
  for (const task of tasks) {
    const group = find(task.task_id);
    const free = (task.depends_on ?? []).every((dep) => !parent.has(dep));
    const current = best.get(group);
    const better =
      !current || (free && !current.free) || (free === current.free && task.task_id < current.id);
    if (better) best.set(group, { id: task.task_id, free });
  }
  return new Map(tasks.map((task) => [task.task_id, best.get(find(task.task_id))!.id]));
}

/** FNV-1a over the UTF-16 code units: stable across runs, machines and Node versions. */
function fnv1a(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i += 1) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash;
}

/** The shard (1-based) of `count` that works on the chain whose root is `rootId`. */
export function shardOfRoot(rootId: string, count: number): number {
  return (fnv1a(rootId) % count) + 1;
}

/** The ids of the tasks that `shard` works on: whole chains, chosen by their root's hash. */
export function tasksInShard(tasks: readonly ShardTask[], shard: Shard): Set<string> {
  const roots = chainRoots(tasks);
  return new Set(
    tasks
      .filter((task) => shardOfRoot(roots.get(task.task_id)!, shard.count) === shard.index)
      .map((task) => task.task_id),
  );
}

/** When a run splits: above `threshold` pending tasks, one shard per `threshold` of them, at most `max`. */
export interface ShardPolicy {
  threshold: number;
  max: number;
}

/** How many shards a run with `pending` tasks left to work on uses: 1 up to the threshold. */
export function shardCount(pending: number, policy: ShardPolicy): number {
  if (pending <= policy.threshold) return 1;
  return Math.min(policy.max, MAX_SHARDS, Math.ceil(pending / policy.threshold));
}

/** The matrix the factory workflow's workers expand: `{"count":2,"shard":["1/2","2/2"]}`. */
export function shardMatrix(count: number): { count: number; shard: string[] } {
  return { count, shard: Array.from({ length: count }, (_, i) => `${i + 1}/${count}`) };
}

/**
 * A shard's limit for a cap shared by `count` shards: what was already spent when the shards
 * started, plus its equal part of what was left. Shards that each stay under their limit stay
 * under the cap together.
 */
export function sliceCap(limit: number, spentBefore: number, count: number): number {
  return spentBefore + Math.max(0, limit - spentBefore) / count;
}
