/**
 * An ingest started by the service (src/jobs/ingest-child.ts) must not
 * outlive it: an orphan once published a day while the restarted service
 * reported the job failed, so nobody evaluated it (docs/operations.md).
 * The service spawns the CLI with an IPC channel; when the service dies,
 * even by SIGKILL, the kernel closes the channel and this process exits
 * before it can publish. A parent-pid check covers a channel that closes late.
 */
export function exitWithParent(exit: (code: number) => void = (code) => process.exit(code)): void {
  if (!process.channel) return;
  const parent = process.ppid;
  const gone = (why: string) => {
    process.stderr.write(`guardrail: the service that started this ingest is gone (${why}); stopping without publishing.\n`);
    exit(137);
  };
  // The channel must not keep a finished ingest alive.
  process.channel.unref();
  process.once("disconnect", () => gone("its channel closed"));
  const timer = setInterval(() => {
    if (process.ppid !== parent) gone(`parent ${parent} exited`);
  }, 1000);
  timer.unref();
}
