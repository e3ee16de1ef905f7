/** Check runs: create `in_progress` then complete, or update the one already made for (repo, sha, name). */
import type { DB } from "../store/db.js";
import { forgetCheckRun, storeCheckRun, storedCheckRunId } from "../store/repos.js";
import { httpStatus, type Octokit } from "./octokit.js";
import { splitRepo } from "../shared/repo.js";
import { keyedLock } from "../shared/lock.js";
import { writeWhenFree } from "../store/busy.js";

export type { Conclusion } from "../shared/types.js";
import type { Conclusion } from "../shared/types.js";

export interface CheckRunContent {
  name: string;
  conclusion: Conclusion;
  title: string;
  summary: string;
  detailsUrl?: string | null;
  /** e.g. "default:2026-11-05" — which evaluation the run reflects. */
  externalId?: string;
  actions?: { label: string; description: string; identifier: string }[];
}

// Webhooks for one SHA can arrive together (synchronize + check_suite): never two creations of one run.
const withLock = keyedLock();

/** Writes the check run for `sha` and returns its id. GitHub errors are thrown to the caller. */
export function upsertCheckRun(octokit: Octokit, db: DB, fullName: string, sha: string, content: CheckRunContent): Promise<number> {
  return withLock(`${fullName}\n${sha}\n${content.name}`, async () => {
    const params = splitRepo(fullName);
    const completed = {
      status: "completed" as const,
      conclusion: content.conclusion,
      completed_at: new Date().toISOString(),
      ...(content.detailsUrl ? { details_url: content.detailsUrl } : {}),
      ...(content.externalId ? { external_id: content.externalId } : {}),
      output: { title: content.title, summary: content.summary },
      ...(content.actions ? { actions: content.actions } : {}),
    };
    const known = storedCheckRunId(db, fullName, sha, content.name);
    if (known !== null) {
      try {
        await octokit.rest.checks.update({ ...params, check_run_id: known, ...completed });
        await writeWhenFree(db, () => storeCheckRun(db, { repo: fullName, sha, name: content.name, checkRunId: known, conclusion: content.conclusion, evaluation: content.externalId }));
        return known;
      } catch (err) {
        // The run is gone (deleted repo data, reinstalled app): make a new one.
        if (httpStatus(err) !== 404) throw err;
        await writeWhenFree(db, () => forgetCheckRun(db, fullName, sha, content.name));
      }
    }
    const created = await octokit.rest.checks.create({
      ...params,
      name: content.name,
      head_sha: sha,
      status: "in_progress",
      started_at: new Date().toISOString(),
      ...(content.detailsUrl ? { details_url: content.detailsUrl } : {}),
      ...(content.externalId ? { external_id: content.externalId } : {}),
    });
    const id = created.data.id;
    // Stored writes wait for the ingest child's lock without holding the event loop (src/store/busy.ts);
    // the run's id is remembered while GitHub completes it, and is kept even if that fails.
    const remembered = writeWhenFree(db, () => storeCheckRun(db, { repo: fullName, sha, name: content.name, checkRunId: id, evaluation: content.externalId }));
    try {
      await octokit.rest.checks.update({ ...params, check_run_id: id, ...completed });
    } finally {
      await remembered;
    }
    await writeWhenFree(db, () => storeCheckRun(db, { repo: fullName, sha, name: content.name, checkRunId: id, conclusion: content.conclusion }));
    return id;
  });
}
