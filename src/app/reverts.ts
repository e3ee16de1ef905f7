/** What a commit or PR reverts: the texts from GitHub (src/github/pulls.ts, deploy.ts), parsed by src/suspects. */
import { parseRevertTargets, type RevertTargets } from "../suspects/index.js";
import { revertTexts, type PullHead } from "../github/pulls.js";
import { commitMessage } from "../github/deploy.js";
import type { Octokit } from "../github/octokit.js";
import type { RepoName } from "../shared/types.js";

/** SHAs, PR numbers and titles a PR (number or head) or a commit (SHA) reverts. */
export async function revertTargets(octokit: Octokit, repo: RepoName, ref: string | number | PullHead): Promise<RevertTargets> {
  return parseRevertTargets(await revertTexts(octokit, repo, ref));
}

/** The commit SHAs a PR (number) or commit (SHA) reverts. */
export async function revertedShas(octokit: Octokit, repo: RepoName, ref: string | number): Promise<string[]> {
  return (await revertTargets(octokit, repo, ref)).shas;
}

/** The commits `sha` reverts, from its message alone (the deploy gate's question). */
export async function commitReverts(octokit: Octokit, repo: RepoName, sha: string): Promise<string[]> {
  return parseRevertTargets({ messages: [await commitMessage(octokit, repo, sha)] }).shas;
}
