/**
 * The periodic freshness check: a dataset whose latest published day is older
 * than its `freshness_hours` raises the stale-data alert (H8) in every repo
 * that points at it, and in the dataset's chat; fresh data closes it again.
 * Silence is the failure this exists for, so it runs on a timer instead of
 * waiting for an upload that may never come.
 */
import type { AppDeps } from "../app/deps.js";
import { resolveDataset } from "../config/load.js";
import { listDatasets } from "../store/partitions.js";
import { freshnessEvent, syncChat, syncIncident, type AlertEvent } from "../alerts/index.js";
import { datasetsOfRepos, reposForDataset } from "../store/repos.js";
import { describeError } from "../shared/errors.js";
import { fmtAge } from "../present/format.js";
import type { InstallationOctokit } from "./fan-out.js";
import type { QueueLog } from "./queue.js";

/** Datasets with data, configured ones, and the ones a repo points at (a repo waiting for data it never got is the point). */
export function watchedDatasets(deps: AppDeps): string[] {
  return [...new Set([...listDatasets(deps.db), ...Object.keys(deps.config.datasets), ...datasetsOfRepos(deps.db)])].sort();
}

export interface FreshnessOutcome {
  dataset: string;
  event: AlertEvent["kind"];
  /** Repos whose incident could not be brought in line (logged; retried on the next tick). */
  failed: string[];
}

/**
 * One pass over every watched dataset. Each repo's GitHub error is logged and
 * does not stop the others; the incident lifecycle is idempotent, so the next
 * tick simply tries again.
 */
export async function checkStaleness(
  deps: AppDeps,
  auth: ((installationId: number) => Promise<InstallationOctokit>) | null,
  log: QueueLog,
  now = new Date(),
): Promise<FreshnessOutcome[]> {
  const alertDeps = { ...deps, log };
  const outcomes: FreshnessOutcome[] = [];
  for (const dataset of watchedDatasets(deps)) {
    let event: AlertEvent;
    try {
      event = freshnessEvent(deps.db, resolveDataset(deps.config, dataset), now);
    } catch (err) {
      log.warn(`guardrail freshness: dataset ${dataset} skipped: ${describeError(err)}`);
      continue;
    }
    if (event.kind === "stale")
      log.warn(`guardrail dataset ${dataset} is stale: latest published day ${event.latestDs ?? "none"}${event.ageHours === null ? "" : ` (${fmtAge(event.ageHours)})`}`);
    // The chat hears about it even when no repo watches the dataset.
    syncChat(alertDeps, event);
    const failed: string[] = [];
    if (auth) {
      for (const repo of reposForDataset(deps.db, dataset)) {
        try {
          const octokit = await auth(repo.installationId!);
          await syncIncident(octokit, alertDeps, repo.repo, repo.config, event);
        } catch (err) {
          failed.push(repo.repo);
          log.warn(`guardrail freshness: ${event.kind} incident of dataset ${dataset} in ${repo.repo} failed: ${describeError(err)}`);
        }
      }
    }
    outcomes.push({ dataset, event: event.kind, failed });
  }
  return outcomes;
}
