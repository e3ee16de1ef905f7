import type { Migration } from "./types.js";

/**
 * Tables of the deploy gate (issue 6).
 *
 * `protection_rule_requests`: one row per (repo, workflow run, environment).
 * GitHub sends `deployment_protection_rule.requested` again with the same
 * run_id when a run is re-run, so a new request updates the row instead of
 * adding one. `state` is what we last told GitHub:
 *   pending   — GitHub still waits for our answer (not answered yet, or the answer failed to send)
 *   approved  — answered approved; nothing more to do
 *   rejected  — answered rejected; the job failed. Once the gate opens the
 *               run's failed jobs are re-run (GitHub then asks again)
 *   rerun     — re-run requested; waiting for GitHub's new request
 *   superseded — a newer request for the same repo + environment exists, so
 *               re-running this one would deploy an older commit: left alone
 *   rerun_failed — the re-run call failed (e.g. the app lacks actions: write)
 *   gone      — GitHub no longer waits (run cancelled or answered elsewhere)
 */
export const gate: Migration = {
  version: 4,
  name: "gate",
  sql: `
CREATE TABLE protection_rule_requests (
  id              INTEGER PRIMARY KEY,
  repo            TEXT NOT NULL,
  installation_id INTEGER,
  run_id          INTEGER NOT NULL,
  environment     TEXT NOT NULL,
  callback_url    TEXT NOT NULL,
  sha             TEXT NOT NULL,
  dataset         TEXT NOT NULL,
  requested_at    TEXT NOT NULL,
  state           TEXT NOT NULL DEFAULT 'pending'
                  CHECK (state IN ('pending', 'approved', 'rejected', 'rerun', 'superseded', 'rerun_failed', 'gone')),
  gate_state      TEXT,
  answered_at     TEXT,
  comment         TEXT,
  attempts        INTEGER NOT NULL DEFAULT 0,
  last_error      TEXT,
  UNIQUE (repo, run_id, environment)
);
CREATE INDEX protection_rule_requests_open ON protection_rule_requests (dataset, state);

-- The last guardrail/deploy status we set per (repo, sha): skip identical re-posts.
CREATE TABLE deploy_statuses (
  repo        TEXT NOT NULL,
  sha         TEXT NOT NULL,
  state       TEXT NOT NULL,
  description TEXT NOT NULL,
  updated_at  TEXT NOT NULL,
  PRIMARY KEY (repo, sha)
);
`,
};
