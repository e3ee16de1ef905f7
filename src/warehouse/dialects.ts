/**
 * The few places where Spark SQL, Trino, BigQuery and DuckDB disagree. The
 * rest of the query is the ANSI subset all four run (GROUPING SETS,
 * GROUPING(), COUNT(DISTINCT), EXTRACT, CASE, window functions).
 */
export type DialectName = "trino" | "spark" | "bigquery" | "duckdb";

export interface Dialect {
  name: DialectName;
  /** A key of the other_properties map/JSON as a string (NULL when absent). */
  prop(key: string): string;
  /** Captures group 1 of `pattern` in `expr`. */
  regexExtract(expr: string, pattern: string): string;
  regexLike(expr: string, pattern: string): string;
  bigintNull: string;
  /** A duration of `ms` milliseconds, to add to a timestamp. */
  interval(ms: number): string;
  /** `last_value(expr)` skipping NULLs, over `window` (the text inside OVER (…)). */
  lastNonNull(expr: string, window: string): string;
  /** The input table, with its placeholder day. */
  table: string;
  /**
   * A UTC timestamp `e` as the wall-clock time of zone `tz` (docs/warehouse.md):
   * each engine's own time-zone function, so DST days get their 23 or 25 hours.
   */
  localTime(e: string, tz: string): string;
}

const quote = (s: string) => `'${s.replace(/'/g, "''")}'`;

export const DIALECTS: Record<DialectName, Dialect> = {
  // Trino and Spark (3.2+) share element_at on MAP<STRING,STRING>, regexp_extract and regexp_like.
  trino: {
    name: "trino",
    prop: (k) => `element_at(other_properties, ${quote(k)})`,
    regexExtract: (e, p) => `regexp_extract(${e}, ${quote(p)}, 1)`,
    regexLike: (e, p) => `regexp_like(${e}, ${quote(p)})`,
    bigintNull: "CAST(NULL AS BIGINT)",
    interval: (ms) => `INTERVAL '${ms / 1000}' SECOND`,
    lastNonNull: (e, w) => `last_value(${e}) IGNORE NULLS OVER (${w})`,
    table: "core.fct_website_events",
    localTime: (e, tz) => `CAST(with_timezone(${e}, 'UTC') AT TIME ZONE ${quote(tz)} AS TIMESTAMP)`,
  },
  // Identical text: Spark 3.2+ has regexp_like, and element_at on a missing map key is NULL
  // (Spark 3.4+ even with spark.sql.ansi.enabled; on older Spark with ANSI on, use try_element_at).
  spark: {} as Dialect,
  // BigQuery has no MAP type: other_properties is a JSON column (or JSON text).
  bigquery: {
    name: "bigquery",
    prop: (k) => `JSON_VALUE(other_properties, ${quote(`$.${k}`)})`,
    regexExtract: (e, p) => `REGEXP_EXTRACT(${e}, r${quote(p)})`,
    regexLike: (e, p) => `REGEXP_CONTAINS(${e}, r${quote(p)})`,
    bigintNull: "CAST(NULL AS INT64)",
    interval: (ms) => `INTERVAL ${ms} MILLISECOND`,
    lastNonNull: (e, w) => `LAST_VALUE(${e} IGNORE NULLS) OVER (${w})`,
    table: "`core.fct_website_events`",
    localTime: (e, tz) => `DATETIME(${e}, ${quote(tz)})`,
  },
  // For the equivalence test: DuckDB reads the export with other_properties as JSON.
  duckdb: {
    name: "duckdb",
    prop: (k) => `json_extract_string(other_properties, ${quote(`$.${k}`)})`,
    regexExtract: (e, p) => `NULLIF(regexp_extract(${e}, ${quote(p)}, 1), '')`,
    regexLike: (e, p) => `regexp_matches(${e}, ${quote(p)})`,
    bigintNull: "CAST(NULL AS BIGINT)",
    interval: (ms) => `to_milliseconds(${ms})`,
    lastNonNull: (e, w) => `last_value(${e} IGNORE NULLS) OVER (${w})`,
    table: "fct_website_events",
    localTime: (e, tz) => `((${e} AT TIME ZONE 'UTC') AT TIME ZONE ${quote(tz)})`,
  },
};

DIALECTS.spark = { ...DIALECTS.trino, name: "spark", localTime: (e, tz) => `from_utc_timestamp(${e}, ${quote(tz)})` };
