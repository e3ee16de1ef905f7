/**
 * What the service does besides answering requests: on start, jobs a crash
 * left `running` become `failed` (retryable) and queued jobs resume; then a
 * timer watches data freshness so stale data alerts without anyone uploading.
 */
import type { Probot } from "probot";
import type { AppDeps } from "../app/deps.js";
import { describeError } from "../shared/errors.js";
import { failInterruptedJobs } from "./store.js";
import { serviceFor, type ServiceOptions } from "./service.js";
import { checkStaleness } from "./freshness.js";

/** Recovers jobs left running by a crash, starts the freshness timer. Returns a stop function. */
export function startBackground(app: Probot, deps: AppDeps, overrides: Partial<ServiceOptions> = {}): () => void {
  const service = serviceFor(app, deps, overrides);
  const interrupted = failInterruptedJobs(deps.db);
  for (const id of interrupted) service.log.warn(`guardrail job ${id} was running when the service stopped; marked failed (retry with POST /api/guardrail/jobs/${id}/retry)`);
  service.queue.kick();
  const tick = () => {
    checkStaleness(deps, service.auth, service.log).catch((err) => service.log.error(`guardrail freshness check failed: ${describeError(err)}`));
  };
  const timer = setInterval(tick, service.opts.freshnessIntervalMs);
  timer.unref();
  return () => {
    clearInterval(timer);
    service.queue.stop();
  };
}
