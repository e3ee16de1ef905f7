/** Every handler logs its own errors with context, so one repo's 403/404/422/5xx never crashes the process or blocks the next delivery. */
import type { Log } from "../../shared/log.js";
import { logGitHubError } from "../../github/octokit.js";

export interface DeliveryContext {
  name: string;
  id: string;
}

export async function guarded(log: Log, context: DeliveryContext, info: Record<string, unknown>, what: string, fn: () => Promise<unknown>): Promise<void> {
  try {
    await fn();
  } catch (err) {
    logGitHubError(log, err, { ...info, event: context.name, delivery: context.id }, what);
  }
}
