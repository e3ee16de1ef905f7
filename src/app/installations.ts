/** Which repos the app is on: knowing every installed repo up front lets background jobs fan out before any PR event. */
import type { AppDeps } from "./deps.js";
import type { RepoName } from "../shared/types.js";
import type { Octokit } from "../github/octokit.js";
import { forgetRepo } from "../store/repos.js";
import { refreshRepoConfig } from "./pr-check.js";

/** Reads and stores the config of a newly installed repo. */
export async function rememberRepo(octokit: Octokit, deps: AppDeps, repo: RepoName, installationId: number): Promise<void> {
  await refreshRepoConfig(octokit, deps, repo, installationId);
}

export function forgetRepos(deps: AppDeps, repos: RepoName[]): void {
  for (const repo of repos) forgetRepo(deps.db, repo);
}
