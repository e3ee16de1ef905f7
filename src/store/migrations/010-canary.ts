import type { Migration } from "./types.js";

/**
 * Deployments to the environments a repo lists under `canary_environments` or
 * `preview_environments`: which app_version (the deployment's ref, or
 * `payload.app_version`) carried which commit from when (docs/canary.md).
 * Kept apart from `deployments`, whose rows are production suspects.
 */
export const canary: Migration = {
  version: 10,
  name: "canary",
  sql: `
CREATE TABLE canary_deployments (
  repo          TEXT NOT NULL,
  deployment_id INTEGER NOT NULL,
  sha           TEXT NOT NULL,
  version       TEXT NOT NULL,
  environment   TEXT NOT NULL,
  deployed_at   TEXT NOT NULL,
  PRIMARY KEY (repo, deployment_id)
);
CREATE INDEX canary_deployments_by_version ON canary_deployments (repo, version, deployed_at);
CREATE INDEX canary_deployments_by_sha ON canary_deployments (repo, sha);

-- The canary judgement last written on a commit's guardrail check (the dashboard lists a day's).
CREATE TABLE canary_judgements (
  repo       TEXT NOT NULL,
  sha        TEXT NOT NULL,
  dataset    TEXT NOT NULL,
  ds         TEXT NOT NULL,
  status     TEXT NOT NULL,
  judgement  TEXT NOT NULL,
  judged_at  TEXT NOT NULL,
  PRIMARY KEY (repo, sha, dataset, ds)
);
CREATE INDEX canary_judgements_by_day ON canary_judgements (dataset, ds);
`,
};
