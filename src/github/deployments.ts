/** Production deployment history from the API, for when webhooks were missed (new install, empty table). */
import type { DeploymentRecord } from "../store/deployments.js";
import { type Octokit } from "./octokit.js";
import { splitRepo } from "../shared/repo.js";

/** The latest `perEnvironment` deployments of each environment that reached state success. */
export async function listSuccessfulDeployments(
  octokit: Octokit,
  fullName: string,
  environments: string[],
  perEnvironment = 30,
): Promise<DeploymentRecord[]> {
  const params = splitRepo(fullName);
  const out: DeploymentRecord[] = [];
  for (const environment of environments) {
    const { data: deployments } = await octokit.rest.repos.listDeployments({ ...params, environment, per_page: perEnvironment });
    for (const d of deployments) {
      const { data: statuses } = await octokit.rest.repos.listDeploymentStatuses({ ...params, deployment_id: d.id, per_page: 30 });
      const ok = statuses.find((s) => s.state === "success");
      if (!ok) continue;
      out.push({ repo: fullName, deploymentId: d.id, sha: d.sha, ref: d.ref, environment, deployedAt: new Date(ok.created_at).toISOString(), source: "api" });
    }
  }
  return out;
}
