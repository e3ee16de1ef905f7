/** Pull requests and commits: heads of open PRs, revert detection, the PRs behind a commit. */
import { parseRevertTargets, type RevertTargets, type SuspectPr } from "../suspects/index.js";
import { type Octokit } from "./octokit.js";
import { splitRepo } from "../shared/repo.js";

export interface PullHead {
  number: number;
  /** The head commit (fork-safe: the PR's own head SHA, not a branch lookup). */
  sha: string;
  title: string;
  body: string | null;
}

export async function getPullRequest(octokit: Octokit, fullName: string, number: number): Promise<PullHead> {
  const { data } = await octokit.rest.pulls.get({ ...splitRepo(fullName), pull_number: number });
  return { number: data.number, sha: data.head.sha, title: data.title, body: data.body ?? null };
}

export async function listOpenPullRequests(octokit: Octokit, fullName: string): Promise<PullHead[]> {
  const pulls = await octokit.paginate(octokit.rest.pulls.list, { ...splitRepo(fullName), state: "open", per_page: 100 });
  return pulls.map((p) => ({ number: p.number, sha: p.head.sha, title: p.title, body: p.body ?? null }));
}

/**
 * What a PR (by number) or a commit (by SHA) reverts: SHAs from "This reverts
 * commit <sha>", PR numbers and titles from `Revert "…"` / "Reverts o/r#12".
 */
export async function revertTargets(octokit: Octokit, fullName: string, ref: string | number | PullHead): Promise<RevertTargets> {
  const params = splitRepo(fullName);
  if (typeof ref === "string") {
    const { data } = await octokit.rest.repos.getCommit({ ...params, ref });
    return parseRevertTargets({ messages: [data.commit.message] });
  }
  const pr = typeof ref === "number" ? await getPullRequest(octokit, fullName, ref) : ref;
  const commits = await octokit.paginate(octokit.rest.pulls.listCommits, { ...params, pull_number: pr.number, per_page: 100 });
  return parseRevertTargets({ messages: commits.map((c) => c.commit.message), title: pr.title, body: pr.body });
}

/** The commit SHAs a PR (number) or commit (SHA) reverts. */
export async function revertedShas(octokit: Octokit, fullName: string, ref: string | number): Promise<string[]> {
  return (await revertTargets(octokit, fullName, ref)).shas;
}

export async function pullRequestsForCommit(octokit: Octokit, fullName: string, sha: string): Promise<SuspectPr[]> {
  const { data } = await octokit.rest.repos.listPullRequestsAssociatedWithCommit({ ...splitRepo(fullName), commit_sha: sha, per_page: 20 });
  return data.map((p) => ({ number: p.number, title: p.title, url: p.html_url, author: p.user?.login ?? null }));
}

/** A release tag, branch or short SHA → the full commit SHA. */
export async function resolveCommit(octokit: Octokit, fullName: string, ref: string): Promise<string> {
  const { data } = await octokit.rest.repos.getCommit({ ...splitRepo(fullName), ref });
  return data.sha;
}
