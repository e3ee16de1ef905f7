/**
 * `push`: keeps each repository's cached `.github/guardrail.yml` true to its default branch
 * (docs/github-app.md). The config is read from the default branch, so a push there that
 * changes the file refreshes the cache at once instead of at the next pull request event. The
 * owner's `.github` repository holds the fallback file of every repository without its own.
 */
import type { Probot } from "probot";
import type { AppDeps } from "./deps.js";
import { REPO_CONFIG_PATH } from "../config/repo-schema.js";
import { logGitHubError } from "../github/octokit.js";
import { refreshRepoConfig, type AppOptions } from "./pr-check.js";
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

export function registerPushHandler(app: Probot, deps: AppDeps, options: AppOptions = {}): void {
  app.on("push", async (context) => {
    const payload = context.payload;
    if (!pushChangesRepoConfig(payload)) return;
    const pushed = payload.repository.full_name;
    const log = options.log ?? context.log;
    const ownerRepos = reposOfOwner(deps.db, pushed.split("/")[0]).map((r) => r.repo);
    // One repository's failure is logged and never keeps the others on a stale config.
    for (const repo of reposToRefresh(pushed, ownerRepos)) {
      try {
        const result = await refreshRepoConfig(context.octokit, deps, repo, payload.installation?.id);
        if (result.ok) log.info({ repo, sha: payload.after }, `guardrail: ${REPO_CONFIG_PATH} of ${repo} reloaded after a push to ${pushed} ${payload.ref}`);
        else log.warn({ repo, sha: payload.after }, `guardrail: ${result.error}`);
      } catch (err) {
        logGitHubError(log, err, { repo, sha: payload.after, event: context.name, delivery: context.id }, "reloading the repo config after a push");
      }
    }
  });
}
