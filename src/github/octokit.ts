/** The Octokit every GitHub call goes through (Probot's: auth, retry, throttling, GHE_HOST). */
import type { ProbotOctokit } from "probot";
import { classifyFailure } from "../shared/net-errors.js";
import { githubLatency, githubRequests, secondsSince } from "../shared/telemetry.js";

export type Octokit = InstanceType<typeof ProbotOctokit>;

import type { Log } from "../shared/log.js";

/** Every GitHub call gives up after this long (GUARDRAIL_GITHUB_TIMEOUT_SECONDS, default 10). */
export function githubTimeoutMs(env: NodeJS.ProcessEnv = process.env): number {
  const n = Number(env.GUARDRAIL_GITHUB_TIMEOUT_SECONDS);
  return Number.isFinite(n) && n > 0 ? n * 1000 : 10_000;
}

const instrumented = new WeakSet<object>();

/**
 * Gives every request of `octokit` a deadline (one hung call once stalled
 * all after-publish work for minutes) and counts it by outcome and latency
 * (docs/operations.md#metrics). Idempotent per instance.
 */
export function instrumentOctokit<T extends { hook: { wrap: (name: "request", fn: (request: any, options: any) => Promise<any>) => void } }>(octokit: T, timeoutMs = githubTimeoutMs()): T {
  if (instrumented.has(octokit)) return octokit;
  instrumented.add(octokit);
  octokit.hook.wrap("request", async (request, options) => {
    const started = performance.now();
    const deadline = AbortSignal.timeout(timeoutMs);
    const own = options.request?.signal as AbortSignal | undefined;
    options.request = { ...options.request, signal: own ? AbortSignal.any([own, deadline]) : deadline };
    try {
      const response = await request(options);
      githubRequests.inc({ outcome: "ok" });
      githubLatency.observe({ outcome: "ok" }, secondsSince(started));
      return response;
    } catch (err) {
      const { outcome } = classifyFailure(err);
      githubRequests.inc({ outcome });
      githubLatency.observe({ outcome }, secondsSince(started));
      throw err;
    }
  });
  return octokit;
}

export function httpStatus(err: unknown): number | null {
  const s = (err as { status?: unknown })?.status;
  return typeof s === "number" ? s : null;
}

/**
 * Logs a failed GitHub call with its context and swallows it: one repo's
 * 403/404/422/5xx must never crash the process or stop other work.
 */
export function logGitHubError(log: Log, err: unknown, context: Record<string, unknown>, what: string): void {
  const message = err instanceof Error ? err.message.split("\n")[0] : String(err);
  // The store's own errors happen between calls; "network error" would send people after the wrong cause.
  const code = (err as { code?: unknown })?.code;
  if (typeof code === "string" && code.startsWith("SQLITE_")) {
    log.error(`guardrail: ${what} failed (database error ${code}): ${message}`, { ...context, status: null, cause: "database", err: message });
    return;
  }
  const failure = classifyFailure(err);
  const status = failure.outcome.startsWith("http_") ? httpStatus(err) : null;
  const why = status ? `GitHub answered ${status}` : failure.text;
  log.error(`guardrail: ${what} failed (${why}): ${message}`, { ...context, status, cause: failure.outcome, err: message });
}
