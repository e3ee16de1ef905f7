import type { Migration } from "./types.js";

/**
 * Channels become the visit's (docs/metrics.md, "Channels and visits"):
 * - `agg_website_events.m_visits`, the visits started in each slice (NULL on
 *   rows built before this version, until `guardrail reaggregate` rebuilds them);
 * - `raw_visits`, one row per raw block: the visit channel of each of its
 *   rows, as three ASCII digits per row (an index into `dict`) so the view
 *   reads row i's in constant time; a separate table, because updating a
 *   block would rewrite its whole body.
 * The raw views show the visit channel, or the event's own channel for
 * blocks staged before this version.
 */
export const visits: Migration = {
  version: 11,
  name: "visits",
  sql: `
ALTER TABLE agg_website_events ADD COLUMN m_visits INTEGER;
CREATE TABLE raw_visits (
  id    INTEGER PRIMARY KEY,
  dict  TEXT NOT NULL,
  codes BLOB NOT NULL
);
DROP VIEW published_events;
DROP VIEW fct_website_events;
CREATE VIEW fct_website_events AS
  SELECT p.id AS batch_id, b.line_base + (r.value ->> 0) AS line, r.value ->> 1 AS user_id, r.value ->> 2 AS logged_out_user_id,
    b.dict ->> (r.value ->> 4) AS dim_hostname,
    b.dict ->> (r.value ->> 5) AS dim_country,
    b.dict ->> (r.value ->> 6) AS dim_device_brand,
    b.dict ->> (r.value ->> 3) AS action_type,
    strftime('%Y-%m-%dT%H:%M:%fZ', (r.value ->> 8) / 1000.0, 'unixepoch') AS event_timestamp,
    r.value -> 9 AS other_properties,
    COALESCE(v.dict ->> CAST(CAST(substr(v.codes, r.key * 3 + 1, 3) AS TEXT) AS INTEGER), b.dict ->> (r.value ->> 7)) AS dim_channel,
    p.ds AS ds, p.dataset AS dataset, p.status AS status
  FROM partitions p
  JOIN raw_blocks b ON b.id >= p.id * 4294967296 AND b.id < (p.id + 1) * 4294967296
  LEFT JOIN raw_visits v ON v.id = b.id
  JOIN json_each(b.body) r ON r.type = 'array';
CREATE VIEW published_events AS
  SELECT batch_id, line, user_id, logged_out_user_id, dim_hostname, dim_country, dim_device_brand, action_type,
    event_timestamp, other_properties, dim_channel, ds, dataset
  FROM fct_website_events WHERE status = 'published';
`,
};
