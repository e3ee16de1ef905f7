import type { Migration } from "./types.js";

/**
 * Write-audit-publish tables. Every ingest attempt is a row of `partitions`
 * (a batch); its raw rows, aggregate rows, checks, rejects and metric values
 * carry its id. Publishing a batch is a status flip in one transaction, so a
 * crash at any point leaves the previously published batch of that ds intact.
 */
export const core: Migration = {
  version: 1,
  name: "core",
  sql: `
CREATE TABLE partitions (
  id            INTEGER PRIMARY KEY,
  dataset       TEXT NOT NULL,
  ds            TEXT NOT NULL,
  kind          TEXT NOT NULL CHECK (kind IN ('raw', 'agg')),
  status        TEXT NOT NULL CHECK (status IN ('staged', 'published', 'rejected', 'replaced')),
  rows_read     INTEGER NOT NULL DEFAULT 0,
  rows_loaded   INTEGER NOT NULL DEFAULT 0,
  rows_rejected INTEGER NOT NULL DEFAULT 0,
  duplicates    INTEGER NOT NULL DEFAULT 0,
  source_file   TEXT,
  checksum      TEXT,
  ingested_at   TEXT NOT NULL,
  published_at  TEXT,
  raw_expired   INTEGER NOT NULL DEFAULT 0,
  result_json   TEXT,
  -- The process that is staging this batch, so a later ingest can tell an abandoned attempt from a live one.
  owner_pid     INTEGER
);
-- At most one published batch per day: the invariant readers rely on.
CREATE UNIQUE INDEX partitions_one_published ON partitions (dataset, ds) WHERE status = 'published';
CREATE INDEX partitions_by_day ON partitions (dataset, ds, status);

-- Raw rows, stored compactly because staging 2M rows a day is the ingest's main cost:
-- the rowid is batch_id · 2^32 + sequence, so a batch is one rowid range (no index to
-- maintain); the five dimensions are codes into raw_values (per batch); the timestamp is
-- epoch ms; other_properties is the JSON text of the string map. Readers use the
-- fct_website_events / published_events views, which decode the docs/ingest.md columns.
CREATE TABLE raw_events (
  id                 INTEGER PRIMARY KEY,
  line               INTEGER NOT NULL,
  user_id            INTEGER,
  logged_out_user_id INTEGER NOT NULL,
  action_code        INTEGER NOT NULL,
  hostname_code      INTEGER NOT NULL,
  country_code       INTEGER NOT NULL,
  device_code        INTEGER,
  channel_code       INTEGER NOT NULL,
  event_ms           INTEGER NOT NULL,
  other_properties   TEXT
);
CREATE TABLE raw_values (
  batch_id INTEGER NOT NULL,
  code     INTEGER NOT NULL,
  value    TEXT NOT NULL,
  PRIMARY KEY (batch_id, code)
) WITHOUT ROWID;

CREATE TABLE agg_website_events (
  batch_id           INTEGER NOT NULL,
  ds                 TEXT NOT NULL,
  aggregation_level  TEXT NOT NULL,
  action_type        TEXT,
  logged_out_user_id INTEGER,
  dim_hostname       TEXT,
  dim_country        TEXT,
  dim_device_brand   TEXT,
  dim_channel        TEXT,
  dim_product_type   TEXT,
  dim_app_version    TEXT,
  event_hour         INTEGER,
  m_total_events     INTEGER NOT NULL,
  m_unique_visitors  INTEGER NOT NULL,
  m_unique_users     INTEGER NOT NULL
);
CREATE INDEX agg_website_events_batch ON agg_website_events (batch_id, aggregation_level);

CREATE TABLE quality_results (
  batch_id   INTEGER NOT NULL,
  name       TEXT NOT NULL,
  table_name TEXT NOT NULL,
  severity   TEXT NOT NULL,
  status     TEXT NOT NULL CHECK (status IN ('pass', 'warn', 'fail', 'skipped')),
  observed   TEXT,
  threshold  TEXT,
  message    TEXT NOT NULL
);
CREATE INDEX quality_results_batch ON quality_results (batch_id);

CREATE TABLE rejects (
  batch_id INTEGER NOT NULL,
  line     INTEGER NOT NULL,
  reason   TEXT NOT NULL
);
CREATE INDEX rejects_batch ON rejects (batch_id);

-- One row per metric (dimension '' = the day's total) so baselines never rescan events.
CREATE TABLE metric_values (
  batch_id    INTEGER NOT NULL,
  dataset     TEXT NOT NULL,
  ds          TEXT NOT NULL,
  metric      TEXT NOT NULL,
  dimension   TEXT NOT NULL DEFAULT '',
  value_key   TEXT NOT NULL DEFAULT '',
  value       REAL,
  numerator   REAL,
  denominator REAL
);
CREATE INDEX metric_values_lookup ON metric_values (dataset, metric, dimension, ds);
CREATE INDEX metric_values_batch ON metric_values (batch_id);

-- Only published batches: what every reader should use.
-- Every raw row (staged ones too) with the docs/ingest.md columns.
CREATE VIEW fct_website_events AS
  SELECT p.id AS batch_id, e.line, e.user_id, e.logged_out_user_id,
    (SELECT value FROM raw_values v WHERE v.batch_id = p.id AND v.code = e.hostname_code) AS dim_hostname,
    (SELECT value FROM raw_values v WHERE v.batch_id = p.id AND v.code = e.country_code) AS dim_country,
    (SELECT value FROM raw_values v WHERE v.batch_id = p.id AND v.code = e.device_code) AS dim_device_brand,
    (SELECT value FROM raw_values v WHERE v.batch_id = p.id AND v.code = e.action_code) AS action_type,
    strftime('%Y-%m-%dT%H:%M:%fZ', e.event_ms / 1000.0, 'unixepoch') AS event_timestamp,
    e.other_properties,
    (SELECT value FROM raw_values v WHERE v.batch_id = p.id AND v.code = e.channel_code) AS dim_channel,
    p.ds AS ds, p.dataset AS dataset, p.status AS status
  FROM partitions p JOIN raw_events e ON e.id >= p.id * 4294967296 AND e.id < (p.id + 1) * 4294967296;
CREATE VIEW published_events AS
  SELECT batch_id, line, user_id, logged_out_user_id, dim_hostname, dim_country, dim_device_brand, action_type,
    event_timestamp, other_properties, dim_channel, ds, dataset
  FROM fct_website_events WHERE status = 'published';
CREATE VIEW published_agg AS
  SELECT a.*, p.dataset FROM agg_website_events a JOIN partitions p ON p.id = a.batch_id WHERE p.status = 'published';
CREATE VIEW published_metrics AS
  SELECT m.* FROM metric_values m JOIN partitions p ON p.id = m.batch_id WHERE p.status = 'published';
`,
};
