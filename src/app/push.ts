/**
 * `push`: keeps each repository's cached `.github/guardrail.yml` true to its default branch
 * (docs/github-app.md). The config is read from the default branch, so a push there that
 * changes the file refreshes the cache at once instead of at the next pull request event. The
 * owner's `.github` repository holds the fallback file of every repository without its own.
 */
import type { AppDeps } from "./deps.js";
import { REPO_CONFIG_PATH } from "../config/repo-schema.js";
import { logGitHubError, type Octokit } from "../github/octokit.js";
import type { Log } from "../shared/log.js";
import { refreshRepoConfig } from "./pr-check.js";
import { reposOfOwner } from "../store/repos.js";

/** The fields of a push payload the decision reads. */
export interface PushSummary {
  ref: string;
  deleted?: boolean;
  forced?: boolean;
  repository: { default_branch?: string | null };
  commits?: { added?: string[]; removed?: string[]; modified?: string[] }[] | null;
  head_commit?: { added?: string[]; removed?: string[]; modified?: string[] } | null;
}

/** GitHub lists at most this many commits in a push payload; a longer push cannot be read from it. */
const PAYLOAD_COMMIT_LIMIT = 2048;

/**
 * Does this push change the repo config on the default branch? When the payload cannot tell
 * (a forced push, no commit listed, a truncated list), yes: one extra read costs less than a stale config.
 */
export function pushChangesRepoConfig(push: PushSummary): boolean {
  const branch = push.repository.default_branch;
  if (!branch || push.ref !== `refs/heads/${branch}` || push.deleted) return false;
  const commits = [...(push.commits ?? []), ...(push.head_commit ? [push.head_commit] : [])];
  if (push.forced || commits.length === 0 || (push.commits?.length ?? 0) >= PAYLOAD_COMMIT_LIMIT) return true;
  return commits.some((c) => [...(c.added ?? []), ...(c.modified ?? []), ...(c.removed ?? [])].includes(REPO_CONFIG_PATH));
}

/**
 * The repositories whose config this push may change: the pushed one, and when it is the owner's
 * `.github` repository (where Probot's config falls back to), every known repository of that owner.
 */
export function reposToRefresh(pushed: string, ownerRepos: string[]): string[] {
  const [owner, name] = pushed.split("/");
  if (name?.toLowerCase() !== ".github") return [pushed];
  return [pushed, ...ownerRepos.filter((r) => r.toLowerCase() !== pushed.toLowerCase() && r.split("/")[0].toLowerCase() === owner.toLowerCase())];
}

/**
 * Re-reads `.github/guardrail.yml` of every repository a push may change; false when it
 * changes none. One repository's failure is logged and never keeps the others on a stale config.
 */
export async function reloadConfigAfterPush(
  octokit: Octokit,
  deps: AppDeps,
  push: PushSummary & { repository: { full_name: string }; after?: string; installation?: { id: number } | null },
  log: Log,
  delivery: { name: string; id: string },
): Promise<boolean> {
  if (!pushChangesRepoConfig(push)) return false;
  const pushed = push.repository.full_name;
  const ownerRepos = reposOfOwner(deps.db, pushed.split("/")[0]).map((r) => r.repo);
  for (const repo of reposToRefresh(pushed, ownerRepos)) {
    try {
      const result = await refreshRepoConfig(octokit, deps, repo, push.installation?.id);
      if (result.ok) log.info(`guardrail: ${REPO_CONFIG_PATH} of ${repo} reloaded after a push to ${pushed} ${push.ref}`, { repo, sha: push.after });
      else log.warn(`guardrail: ${result.error}`, { repo, sha: push.after });
    } catch (err) {
      logGitHubError(log, err, { repo, sha: push.after, event: delivery.name, delivery: delivery.id }, "reloading the repo config after a push");
    }
  }
  return true;
}
