/** `/guardrail …` comments on PRs: parsing and the texts the bot answers with. Pure. */
import { capText, mdCode } from "../present/neutralise.js";

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

export const HELP_TEXT = [
  "**Guardrail commands** (comment on a pull request):",
  "",
  "- `/guardrail recheck` — evaluate the guardrails again and update the `guardrail` check.",
  "- `/guardrail override <reason>` — let this PR's current head commit pass while a guardrail fails (merge freeze). Recorded with who, when and why; a new push needs a new override.",
  "- `/guardrail help` — this message.",
  "",
  "`recheck` and `override` need write, maintain or admin permission on the repository.",
].join("\n");

/** Longest command word or override reason taken from a comment. */
export const MAX_WORD_CHARS = 40;
export const MAX_REASON_CHARS = 500;

export function unknownCommandText(word: string): string {
  // The word is the commenter's: shown as code (inert), and short whatever they typed.
  return `I don't know ${mdCode(`/guardrail ${capText(word, MAX_WORD_CHARS)}`)}.\n\n${HELP_TEXT}`;
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
