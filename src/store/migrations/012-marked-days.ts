import type { Migration } from "./types.js";

/**
 * Days marked special with `guardrail mark` (docs/verdicts.md, "Known special
 * days"): never a baseline day, never failing by themselves. The newest mark
 * of a day wins; marks are kept, not overwritten, so the history shows who
 * said what when.
 */
export const markedDays: Migration = {
  version: 12,
  name: "marked-days",
  sql: `
CREATE TABLE marked_days (
  id        INTEGER PRIMARY KEY,
  dataset   TEXT NOT NULL,
  ds        TEXT NOT NULL,
  reason    TEXT NOT NULL,
  marked_at TEXT NOT NULL
);
CREATE INDEX marked_days_by_day ON marked_days (dataset, ds);
`,
};
