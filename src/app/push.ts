/**
 * `push`: keeps each repository's cached `.github/guardrail.yml` true to its default branch
 * (docs/github-app.md). The config is read from the default branch, so a push there that
 * changes the file refreshes the cache at once instead of at the next pull request event.
 */
import type { Probot } from "probot";
import type { AppDeps } from "./deps.js";
import { REPO_CONFIG_PATH } from "../config/repo-schema.js";
import { logGitHubError } from "../github/octokit.js";
import { refreshRepoConfig, type AppOptions } from "./pr-check.js";

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

export function registerPushHandler(app: Probot, deps: AppDeps, options: AppOptions = {}): void {
  app.on("push", async (context) => {
    const payload = context.payload;
    if (!pushChangesRepoConfig(payload)) return;
    const repo = payload.repository.full_name;
    const log = options.log ?? context.log;
    try {
      const result = await refreshRepoConfig(context.octokit, deps, repo, payload.installation?.id);
      if (result.ok) log.info({ repo, sha: payload.after }, `guardrail: ${REPO_CONFIG_PATH} of ${repo} reloaded from ${payload.ref}`);
      else log.warn({ repo, sha: payload.after }, `guardrail: ${result.error}`);
    } catch (err) {
      logGitHubError(log, err, { repo, sha: payload.after, event: context.name, delivery: context.id }, "reloading the repo config after a push");
    }
  });
}
