/**
 * `/guardrail …` comments on PRs: parsing, permission, the answer, and the
 * recheck or override they ask for. The texts are in src/present/commands.ts.
 */
import type { AppDeps } from "./deps.js";
import type { RepoName } from "../shared/types.js";
import type { Octokit } from "../github/octokit.js";
import { canMaintain, react, reply } from "../github/comments.js";
import { getPullRequest } from "../github/pulls.js";
import { prHeadAt, recordOverride } from "../store/repos.js";
import { HELP_TEXT, missingReasonText, newerHeadText, refusalText, unknownCommandText } from "../present/commands.js";
import { runGuardrailCheck, type AppOptions } from "./pr-check.js";
import { capText } from "../present/neutralise.js";

/** Longest command word or override reason taken from a comment. */
export const MAX_WORD_CHARS = 40;
export const MAX_REASON_CHARS = 500;

export type Command =
  | { kind: "recheck" }
  | { kind: "override"; reason: string }
  | { kind: "help" }
  | { kind: "unknown"; word: string };

/** The first line that starts with `/guardrail`, or null when the comment is not a command. */
export function parseCommand(body: string | null | undefined): Command | null {
  if (!body) return null;
  for (const raw of body.split(/\r?\n/)) {
    const line = raw.trim();
    const m = /^\/guardrail(?:\s+(\S+))?(?:\s+([\s\S]*))?$/i.exec(line);
    if (!m) continue;
    const word = (m[1] ?? "help").toLowerCase();
    const rest = (m[2] ?? "").trim();
    if (word === "recheck") return { kind: "recheck" };
    if (word === "override") return { kind: "override", reason: capText(rest.replace(/\s+/g, " "), MAX_REASON_CHARS) };
    if (word === "help") return { kind: "help" };
    return { kind: "unknown", word: m[1] ?? "" };
  }
  return null;
}
export interface CommandComment {
  repo: RepoName;
  /** The PR number (commands on plain issues are ignored by the handler). */
  issueNumber: number;
  commentId: number;
  /** ISO time the comment was written: an override covers the head the commenter saw. */
  createdAt: string;
  user: string;
  installationId?: number | null;
}

/** Answers one command: help and unknown words for anyone; recheck and override for maintainers only. */
export async function runCommand(octokit: Octokit, deps: AppDeps, command: Command, c: CommandComment, options: AppOptions = {}): Promise<void> {
  const { repo, issueNumber, user } = c;
  if (command.kind === "help") {
    await react(octokit, repo, c.commentId, "+1");
    await reply(octokit, repo, issueNumber, HELP_TEXT);
    return;
  }
  const maintainer = await canMaintain(octokit, repo, user);
  if (command.kind === "unknown") {
    await react(octokit, repo, c.commentId, "confused");
    // Only people who may run commands get the explanation: anyone else could make the bot post at will.
    if (maintainer) await reply(octokit, repo, issueNumber, unknownCommandText(command.word, MAX_WORD_CHARS));
    return;
  }
  if (!maintainer) {
    await react(octokit, repo, c.commentId, "confused");
    await reply(octokit, repo, issueNumber, refusalText(user, command.kind));
    return;
  }
  if (command.kind === "override" && !command.reason) {
    await react(octokit, repo, c.commentId, "confused");
    await reply(octokit, repo, issueNumber, missingReasonText(user));
    return;
  }
  await react(octokit, repo, c.commentId, command.kind === "recheck" ? "eyes" : "+1");
  const pr = await getPullRequest(octokit, repo, issueNumber);
  const installationId = c.installationId;
  if (command.kind === "override") {
    // A commit pushed after the comment was written is not what the maintainer vouched for.
    const seen = prHeadAt(deps.db, repo, pr.number, c.createdAt)?.sha ?? pr.sha;
    recordOverride(deps.db, { repo, prNumber: pr.number, sha: seen, actor: user, reason: command.reason });
    if (seen !== pr.sha) {
      await reply(octokit, repo, issueNumber, newerHeadText(user, seen, pr.sha));
      await runGuardrailCheck(octokit, deps, { repo, sha: seen, pr: null, installationId }, options);
    }
  }
  await runGuardrailCheck(octokit, deps, { repo, sha: pr.sha, pr, installationId }, options);
}
