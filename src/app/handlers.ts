/**
 * Webhook handlers of the GitHub app. Thin: each picks the SHA/PR out of the
 * payload and calls pr-check.ts / the store / src/github. Every handler
 * catches and logs its own errors with context, so one repo's 403/404/422/5xx
 * never crashes the process or blocks the next delivery.
 */
import type { Probot } from "probot";
import type { AppDeps } from "./deps.js";
import { logGitHubError, type Log, type Octokit } from "../github/octokit.js";
import { canMaintain, react, reply } from "../github/comments.js";
import { getPullRequest } from "../github/pulls.js";
import { forgetRepo, getRepo, prHeadAt, recordOverride, recordPrHead } from "../store/repos.js";
import { recordDeployment } from "../suspects/index.js";
import { recordCanaryDeployment } from "../store/canary.js";
import { deploymentVersion, isCanaryEnvironment } from "../canary/traffic.js";
import { HELP_TEXT, missingReasonText, newerHeadText, parseCommand, refusalText, unknownCommandText } from "./commands.js";
import { CHECK_NAME } from "./check-content.js";
import { refreshRepoConfig, runGuardrailCheck, type AppOptions } from "./pr-check.js";

interface Ctx {
  log: Log;
  name: string;
  id: string;
}

export function registerAppHandlers(app: Probot, deps: AppDeps, options: AppOptions = {}): void {
  const guarded = async (context: Ctx, info: Record<string, unknown>, what: string, fn: () => Promise<void>): Promise<void> => {
    try {
      await fn();
    } catch (err) {
      logGitHubError(options.log ?? context.log, err, { ...info, event: context.name, delivery: context.id }, what);
    }
  };
  const check = (octokit: Octokit, log: Log, req: Parameters<typeof runGuardrailCheck>[2]) =>
    runGuardrailCheck(octokit, deps, req, { ...options, log: options.log ?? log });

  app.on(["pull_request.opened", "pull_request.synchronize", "pull_request.reopened", "pull_request.ready_for_review"], async (context) => {
    const pr = context.payload.pull_request;
    const repo = context.payload.repository.full_name;
    // The head SHA from the payload is the PR's own commit, also for PRs from forks.
    const head = { number: pr.number, sha: pr.head.sha, title: pr.title, body: pr.body ?? null };
    await guarded(context, { repo, sha: head.sha, pr: pr.number }, "the guardrail check", async () => {
      // What the PR's head was when: an override applies to the head its comment was written against.
      recordPrHead(deps.db, repo, pr.number, head.sha, pr.updated_at);
      await check(context.octokit, context.log, { repo, sha: head.sha, pr: head, installationId: context.payload.installation?.id });
    });
  });

  app.on("check_run.rerequested", async (context) => {
    const run = context.payload.check_run;
    const repo = context.payload.repository.full_name;
    if (run.name !== CHECK_NAME) return;
    await guarded(context, { repo, sha: run.head_sha }, "the rerequested guardrail check", async () => {
      await check(context.octokit, context.log, { repo, sha: run.head_sha, pr: run.pull_requests[0]?.number ?? null, installationId: context.payload.installation?.id });
    });
  });

  app.on("check_run.requested_action", async (context) => {
    const run = context.payload.check_run;
    const repo = context.payload.repository.full_name;
    if (run.name !== CHECK_NAME || context.payload.requested_action?.identifier !== "recheck") return;
    await guarded(context, { repo, sha: run.head_sha }, "the Recheck action", async () => {
      await check(context.octokit, context.log, { repo, sha: run.head_sha, pr: run.pull_requests[0]?.number ?? null, installationId: context.payload.installation?.id });
    });
  });

  app.on("check_suite.rerequested", async (context) => {
    const suite = context.payload.check_suite;
    const repo = context.payload.repository.full_name;
    await guarded(context, { repo, sha: suite.head_sha }, "the rerequested check suite", async () => {
      await check(context.octokit, context.log, { repo, sha: suite.head_sha, pr: suite.pull_requests[0]?.number ?? null, installationId: context.payload.installation?.id });
    });
  });

  app.on("issue_comment.created", async (context) => {
    const { comment, issue, sender } = context.payload;
    const repo = context.payload.repository.full_name;
    // Bots (this app included) never drive commands; plain issues have no check to act on.
    if (sender.type === "Bot" || comment.user?.type === "Bot" || !issue.pull_request) return;
    const command = parseCommand(comment.body);
    if (!command) return;
    const user = sender.login;
    await guarded(context, { repo, pr: issue.number, user, command: command.kind }, `/guardrail ${command.kind}`, async () => {
      const octokit = context.octokit;
      if (command.kind === "help") {
        await react(octokit, repo, comment.id, "+1");
        await reply(octokit, repo, issue.number, HELP_TEXT);
        return;
      }
      const maintainer = await canMaintain(octokit, repo, user);
      if (command.kind === "unknown") {
        await react(octokit, repo, comment.id, "confused");
        // Only people who may run commands get the explanation: anyone else could make the bot post at will.
        if (maintainer) await reply(octokit, repo, issue.number, unknownCommandText(command.word));
        return;
      }
      if (!maintainer) {
        await react(octokit, repo, comment.id, "confused");
        await reply(octokit, repo, issue.number, refusalText(user, command.kind));
        return;
      }
      if (command.kind === "override" && !command.reason) {
        await react(octokit, repo, comment.id, "confused");
        await reply(octokit, repo, issue.number, missingReasonText(user));
        return;
      }
      await react(octokit, repo, comment.id, command.kind === "recheck" ? "eyes" : "+1");
      const pr = await getPullRequest(octokit, repo, issue.number);
      const installationId = context.payload.installation?.id;
      if (command.kind === "override") {
        // A commit pushed after the comment was written is not what the maintainer vouched for.
        const seen = prHeadAt(deps.db, repo, pr.number, comment.created_at)?.sha ?? pr.sha;
        recordOverride(deps.db, { repo, prNumber: pr.number, sha: seen, actor: user, reason: command.reason });
        if (seen !== pr.sha) {
          await reply(octokit, repo, issue.number, newerHeadText(user, seen, pr.sha));
          await check(octokit, context.log, { repo, sha: seen, pr: null, installationId });
        }
      }
      await check(octokit, context.log, { repo, sha: pr.sha, pr, installationId });
    });
  });

  app.on("deployment_status.created", async (context) => {
    const { deployment, deployment_status: status } = context.payload;
    const repo = context.payload.repository.full_name;
    if (status.state !== "success") return;
    await guarded(context, { repo, sha: deployment.sha }, "recording the deployment", async () => {
      const known = getRepo(deps.db, repo);
      const cfgResult = known && !known.configError ? { ok: true as const, config: known.config } : await refreshRepoConfig(context.octokit, deps, repo, context.payload.installation?.id);
      const envs = cfgResult.ok ? cfgResult.config.production_environments : ["production"];
      const environment = status.environment ?? deployment.environment;
      const deployedAt = new Date(status.created_at).toISOString();
      if (cfgResult.ok && isCanaryEnvironment(cfgResult.config, environment)) {
        // A canary / preview build: which app_version its events carry (docs/canary.md).
        const version = deploymentVersion(deployment.payload, deployment.ref ?? null, deployment.sha);
        recordCanaryDeployment(deps.db, { repo, deploymentId: deployment.id, sha: deployment.sha, version, environment, deployedAt });
      }
      if (!envs.includes(environment)) return;
      recordDeployment(deps.db, {
        repo,
        deploymentId: deployment.id,
        sha: deployment.sha,
        ref: deployment.ref ?? null,
        environment,
        deployedAt,
        source: "webhook",
      });
    });
  });

  // Knowing every installed repo up front lets background jobs fan out before any PR event.
  const remember = async (context: Ctx & { octokit: Octokit }, installationId: number, repos: { full_name: string }[]) => {
    for (const r of repos) {
      await guarded(context, { repo: r.full_name }, "reading the repo config", async () => {
        await refreshRepoConfig(context.octokit, deps, r.full_name, installationId);
      });
    }
  };
  app.on("installation.created", async (context) => {
    await remember(context, context.payload.installation.id, context.payload.repositories ?? []);
  });
  app.on("installation_repositories.added", async (context) => {
    await remember(context, context.payload.installation.id, context.payload.repositories_added);
  });
  app.on("installation_repositories.removed", async (context) => {
    for (const r of context.payload.repositories_removed) forgetRepo(deps.db, r.full_name);
  });
  app.on("installation.deleted", async (context) => {
    for (const r of context.payload.repositories ?? []) forgetRepo(deps.db, r.full_name);
  });
}
