import type { Migration } from "./types.js";

/**
 * A published day may be marked partial (docs/ingest.md, "Completeness"):
 * published with --allow-partial although it failed only completeness, or
 * before its day had ended. `partial_reason` says why; NULL is a complete day.
 * A partial day is never a baseline day and its verdicts are inconclusive.
 * An upload may ask for it (`allow_partial=true`): the job keeps that wish.
 */
export const partialDays: Migration = {
  version: 13,
  name: "partial-days",
  sql: `
ALTER TABLE partitions ADD COLUMN partial_reason TEXT;
ALTER TABLE jobs ADD COLUMN allow_partial INTEGER NOT NULL DEFAULT 0;
`,
};
