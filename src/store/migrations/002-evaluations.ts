import type { Migration } from "./types.js";

/**
 * Evaluation history (issue 4). Every evaluation is kept: the gate, the
 * dashboard and the alerts read the newest one, and the history shows how a
 * verdict evolved when a day was re-ingested or re-judged. `json` is the full
 * `guardrail evaluate --json` document; the columns beside it are for queries.
 */
export const evaluations: Migration = {
  version: 2,
  name: "evaluations",
  sql: `
CREATE TABLE evaluations (
  id           INTEGER PRIMARY KEY,
  dataset      TEXT NOT NULL,
  ds           TEXT NOT NULL,
  status       TEXT NOT NULL CHECK (status IN ('pass', 'warn', 'fail', 'no_data', 'inconclusive')),
  evaluated_at TEXT NOT NULL,
  summary      TEXT,
  json         TEXT NOT NULL
);
CREATE INDEX evaluations_by_day ON evaluations (dataset, ds, id);

CREATE TABLE verdicts (
  evaluation_id INTEGER NOT NULL REFERENCES evaluations (id) ON DELETE CASCADE,
  metric        TEXT NOT NULL,
  guardrail     INTEGER NOT NULL,
  enforced      INTEGER NOT NULL,
  verdict       TEXT NOT NULL CHECK (verdict IN ('pass', 'warn', 'fail', 'no_data', 'inconclusive')),
  observed      REAL,
  expected      REAL,
  lower         REAL,
  upper         REAL,
  change        REAL,
  z             REAL,
  numerator     REAL,
  denominator   REAL,
  baseline_days TEXT NOT NULL, -- JSON array of ds
  message       TEXT NOT NULL,
  segments      TEXT NOT NULL  -- JSON array, docs/cli.md segments
);
CREATE INDEX verdicts_by_evaluation ON verdicts (evaluation_id);
CREATE INDEX verdicts_by_metric ON verdicts (metric, evaluation_id);

CREATE TABLE version_verdicts (
  evaluation_id INTEGER NOT NULL REFERENCES evaluations (id) ON DELETE CASCADE,
  version       TEXT NOT NULL,
  metric        TEXT NOT NULL,
  verdict       TEXT NOT NULL CHECK (verdict IN ('pass', 'warn', 'fail', 'no_data', 'inconclusive')),
  observed      REAL,
  expected      REAL,
  change        REAL,
  z             REAL,
  denominator   REAL
);
CREATE INDEX version_verdicts_by_evaluation ON version_verdicts (evaluation_id);
`,
};
