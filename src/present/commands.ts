/** What the bot answers to `/guardrail …` comments on PRs (src/app/commands.ts runs them). */
import { capText, mdCode } from "./neutralise.js";

export const HELP_TEXT = [
  "**Guardrail commands** (comment on a pull request):",
  "",
  "- `/guardrail recheck` — evaluate the guardrails again and update the `guardrail` check.",
  "- `/guardrail override <reason>` — let this PR's current head commit pass while a guardrail fails (merge freeze). Recorded with who, when and why; a new push needs a new override.",
  "- `/guardrail help` — this message.",
  "",
  "`recheck` and `override` need write, maintain or admin permission on the repository.",
].join("\n");

export function unknownCommandText(word: string, maxChars = 40): string {
  // The word is the commenter's: shown as code (inert), and short whatever they typed.
  return `I don't know ${mdCode(`/guardrail ${capText(word, maxChars)}`)}.\n\n${HELP_TEXT}`;
}

export function refusalText(user: string, command: "recheck" | "override"): string {
  return `Sorry @${user}, only people with write, maintain or admin permission on this repository can use \`/guardrail ${command}\`. A maintainer can run it for you.`;
}

export function missingReasonText(user: string): string {
  return `@${user}, an override needs a reason, e.g. \`/guardrail override the drop is the holiday, confirmed with the growth team\`. The reason is recorded and shown on the check.`;
}

/** The PR moved on between the comment and now: the override covers the head the commenter saw. */
export function newerHeadText(user: string, overridden: string, head: string): string {
  return (
    `@${user}, this override applies to ${overridden.slice(0, 7)}, the head of this pull request when you commented. ` +
    `${head.slice(0, 7)} was pushed after that and is checked on its own: if it should pass too, comment \`/guardrail override <reason>\` again.`
  );
}
