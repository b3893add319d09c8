// The dependency rule (docs/architecture.md): cli → engine → {agents, forge} → providers → io → core;
// ui (words and tables for the terminal) sits just above core, usable by every layer.
/** A module under `from` may import nothing under the folders of `to`. */
const layer = (name, from, to) => ({
  name,
  severity: 'error',
  from: { path: `^scripts/(${from})/` },
  to: { path: `^scripts/(${to})/` },
});

module.exports = {
  forbidden: [
    { name: 'no-circular', severity: 'error', from: {}, to: { circular: true } },
    layer('core-is-pure', 'core', 'io|providers|agents|forge|engine|commands|ui|init|public'),
    layer('io-below-providers', 'io', 'providers|agents|forge|engine|commands|ui|init|public'),
    layer('ui-words-below-all', 'ui', 'io|providers|agents|forge|engine|commands|init|public'),
    layer('providers-below-agents-and-forge', 'providers', 'agents|forge|engine|commands|init|public'),
    layer('agents-below-engine', 'agents', 'forge|engine|commands|init'),
    layer('forge-below-engine', 'forge', 'agents|engine|commands|init'),
    layer('engine-below-commands', 'engine', 'commands|init'),
    {
      name: 'core-does-no-io',
      severity: 'error',
      from: { path: '^scripts/core/' },
      to: {
        dependencyTypes: ['core'],
        path: '^(node:)?(fs|child_process|net|http|https|dgram|worker_threads)',
      },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    exclude: { path: '\\.mjs$' },
  },
};
