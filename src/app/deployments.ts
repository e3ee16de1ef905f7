/** Production deployments, the suspects' source: recorded from webhooks, or loaded from the API when none were. */
import type { AppDeps } from "./deps.js";
import type { RepoName } from "../shared/types.js";
import type { Octokit } from "../github/octokit.js";
import { listSuccessfulDeployments } from "../github/deployments.js";
import { countDeployments, recordDeployment, type DeploymentRecord } from "../store/deployments.js";
import { getRepo } from "../store/repos.js";
import { refreshRepoConfig } from "./pr-check.js";
import { recordCanaryDeployment } from "../store/canary.js";
import { deploymentVersion, isCanaryEnvironment } from "../canary/traffic.js";

/** A `deployment_status` of `success`: the deployment, when it reached it, and the installation. */
export type DeploymentEvent = Omit<DeploymentRecord, "deployedAt" | "source"> & {
  installationId?: number | null;
  at: string;
  /** The deployment's payload: a canary build may name its app_version there (docs/canary.md). */
  payload?: unknown;
};

/** Records a successful deployment to one of the repo's production environments; others are ignored. */
export async function recordProductionDeployment(octokit: Octokit, deps: AppDeps, d: DeploymentEvent): Promise<boolean> {
  const known = getRepo(deps.db, d.repo);
  const cfg = known && !known.configError ? { ok: true as const, config: known.config } : await refreshRepoConfig(octokit, deps, d.repo, d.installationId);
  const envs = cfg.ok ? cfg.config.production_environments : ["production"];
  const deployedAt = new Date(d.at).toISOString();
  if (cfg.ok && isCanaryEnvironment(cfg.config, d.environment)) {
    // A canary / preview build: which app_version its events carry (docs/canary.md).
    const version = deploymentVersion(d.payload, d.ref, d.sha);
    recordCanaryDeployment(deps.db, { repo: d.repo, deploymentId: d.deploymentId, sha: d.sha, version, environment: d.environment, deployedAt });
  }
  if (!envs.includes(d.environment)) return false;
  recordDeployment(deps.db, {
    repo: d.repo,
    deploymentId: d.deploymentId,
    sha: d.sha,
    ref: d.ref,
    environment: d.environment,
    deployedAt,
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
