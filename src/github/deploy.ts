/**
 * Every GitHub call of the deploy gate: the protection-rule answer, re-running
 * a rejected run, the `guardrail/deploy` commit status, and the look-ups that
 * feed them. All go through the installation's Octokit, so GHE_HOST applies.
 */
import type { ProbotOctokit } from "probot";
import { splitRepo } from "../shared/repo.js";
import type { DeployStatusState, ProtectionDecision } from "../shared/types.js";

export type GitHubClient = ProbotOctokit;

export const DEPLOY_STATUS_CONTEXT = "guardrail/deploy";

export interface RunRef {
  owner: string;
  repo: string;
  runId: number;
}

/** `…/repos/{owner}/{repo}/actions/runs/{run_id}/deployment_protection_rule` → its parts (any host, GHES `/api/v3` too). */
export function parseCallbackUrl(url: string): RunRef | null {
  let path: string;
  try {
    path = new URL(url).pathname;
  } catch {
    // Not a URL: not a protection-rule callback either.
    return null;
  }
  const m = /\/repos\/([^/]+)\/([^/]+)\/actions\/runs\/(\d+)\/deployment_protection_rule\/?$/.exec(path);
  if (!m) return null;
  return { owner: decodeURIComponent(m[1]!), repo: decodeURIComponent(m[2]!), runId: Number(m[3]) };
}

/** The HTTP status of an Octokit error, or null for network errors. */
export function errorStatus(err: unknown): number | null {
  const s = (err as { status?: unknown })?.status;
  return typeof s === "number" ? s : null;
}

/**
 * Answers a protection-rule request. Uses the endpoint method (not the raw
 * callback URL) so the Octokit's base URL — GitHub or GHES — is honoured.
 */
export async function answerProtectionRule(
  octokit: GitHubClient,
  run: RunRef,
  body: { environment_name: string; state: ProtectionDecision; comment: string },
): Promise<void> {
  await octokit.rest.actions.reviewCustomGatesForRun({ owner: run.owner, repo: run.repo, run_id: run.runId, ...body });
}

/** Re-runs the failed jobs of a run; GitHub then asks the protection rule again. Needs `actions: write`. */
export async function rerunFailedJobs(octokit: GitHubClient, run: RunRef): Promise<void> {
  await octokit.rest.actions.reRunWorkflowFailedJobs({ owner: run.owner, repo: run.repo, run_id: run.runId });
}

export async function workflowRunHeadSha(octokit: GitHubClient, run: RunRef): Promise<string> {
  const { data } = await octokit.rest.actions.getWorkflowRun({ owner: run.owner, repo: run.repo, run_id: run.runId });
  return data.head_sha;
}

export async function setDeployStatus(
  octokit: GitHubClient,
  fullName: string,
  sha: string,
  status: { state: DeployStatusState; description: string; target_url?: string | null },
): Promise<void> {
  const { owner, repo } = splitRepo(fullName);
  await octokit.rest.repos.createCommitStatus({
    owner,
    repo,
    sha,
    context: DEPLOY_STATUS_CONTEXT,
    state: status.state,
    description: status.description,
    ...(status.target_url ? { target_url: status.target_url } : {}),
  });
}

/** The commit message of `sha` (what it reverts is read from it: `This reverts commit <sha>.`). */
export async function commitMessage(octokit: GitHubClient, fullName: string, sha: string): Promise<string> {
  const { owner, repo } = splitRepo(fullName);
  const { data } = await octokit.rest.repos.getCommit({ owner, repo, ref: sha });
  return data.commit.message;
}

/**
 * The SHAs a deploy status matters on: open PR heads (a PR check or ruleset
 * may require it), the default branch head (what the next deploy ships) and
 * the latest deployment to each production environment.
 */
export async function deployStatusTargets(octokit: GitHubClient, fullName: string, productionEnvironments: string[]): Promise<string[]> {
  const { owner, repo } = splitRepo(fullName);
  const shas = new Set<string>();
  const pulls = await octokit.paginate(octokit.rest.pulls.list, { owner, repo, state: "open", per_page: 100 });
  for (const pr of pulls) shas.add(pr.head.sha);
  const { data: info } = await octokit.rest.repos.get({ owner, repo });
  const { data: branch } = await octokit.rest.repos.getBranch({ owner, repo, branch: info.default_branch });
  shas.add(branch.commit.sha);
  for (const environment of productionEnvironments) {
    const { data: deployments } = await octokit.rest.repos.listDeployments({ owner, repo, environment, per_page: 5 });
    for (const d of deployments) shas.add(d.sha);
  }
  return [...shas];
}
