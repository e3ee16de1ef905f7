/**
 * Reconciliation (docs/operations.md#reconciliation): the app learns its
 * repositories from installation webhooks, which a service that was down, or
 * started on a new database, never saw. At start and every hour, list the
 * app's installations and their repositories through the API (paginated),
 * add or refresh each repository (reading its `.github/guardrail.yml`), and
 * forget the ones no installation covers any more. After that, the
 * after-publish fan-out reaches every repository that watches a dataset.
 */
import type { AppDeps } from "../app/deps.js";
import { refreshRepoConfig } from "../app/pr-check.js";
import type { Octokit } from "../github/octokit.js";
import { forgetRepo, installedRepoNames } from "../store/repos.js";
import { describeFailure } from "./fan-out.js";

export interface ReconcileResult {
  installations: number;
  repos: string[];
  added: string[];
  removed: string[];
  /** Repositories whose config could not be read (kept as they were). */
  failed: string[];
}

export type AppAuth = (installationId?: number) => Promise<Octokit>;

export async function reconcileInstallations(auth: AppAuth, deps: Pick<AppDeps, "db" | "config">, log: { info(m: string): void; warn(m: string): void }): Promise<ReconcileResult> {
  const before = new Set(installedRepoNames(deps.db));
  const app = await auth();
  const installations = await app.paginate(app.rest.apps.listInstallations, { per_page: 100 });
  const seen = new Set<string>();
  const failed: string[] = [];
  let complete = true;
  for (const inst of installations) {
    let repos: { full_name: string }[];
    let octokit: Octokit;
    try {
      octokit = await auth(inst.id);
      repos = await octokit.paginate(octokit.rest.apps.listReposAccessibleToInstallation, { per_page: 100 });
    } catch (err) {
      // Without this installation's full list, no repository may be forgotten.
      complete = false;
      log.warn(`guardrail reconcile: listing the repositories of installation ${inst.id} failed: ${describeFailure(err)}`);
      continue;
    }
    for (const r of repos) {
      seen.add(r.full_name);
      try {
        await refreshRepoConfig(octokit, deps as AppDeps, r.full_name, inst.id);
      } catch (err) {
        failed.push(r.full_name);
        log.warn(`guardrail reconcile: reading the config of ${r.full_name} failed: ${describeFailure(err)}`);
      }
    }
  }
  const removed = complete ? [...before].filter((r) => !seen.has(r)) : [];
  for (const r of removed) forgetRepo(deps.db, r);
  const added = [...seen].filter((r) => !before.has(r) && !failed.includes(r)).sort();
  const result = { installations: installations.length, repos: [...seen].sort(), added, removed, failed };
  log.info(`guardrail reconcile: ${result.installations} installation(s), ${result.repos.length} repositories; added ${added.length}, forgot ${removed.length}${failed.length ? `, ${failed.length} unreadable` : ""}`);
  return result;
}
