/** The Octokit every GitHub call goes through (Probot's: auth, retry, throttling, GHE_HOST). */
import type { ProbotOctokit } from "probot";

export type Octokit = InstanceType<typeof ProbotOctokit>;

import type { Log } from "../shared/log.js";

export function httpStatus(err: unknown): number | null {
  const s = (err as { status?: unknown })?.status;
  return typeof s === "number" ? s : null;
}

/**
 * Logs a failed GitHub call with its context and swallows it: one repo's
 * 403/404/422/5xx must never crash the process or stop other work.
 */
export function logGitHubError(log: Log, err: unknown, context: Record<string, unknown>, what: string): void {
  const status = httpStatus(err);
  const message = err instanceof Error ? err.message.split("\n")[0] : String(err);
  log.error(`guardrail: ${what} failed${status ? ` (GitHub answered ${status})` : ""}: ${message}`, { ...context, status, err: message });
}
