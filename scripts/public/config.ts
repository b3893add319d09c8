// The `aifactory-os/config` entry: what an `aifactory.config.ts` needs, and nothing that runs.
//
// Everything exported here is a promise to users: a config written against it keeps working when
// the factory's files move. Add to it with care; never remove or rename without a major version.

export {
  /** An entry of `agents`: a new agent, or an override of a built-in or plugin, field by field. */
  type AgentConfig,
  /** Spending caps in US dollars, per task and per day. */
  type Caps,
  /** The config after validation, every default filled in (what the factory runs with). */
  type Config,
  /** The config file's own shape, every field optional (what `defineConfig` accepts). */
  type ConfigInput,
  /** Type-checks `aifactory.config.ts`: `export default defineConfig({…})`. It returns its input. */
  defineConfig,
  /** A provider and a model, as in an agent's `fallbacks`. */
  type ModelRef,
  /** The providers an agent can name: `gemini`, `openai`, `xai`, `local`, `replay`. */
  type ProviderId,
} from '../core/config.ts';
