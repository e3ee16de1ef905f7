import type { Migration } from "./types.js";

/**
 * Incident state of the alerts (issue 9): one row per target + dataset + kind.
 * `repo` is "owner/name" for an incident issue, or '' for the dataset's chat
 * channel (chat messages follow the same open/close lifecycle, once per dataset).
 * `last_ds` is the last day reported (opening day or a daily comment), so a
 * re-evaluation of the same day never reports twice; `data_ds` is the newest
 * published ds when a stale incident opened (newer data closes it).
 */
export const alerts: Migration = {
  version: 6,
  name: "alerts",
  sql: `
CREATE TABLE incidents (
  repo         TEXT NOT NULL,
  dataset      TEXT NOT NULL,
  kind         TEXT NOT NULL CHECK (kind IN ('breach', 'audit_failed', 'stale')),
  state        TEXT NOT NULL CHECK (state IN ('open', 'closed')),
  issue_number INTEGER,
  opened_ds    TEXT NOT NULL,
  last_ds      TEXT NOT NULL,
  data_ds      TEXT,
  opened_at    TEXT NOT NULL,
  updated_at   TEXT NOT NULL,
  closed_at    TEXT,
  PRIMARY KEY (repo, dataset, kind)
);
`,
};
