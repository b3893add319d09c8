// Stopping on SIGINT or SIGTERM: the run ends after its current step; a second signal exits at once.
/**
 * A signal that aborts on the first SIGINT or SIGTERM (GitHub Actions sends SIGINT when a run is
 * cancelled, then SIGTERM, then kills it): the run stops after its current step, never mid-write,
 * and still writes its snapshots and publishes its state. A second signal exits at once.
 */
export function stopOnSignals(say: (line: string) => void = console.log): {
  signal: AbortSignal;
  dispose: () => void;
} {
  const controller = new AbortController();
  const stop = (name: NodeJS.Signals): void => {
    if (controller.signal.aborted) {
      say(`${name} again: exiting now.`);
      process.exit(130);
    }
    say(`\n${name}: stopping after the current step (send it again to exit now)…`);
    controller.abort();
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  return {
    signal: controller.signal,
    dispose: () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
    },
  };
}
