/** `/guardrail …` comments on pull requests. */
import type { Probot } from "probot";
import type { AppDeps } from "../deps.js";
import { parseCommand, runCommand } from "../commands.js";
import type { AppOptions } from "../pr-check.js";
import { fromPino } from "../log.js";
import { guarded } from "./guard.js";

export function registerCommands(app: Probot, deps: AppDeps, options: AppOptions): void {
  app.on("issue_comment.created", async (context) => {
    const { comment, issue, sender, repository, installation } = context.payload;
    // Bots (this app included) never drive commands; plain issues have no check to act on.
    if (sender.type === "Bot" || comment.user?.type === "Bot" || !issue.pull_request) return;
    const command = parseCommand(comment.body);
    if (!command) return;
    const log = options.log ?? fromPino(context.log);
    const c = { repo: repository.full_name, issueNumber: issue.number, commentId: comment.id, createdAt: comment.created_at, user: sender.login, installationId: installation?.id };
    await guarded(log, context, { repo: c.repo, pr: issue.number, user: c.user, command: command.kind }, `/guardrail ${command.kind}`, () =>
      runCommand(context.octokit, deps, command, c, { ...options, log }),
    );
  });
}
