import type { Migration } from "./types.js";

/**
 * The heads each pull request has had, and since when (GitHub's clock, from
 * the pull_request events). `/guardrail override` applies to the head the PR
 * had when the comment was written, not to a commit pushed after it.
 * Append-only: a row is added only when the head changes, so a force-push
 * back to an earlier commit is a new row.
 */
export const prHeads: Migration = {
  version: 8,
  name: "pr-heads",
  sql: `
CREATE TABLE pr_heads (
  repo      TEXT NOT NULL,
  pr_number INTEGER NOT NULL,
  sha       TEXT NOT NULL,
  since     TEXT NOT NULL
);
CREATE INDEX pr_heads_by_pr ON pr_heads (repo, pr_number, since);
`,
};
