/** Reads `.github/guardrail.yml` from the repo's default branch (same plugin as Probot's `context.config`). */
import { invalidRepoYaml, parseRepoConfig, REPO_CONFIG_PATH, type RepoConfigResult } from "../config/repo-schema.js";
import { type Octokit } from "./octokit.js";
import { splitRepo } from "../shared/repo.js";

/**
 * The validated repo config: defaults when the file is missing, an error
 * sentence when it is not valid YAML or breaks the schema. Other API errors
 * (403, 5xx) are thrown for the caller to log.
 */
export async function fetchRepoConfig(octokit: Octokit, fullName: string): Promise<RepoConfigResult> {
  let raw: unknown = null;
  try {
    const { files } = await octokit.config.get({ ...splitRepo(fullName), path: REPO_CONFIG_PATH });
    // The repo's own file first, else the owner's `.github` repo (Probot's convention).
    raw = files.find((f) => f.config !== null)?.config ?? null;
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    if (message.includes("could not be parsed") || message.includes("is not an object"))
      return { ok: false, error: invalidRepoYaml(REPO_CONFIG_PATH, message.replace(/^\[@probot\/octokit-plugin-config\]\s*/, "")) };
    throw err;
  }
  return parseRepoConfig(raw);
}
