import type { Migration } from "./types.js";

/**
 * Tables of the GitHub app (issue 5). `repo` is always the full name
 * "owner/name" (lower-cased identity would break display, so it is stored as
 * GitHub spells it and compared as such).
 */
export const github: Migration = {
  version: 3,
  name: "github",
  sql: `
-- Which dataset each installed repo watches, so background jobs can fan out
-- without a webhook in hand. Refreshed whenever the app reads the repo config.
CREATE TABLE repos (
  repo            TEXT PRIMARY KEY,
  installation_id INTEGER,
  dataset         TEXT NOT NULL DEFAULT 'default',
  config_json     TEXT,
  config_error    TEXT,
  updated_at      TEXT NOT NULL
);
CREATE INDEX repos_by_dataset ON repos (dataset);

-- Successful production deployments (from deployment_status or the API): the suspects' source.
CREATE TABLE deployments (
  repo          TEXT NOT NULL,
  deployment_id INTEGER NOT NULL,
  sha           TEXT NOT NULL,
  ref           TEXT,
  environment   TEXT NOT NULL,
  deployed_at   TEXT NOT NULL,
  source        TEXT NOT NULL CHECK (source IN ('webhook', 'api')),
  PRIMARY KEY (repo, deployment_id)
);
CREATE INDEX deployments_by_time ON deployments (repo, deployed_at);

-- "/guardrail override <reason>": who, when, why, for which PR head.
CREATE TABLE overrides (
  id         INTEGER PRIMARY KEY,
  repo       TEXT NOT NULL,
  pr_number  INTEGER NOT NULL,
  sha        TEXT NOT NULL,
  actor      TEXT NOT NULL,
  reason     TEXT NOT NULL,
  created_at TEXT NOT NULL
);
CREATE INDEX overrides_by_sha ON overrides (repo, sha);

-- One check run per (repo, sha, name): a redelivered webhook updates it instead of adding another.
CREATE TABLE check_runs (
  repo         TEXT NOT NULL,
  sha          TEXT NOT NULL,
  name         TEXT NOT NULL,
  check_run_id INTEGER NOT NULL,
  conclusion   TEXT,
  evaluation   TEXT,
  updated_at   TEXT NOT NULL,
  PRIMARY KEY (repo, sha, name)
);

-- Suspect commits named for a failing day (and the PRs that brought them in).
CREATE TABLE suspects (
  repo        TEXT NOT NULL,
  dataset     TEXT NOT NULL,
  ds          TEXT NOT NULL,
  sha         TEXT NOT NULL,
  ref         TEXT,
  reason      TEXT NOT NULL,
  evidence    TEXT NOT NULL,
  prs_json    TEXT NOT NULL DEFAULT '[]',
  recorded_at TEXT NOT NULL,
  PRIMARY KEY (repo, dataset, ds, sha)
);
`,
};
