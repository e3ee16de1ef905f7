/**
 * `npm run bench`'s DuckDB side, in a child process of its own so its peak
 * RSS is measured apart from Guardrail's. Two jobs on the same export file:
 * - `same`: load it into fct_website_events and run the query
 *   `guardrail sql --dialect duckdb` prints (validation, duplicates, visits
 *   and channels, every level): the job Guardrail's ingest does;
 * - `bare`: load it and group it by the contract levels, nothing else (no
 *   validation, duplicates, visits or channels): a floor for any engine.
 * Prints one JSON line: {load_ms, query_ms, rows}.
 */
import { DuckDBInstance } from "@duckdb/node-api";
import { defaultDatasetConfig } from "../config/load.js";
import { aggregateSql } from "../warehouse/sql.js";

const [mode, file, ds] = process.argv.slice(2);
const COLUMNS = `{user_id: 'BIGINT', logged_out_user_id: 'BIGINT', dim_hostname: 'VARCHAR', dim_country: 'VARCHAR',
  dim_device_brand: 'VARCHAR', action_type: 'VARCHAR', event_timestamp: 'TIMESTAMP', other_properties: 'JSON', ds: 'VARCHAR'}`;
const BARE = `SELECT ds, action_type, dim_hostname, dim_country, dim_device_brand, hour(event_timestamp) AS event_hour,
  COUNT(*) AS m_total_events, COUNT(DISTINCT logged_out_user_id) AS m_unique_visitors, COUNT(DISTINCT user_id) AS m_unique_users
FROM fct_website_events
GROUP BY GROUPING SETS ((ds, action_type, event_hour), (ds, action_type, dim_hostname, event_hour), (ds, action_type, dim_country, event_hour),
  (ds, action_type, dim_device_brand, event_hour), (ds, action_type))`;

const instance = await DuckDBInstance.create(":memory:");
const db = await instance.connect();
const t0 = performance.now();
await db.run(`CREATE TABLE fct_website_events AS SELECT * FROM read_json('${file.replace(/'/g, "''")}', format = 'newline_delimited', columns = ${COLUMNS})`);
const t1 = performance.now();
const sql = mode === "same" ? aggregateSql(defaultDatasetConfig(), { dialect: "duckdb", ds }) : BARE;
const result = await db.runAndReadAll(sql);
const t2 = performance.now();
process.stdout.write(JSON.stringify({ load_ms: t1 - t0, query_ms: t2 - t1, rows: result.currentRowCount }) + "\n");
