/** Pull request and check events: each (re)writes the `guardrail` check of one head SHA. */
import type { Probot } from "probot";
import type { AppDeps } from "../deps.js";
import { recordPrHead } from "../../store/repos.js";
import { writeWhenFree } from "../../store/busy.js";
import { CHECK_NAME } from "../../present/checks.js";
import { runGuardrailCheck, type AppOptions } from "../pr-check.js";
import { fromPino } from "../log.js";
import { guarded } from "./guard.js";

export function registerPullRequests(app: Probot, deps: AppDeps, options: AppOptions): void {
  app.on(["pull_request.opened", "pull_request.synchronize", "pull_request.reopened", "pull_request.ready_for_review"], async (context) => {
    const { pull_request: pr, repository, installation } = context.payload;
    const log = options.log ?? fromPino(context.log);
    // The head SHA from the payload is the PR's own commit, also for PRs from forks.
    const head = { number: pr.number, sha: pr.head.sha, title: pr.title, body: pr.body ?? null };
    await guarded(log, context, { repo: repository.full_name, sha: head.sha, pr: pr.number }, "the guardrail check", async () => {
      // What the PR's head was when: an override applies to the head its comment was written against.
      // The check does not read it, so the two go side by side; the write waits for an ingest child's lock without holding the event loop (src/store/busy.ts).
      await Promise.all([
        writeWhenFree(deps.db, () => recordPrHead(deps.db, repository.full_name, pr.number, head.sha, pr.updated_at)),
        runGuardrailCheck(context.octokit, deps, { repo: repository.full_name, sha: head.sha, pr: head, installationId: installation?.id }, { ...options, log }),
      ]);
    });
  });

  app.on(["check_run.rerequested", "check_run.requested_action"], async (context) => {
    const { check_run: run, repository, installation } = context.payload;
    if (run.name !== CHECK_NAME) return;
    if (context.payload.action === "requested_action" && context.payload.requested_action?.identifier !== "recheck") return;
    const log = options.log ?? fromPino(context.log);
    const what = context.payload.action === "requested_action" ? "the Recheck action" : "the rerequested guardrail check";
    await guarded(log, context, { repo: repository.full_name, sha: run.head_sha }, what, () =>
      runGuardrailCheck(context.octokit, deps, { repo: repository.full_name, sha: run.head_sha, pr: run.pull_requests[0]?.number ?? null, installationId: installation?.id }, { ...options, log }),
    );
  });

  app.on("check_suite.rerequested", async (context) => {
    const { check_suite: suite, repository, installation } = context.payload;
    const log = options.log ?? fromPino(context.log);
    await guarded(log, context, { repo: repository.full_name, sha: suite.head_sha }, "the rerequested check suite", () =>
      runGuardrailCheck(context.octokit, deps, { repo: repository.full_name, sha: suite.head_sha, pr: suite.pull_requests[0]?.number ?? null, installationId: installation?.id }, { ...options, log }),
    );
  });
}
