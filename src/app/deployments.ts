/** Production deployments, the suspects' source: recorded from webhooks, or loaded from the API when none were. */
import type { AppDeps } from "./deps.js";
import type { RepoName } from "../shared/types.js";
import type { Octokit } from "../github/octokit.js";
import { listSuccessfulDeployments } from "../github/deployments.js";
import { countDeployments, recordDeployment, type DeploymentRecord } from "../store/deployments.js";
import { getRepo } from "../store/repos.js";
import { refreshRepoConfig } from "./pr-check.js";

/** A `deployment_status` of `success`: the deployment, when it reached it, and the installation. */
export type DeploymentEvent = Omit<DeploymentRecord, "deployedAt" | "source"> & { installationId?: number | null; at: string };

/** Records a successful deployment to one of the repo's production environments; others are ignored. */
export async function recordProductionDeployment(octokit: Octokit, deps: AppDeps, d: DeploymentEvent): Promise<boolean> {
  const known = getRepo(deps.db, d.repo);
  const cfg = known && !known.configError ? { ok: true as const, config: known.config } : await refreshRepoConfig(octokit, deps, d.repo, d.installationId);
  const envs = cfg.ok ? cfg.config.production_environments : ["production"];
  if (!envs.includes(d.environment)) return false;
  recordDeployment(deps.db, {
    repo: d.repo,
    deploymentId: d.deploymentId,
    sha: d.sha,
    ref: d.ref,
    environment: d.environment,
    deployedAt: new Date(d.at).toISOString(),
    source: "webhook",
  });
  return true;
}

/** Loads production deployment history from the API when none was recorded from webhooks. */
export async function backfillDeployments(octokit: Octokit, deps: AppDeps, repo: RepoName, environments: string[]): Promise<number> {
  if (countDeployments(deps.db, repo) > 0) return 0;
  const found = await listSuccessfulDeployments(octokit, repo, environments);
  for (const d of found) recordDeployment(deps.db, d);
  return found.length;
}
