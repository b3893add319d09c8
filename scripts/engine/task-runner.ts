import type { Agent } from '../agents/types.ts';
import { type ErrorInfo, FactoryError, toErrorInfo } from '../core/errors.ts';
import { parseProposal } from '../core/proposal.ts';
import { appendAttempt, branchFor, newRunRecord, syncWithTask, transition } from '../core/record-ops.ts';
import type { Attempt, RunRecord } from '../core/run-record.ts';
import type { Task } from '../core/task.ts';
import { isFinal, type TaskEvent } from '../core/task-state.ts';
import { VerdictSchema } from '../core/verdict.ts';
import type { FileChange, PullRequest } from '../forge/types.ts';
import { coderPrompt, reviewerPrompt } from './prompts.ts';
import type { AgentAnswer, EngineServices } from './types.ts';
import { vetProposal } from './vet.ts';

/** How a task's turn in this run ended. */
export type TaskOutcome = 'final' | 'paused' | 'stopped';

type AttemptInput = Omit<Attempt, 'n' | 'iteration' | 'started_at' | 'finished_at'> & { started: Date };

/** The e-mail an agent commits with; never a real address. */
export function agentEmail(agent: string): string {
  return `${agent}@agents.aifactory.invalid`;
}

/**
 * Drives one task through the loop of DESIGN.md — code → protocol → pull request → checks and
 * review → iterate → merge — one persisted step at a time, so a crash at any point resumes from
 * the last saved state. Expected failures end in the record, not in an exception.
 */
export class TaskRunner {
  readonly #task: Task;
  readonly #services: EngineServices;
  #record: RunRecord;

  private constructor(task: Task, record: RunRecord, services: EngineServices) {
    this.#task = task;
    this.#record = record;
    this.#services = services;
  }

  static async open(task: Task, services: EngineServices): Promise<TaskRunner> {
    const reviewer = services.registry.reviewerFor(task).name;
    const now = services.now().toISOString();
    const existing = await services.store.read(task.task_id);
    const record = syncWithTask(existing ?? newRunRecord(task, reviewer, now), task, reviewer);
    return new TaskRunner(task, record, services);
  }

  get record(): RunRecord {
    return this.#record;
  }

  /** Runs steps until the task is final, waits on something outside (budget, checks), or the run stops. */
  async run(): Promise<TaskOutcome> {
    while (!isFinal(this.#record.state)) {
      if (this.#services.signal?.aborted) return 'stopped';
      const progressed = await this.#step();
      if (!progressed) return this.#services.signal?.aborted ? 'stopped' : 'paused';
    }
    return 'final';
  }

  /**
   * Keeps a task where it is, recording why it cannot go on now (a missing key): it continues in a
   * later run once the reason is gone. The record is rewritten only when the reason changes.
   */
  async hold(reason: ErrorInfo): Promise<void> {
    const current = this.#record.last_error;
    if (current?.class === reason.class && current.message === reason.message) return;
    this.#services.progress.step(this.#record.task_id, `waiting: ${reason.message}`);
    await this.#save({ ...this.#record, last_error: reason, updated_at: this.#now() });
  }

  /** Marks a pending task blocked by a dependency, or reopens a blocked one. */
  async move(event: Extract<TaskEvent, 'block' | 'retry'>, reason?: string): Promise<void> {
    const next = transition(this.#record, event, this.#now());
    await this.#save({
      ...next,
      last_error: reason ? { class: 'dependency', message: reason } : null,
    });
  }

  async #step(): Promise<boolean> {
    const record = this.#record;
    switch (record.state) {
      case 'pending':
      case 'changes_requested':
        await this.#startIteration();
        return true;
      case 'running':
        return this.#code();
      case 'proposed':
        await this.#save(transition(record, 'review', this.#now()));
        return true;
      case 'reviewing':
        return this.#review();
      case 'approved':
        await this.#merge();
        return true;
      default:
        return false;
    }
  }

  async #startIteration(): Promise<void> {
    const record = this.#record;
    if (record.state === 'changes_requested' && record.iteration >= record.max_iterations) {
      await this.#fail({
        class: 'checks',
        message: `not approved with green checks after ${record.max_iterations} iterations; raise max_iterations or refine the task`,
      });
      return;
    }
    await this.#save({
      ...transition(record, 'start', this.#now()),
      iteration: record.iteration + 1,
      branch: branchFor(record.task_id),
      last_error: null,
      rejection: null,
    });
  }

  /** The coder writes a proposal; it is vetted, committed and put up as a pull request. */
  async #code(): Promise<boolean> {
    const { forge, registry, config, progress, secrets } = this.#services;
    const task = this.#task;
    const agent = registry.require(this.#record.assignee);
    const started = this.#services.now();
    progress.step(task.task_id, `iteration ${this.#record.iteration}: ${agent.name} is writing`);
    const ref = this.#record.iteration > 1 ? (this.#record.branch ?? undefined) : undefined;
    const files = await this.#readFiles(task.files, ref);
    let answer: AgentAnswer;
    try {
      answer = await this.#askCoder(agent, files);
    } catch (error) {
      return this.#callFailed('code', agent, started, toErrorInfo(error));
    }
    const base = this.#attemptBase('code', agent, answer, started);
    const proposal = parseProposal(answer.text);
    if (!proposal.ok) {
      const error = {
        class: 'bad_output' as const,
        message: `the answer holds no usable proposal: ${proposal.reason}`,
      };
      await this.#fail(error, this.#withAttempt({ ...base, result: 'error', error }));
      return true;
    }
    const changes: FileChange[] = proposal.files.map(({ path, content }) => ({ path, content }));
    const paths = changes.map((change) => change.path);
    const rejection = await vetProposal(changes, { task, agent, protocol: config.protocol, forge, secrets });
    if (rejection) {
      progress.step(task.task_id, `proposal rejected: ${rejection.message}`);
      await this.#save({
        ...transition(
          this.#withAttempt({ ...base, result: 'rejected', files: paths, rejection }),
          'reject',
          this.#now(),
        ),
        rejection,
        last_error: { class: 'protocol', message: `${rejection.path ?? ''}: ${rejection.message}` },
      });
      return true;
    }
    try {
      const pr = await this.#publish(agent, answer, changes);
      const attempt = this.#withAttempt({ ...base, result: 'proposed', files: paths, commit: pr.head });
      await this.#save({
        ...transition(attempt, 'propose', this.#now()),
        pull_request: { number: pr.number, url: pr.url },
      });
    } catch (error) {
      const info = toErrorInfo(error);
      await this.#fail(info, this.#withAttempt({ ...base, result: 'error', files: paths, error: info }));
    }
    return true;
  }

  async #askCoder(agent: Agent, files: ReadonlyMap<string, string | undefined>): Promise<AgentAnswer> {
    const { task } = { task: this.#task };
    const record = this.#record;
    if (agent.run) {
      const started = this.#services.now().getTime();
      const output = await agent.run({ task, files: Object.fromEntries(files), iteration: record.iteration });
      return {
        text: output.text,
        usage: { inputTokens: 0, outputTokens: 0 },
        model: 'tool',
        provider: 'tool',
        finishReason: 'stop',
        latencyMs: this.#services.now().getTime() - started,
        costUsd: 0,
      };
    }
    const prompt = await coderPrompt(this.#services.prompts, {
      agent,
      task,
      record,
      files,
      protocol: this.#services.config.protocol,
    });
    if (prompt.flagged) this.#services.progress.step(task.task_id, prompt.flagged);
    return this.#services.callAgent(agent, {
      system: prompt.system,
      messages: [{ role: 'user', content: `Write your proposal for task ${task.task_id} now.` }],
      // Proposals are long: streaming keeps the connection busy while the model writes.
      stream: true,
      context: { taskId: task.task_id, agent: agent.name, role: 'coder', iteration: record.iteration },
      ...(this.#services.signal ? { signal: this.#services.signal } : {}),
    });
  }

  /** Commits the iteration on the task's branch and opens (or finds) its one pull request. */
  async #publish(agent: Agent, answer: AgentAnswer, changes: FileChange[]): Promise<PullRequest> {
    const { forge } = this.#services;
    const record = this.#record;
    const branch = branchFor(record.task_id);
    const title = record.title ?? record.task_id;
    await forge.pushIteration({
      branch,
      changes,
      message: `${title} (iteration ${record.iteration})`,
      author: { name: agent.name, email: agentEmail(agent.name) },
      trailers: {
        'Task-Id': record.task_id,
        Agent: agent.name,
        Model: `${answer.provider}/${answer.model}`,
        Iteration: String(record.iteration),
      },
    });
    const existing = await forge.findPullRequest(branch);
    if (existing && existing.state === 'open') return existing;
    return forge.openPullRequest({
      branch,
      title: `[${record.task_id}] ${title}`,
      body: `Task \`${record.task_id}\`, written by ${agent.name}; reviewer: ${record.reviewer ?? 'default'}.\n\n${this.#task.description}`,
    });
  }

  /** Checks first (they cost no tokens); if green, the reviewer's verdict. */
  async #review(): Promise<boolean> {
    const { forge, registry, progress } = this.#services;
    const record = this.#record;
    const pr = await forge.findPullRequest(branchFor(record.task_id));
    if (!pr) {
      await this.#fail({
        class: 'forge',
        message: `the pull request for ${branchFor(record.task_id)} is gone`,
      });
      return true;
    }
    const started = this.#services.now();
    progress.step(record.task_id, `iteration ${record.iteration}: checks`);
    const checks = await forge.readChecks(pr);
    if (checks.state === 'pending') return false;
    // A passed check run is recorded with the verdict, in the same write, so a resumed review
    // never records the checks twice.
    let withChecks = this.#record;
    if (checks.state !== 'none') {
      withChecks = this.#withAttempt({
        ...this.#attemptBase('checks', undefined, undefined, started),
        result: checks.state,
        commit: pr.head,
        ...(checks.state === 'failed' ? { output: checks.output } : {}),
      });
      if (checks.state === 'failed') {
        progress.step(record.task_id, 'checks failed; back to the coder');
        await this.#save(transition(withChecks, 'request_changes', this.#now()));
        return true;
      }
    }
    const reviewer = registry.require(record.reviewer ?? registry.reviewerFor(this.#task).name);
    progress.step(record.task_id, `iteration ${record.iteration}: ${reviewer.name} is reviewing`);
    const reviewStarted = this.#services.now();
    const written = this.#writtenIn(record.iteration);
    let answer: AgentAnswer;
    try {
      const system = await reviewerPrompt(this.#services.prompts, {
        agent: reviewer,
        task: this.#task,
        record,
        files: await this.#readFiles(written, pr.head),
        before: await this.#readFiles(written),
        checks: checks.state === 'none' ? 'No checks are configured.' : 'The checks passed.',
      });
      answer = await this.#services.callAgent(reviewer, {
        system,
        messages: [{ role: 'user', content: `Review the pull request for task ${record.task_id} now.` }],
        schema: { name: 'verdict', zod: VerdictSchema },
        context: {
          taskId: record.task_id,
          agent: reviewer.name,
          role: 'reviewer',
          iteration: record.iteration,
        },
        ...(this.#services.signal ? { signal: this.#services.signal } : {}),
      });
    } catch (error) {
      this.#record = withChecks;
      return this.#callFailed('review', reviewer, reviewStarted, toErrorInfo(error));
    }
    const parsed = VerdictSchema.safeParse(answer.json);
    const base = this.#attemptBase('review', reviewer, answer, reviewStarted);
    if (!parsed.success) {
      const error = {
        class: 'bad_output' as const,
        message: 'the reviewer answered without a valid verdict',
      };
      this.#record = withChecks;
      await this.#fail(error, this.#withAttempt({ ...base, result: 'error', error }));
      return true;
    }
    const verdict = parsed.data;
    await forge.addReview(pr, { ...verdict, agent: reviewer.name });
    const approved = verdict.verdict === 'approve';
    this.#record = withChecks;
    const reviewed = this.#withAttempt({
      ...base,
      result: approved ? 'approved' : 'changes_requested',
      commit: pr.head,
      summary: verdict.summary,
      comments: verdict.comments,
    });
    await this.#save(transition(reviewed, approved ? 'approve' : 'request_changes', this.#now()));
    return true;
  }

  async #merge(): Promise<void> {
    const { forge, progress } = this.#services;
    const record = this.#record;
    const started = this.#services.now();
    try {
      const pr = await forge.findPullRequest(branchFor(record.task_id));
      if (!pr) throw new FactoryError('forge', `the pull request for ${branchFor(record.task_id)} is gone`);
      const commit = await forge.merge(pr, `Merge task ${record.task_id}: ${record.title ?? record.task_id}`);
      const merged = this.#withAttempt({
        ...this.#attemptBase('merge', undefined, undefined, started),
        result: 'merged',
        commit,
      });
      progress.step(record.task_id, `merged as ${commit.slice(0, 12)}`);
      const now = this.#now();
      await this.#save({ ...transition(merged, 'merge', now), merged_at: now, merge_commit: commit });
    } catch (error) {
      const info = toErrorInfo(error);
      await this.#fail(
        info,
        this.#withAttempt({
          ...this.#attemptBase('merge', undefined, undefined, started),
          result: 'error',
          error: info,
        }),
      );
    }
  }

  /** A model call that failed: a stop or a budget cap pauses the task; anything else fails it. */
  async #callFailed(
    kind: 'code' | 'review',
    agent: Agent,
    started: Date,
    error: ErrorInfo,
  ): Promise<boolean> {
    // Cancelled by a stopping run (SIGINT/SIGTERM): not the task's failure. Nothing is recorded,
    // so the next run asks again from the same state.
    if (this.#services.signal?.aborted) return false;
    const base = this.#attemptBase(kind, agent, undefined, started);
    // A cap or a refused key is about the setup, not the task: it waits for a later run.
    if (error.class === 'budget' || error.class === 'auth') {
      this.#services.progress.step(this.#record.task_id, `paused: ${error.message}`);
      await this.#save({ ...this.#withAttempt({ ...base, result: 'skipped', error }), last_error: error });
      return false;
    }
    await this.#fail(error, this.#withAttempt({ ...base, result: 'error', error }));
    return true;
  }

  async #fail(error: ErrorInfo, record: RunRecord = this.#record): Promise<void> {
    await this.#save({ ...transition(record, 'fail', this.#now()), last_error: error });
  }

  /** Files the code attempt of an iteration wrote. */
  #writtenIn(iteration: number): string[] {
    const code = this.#record.attempts.findLast(
      (attempt) =>
        attempt.kind === 'code' && attempt.iteration === iteration && attempt.result === 'proposed',
    );
    return code?.files ?? [];
  }

  async #readFiles(paths: readonly string[], ref?: string): Promise<Map<string, string | undefined>> {
    const { forge } = this.#services;
    const entries = await Promise.all(
      paths.map(async (path) => [path, await forge.readFile(path, ref)] as const),
    );
    return new Map(entries);
  }

  #attemptBase(
    kind: Attempt['kind'],
    agent: Agent | undefined,
    answer: AgentAnswer | undefined,
    started: Date,
  ): AttemptInput {
    return {
      kind,
      agent: agent?.name ?? null,
      provider: answer?.provider ?? (agent ? agent.provider : null),
      model: answer?.model ?? (agent ? agent.model : null),
      tokens: { input: answer?.usage.inputTokens ?? 0, output: answer?.usage.outputTokens ?? 0 },
      cost_usd: answer?.costUsd ?? 0,
      started,
      result: 'skipped',
    };
  }

  /** The record with `input` appended; saved by the caller together with the transition, in one write. */
  #withAttempt(input: AttemptInput): RunRecord {
    const { started, ...attempt } = input;
    return appendAttempt(this.#record, {
      ...attempt,
      iteration: Math.max(1, this.#record.iteration),
      started_at: started.toISOString(),
      finished_at: this.#now(),
    });
  }

  async #save(record: RunRecord): Promise<void> {
    this.#record = record;
    await this.#services.store.write(record);
    if (isFinal(record.state)) this.#services.progress.done(record);
  }

  #now(): string {
    return this.#services.now().toISOString();
  }
}
