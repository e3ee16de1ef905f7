import type { Migration } from "./types.js";

/**
 * Raw rows move from one SQLite row per event (raw_events + raw_values) to
 * blocks of rows (raw_blocks; the format is described in ../raw-blocks.ts):
 * per-row B-tree inserts were the ingest's main cost. Existing rows are
 * converted, 1024 rows to a block with the batch's whole value dictionary
 * (its codes are dense from 0, as the ingest wrote them), so nothing
 * staged or published is lost. The views keep their columns.
 */
export const rawBlocks: Migration = {
  version: 7,
  name: "raw-blocks",
  sql: `
CREATE TABLE raw_blocks (
  id        INTEGER PRIMARY KEY,
  line_base INTEGER NOT NULL,
  dict      TEXT NOT NULL,
  body      TEXT NOT NULL
);
INSERT INTO raw_blocks (id, line_base, dict, body)
  SELECT g.first, 0,
    (SELECT json_group_array(v.value ORDER BY v.code) FROM raw_values v WHERE v.batch_id = g.first >> 32),
    g.body
  FROM (
    SELECT MIN(e.id) AS first,
      json_group_array(json_array(e.line, e.user_id, e.logged_out_user_id, e.action_code, e.hostname_code, e.country_code,
        e.device_code, e.channel_code, e.event_ms, json(COALESCE(e.other_properties, '{}'))) ORDER BY e.id) AS body
    FROM raw_events e GROUP BY e.id >> 10
  ) g;
DROP VIEW published_events;
DROP VIEW fct_website_events;
DROP TABLE raw_events;
DROP TABLE raw_values;

-- Every raw row (staged ones too) with the docs/ingest.md columns.
CREATE VIEW fct_website_events AS
  SELECT p.id AS batch_id, b.line_base + (r.value ->> 0) AS line, r.value ->> 1 AS user_id, r.value ->> 2 AS logged_out_user_id,
    b.dict ->> (r.value ->> 4) AS dim_hostname,
    b.dict ->> (r.value ->> 5) AS dim_country,
    b.dict ->> (r.value ->> 6) AS dim_device_brand,
    b.dict ->> (r.value ->> 3) AS action_type,
    strftime('%Y-%m-%dT%H:%M:%fZ', (r.value ->> 8) / 1000.0, 'unixepoch') AS event_timestamp,
    r.value -> 9 AS other_properties,
    b.dict ->> (r.value ->> 7) AS dim_channel,
    p.ds AS ds, p.dataset AS dataset, p.status AS status
  FROM partitions p
  JOIN raw_blocks b ON b.id >= p.id * 4294967296 AND b.id < (p.id + 1) * 4294967296
  JOIN json_each(b.body) r ON r.type = 'array';
-- Only published batches: what every reader should use.
CREATE VIEW published_events AS
  SELECT batch_id, line, user_id, logged_out_user_id, dim_hostname, dim_country, dim_device_brand, action_type,
    event_timestamp, other_properties, dim_channel, ds, dataset
  FROM fct_website_events WHERE status = 'published';
`,
};
