/**
 * The periodic freshness check: a dataset whose latest published day is older
 * than its `freshness_hours` raises the stale-data alert (H8) in every repo
 * that points at it, and the chat; fresh data closes it again.
 */
import type { AppDeps } from "../app/deps.js";
import { resolveDataset } from "../config/load.js";
import { listDatasets } from "../store/partitions.js";
import { freshnessEvent, syncChat } from "../alerts/index.js";
import { fanOut, type FanOutTargets, type InstallationOctokit } from "./fan-out.js";
import { reposForDataset, type RepoRecord } from "../app/store.js";
import { syncIncident } from "../alerts/index.js";
import type { QueueLog } from "./queue.js";

export function watchedDatasets(deps: AppDeps): string[] {
  const fromRepos = (deps.db.prepare(`SELECT DISTINCT dataset FROM repos`).all() as { dataset: string }[]).map((r) => r.dataset);
  return [...new Set([...listDatasets(deps.db), ...Object.keys(deps.config.datasets), ...fromRepos])].sort();
}

export async function checkStaleness(
  deps: AppDeps,
  auth: ((installationId: number) => Promise<InstallationOctokit>) | null,
  log: QueueLog,
  now = new Date(),
): Promise<void> {
  for (const dataset of watchedDatasets(deps)) {
    const event = freshnessEvent(deps.db, resolveDataset(deps.config, dataset), now);
    if (event.kind === "stale") log.warn(`guardrail dataset ${dataset} is stale: latest published day ${event.latestDs ?? "none"} (${event.ageHours ?? "no data"} h old)`);
    syncChat(deps, event);
    if (!auth) continue;
    const targets: FanOutTargets<RepoRecord> = {
      repos: (d) => reposForDataset(deps.db, d),
      installationId: (r) => r.installationId!,
      label: (r) => r.repo,
      repoSteps: [{ name: "stale-data incident", run: (octokit, repo) => syncIncident(octokit, deps, repo.repo, repo.config, event) }],
      datasetSteps: [],
    };
    // fanOut's event only labels its log lines here; the steps use the freshness event.
    await fanOut(targets, auth, { kind: "rejected", dataset, ds: now.toISOString().slice(0, 10), result: null }, { info: () => {}, warn: log.warn });
  }
}
