/** Pull requests and commits: heads of open PRs, the texts a revert is read from, the PRs behind a commit. */
import { type SuspectPr } from "../shared/types.js";
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

/** The texts that say what a change reverts (src/suspects parses them). */
export interface RevertTexts {
  messages: string[];
  title?: string | null;
  body?: string | null;
}

/** A commit's message (by SHA), or a PR's commit messages, title and body (by number or head). */
export async function revertTexts(octokit: Octokit, fullName: string, ref: string | number | PullHead): Promise<RevertTexts> {
  const params = splitRepo(fullName);
  if (typeof ref === "string") {
    const { data } = await octokit.rest.repos.getCommit({ ...params, ref });
    return { messages: [data.commit.message] };
  }
  const pr = typeof ref === "number" ? await getPullRequest(octokit, fullName, ref) : ref;
  const commits = await octokit.paginate(octokit.rest.pulls.listCommits, { ...params, pull_number: pr.number, per_page: 100 });
  return { messages: commits.map((c) => c.commit.message), title: pr.title, body: pr.body };
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
