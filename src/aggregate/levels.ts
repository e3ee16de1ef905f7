/**
 * Aggregation levels of agg_website_events (docs/metrics.md). A level is a grouping
 * set: the columns it keeps; every other dimension is NULL on its rows.
 * Every level covers every event exactly once, so each one sums to the same
 * m_total_events as `overall` (the rollup check relies on that).
 *
 * The first six are the contract. The `daily_*` ones are additions: distinct
 * counts do not add across hours or actions, so exact daily visitors per
 * country (or over all actions) need their own grouping sets.
 */
import type { AggRow } from "../shared/types.js";

export const GROUP_COLUMNS = [
  "action_type",
  "dim_hostname",
  "dim_country",
  "dim_device_brand",
  "dim_channel",
  "dim_product_type",
  "dim_app_version",
  "event_hour",
] as const;
export type GroupColumn = (typeof GROUP_COLUMNS)[number];

export interface LevelDef {
  name: string;
  columns: GroupColumn[];
}

/** Breakdown dimension → short level suffix. */
export const DIMENSION_LEVEL: Record<string, string> = {
  dim_hostname: "hostname",
  dim_country: "country",
  dim_device_brand: "device",
  dim_channel: "channel",
  dim_product_type: "product_type",
  dim_app_version: "app_version",
};

const HOURLY_DIMS = ["dim_hostname", "dim_country", "dim_device_brand", "dim_channel"] as const;
const DAILY_DIMS = [...HOURLY_DIMS, "dim_product_type", "dim_app_version"] as const;

export const CONTRACT_LEVELS: LevelDef[] = [
  { name: "overall", columns: ["action_type", "event_hour"] },
  ...HOURLY_DIMS.map((d) => ({ name: DIMENSION_LEVEL[d], columns: ["action_type", d, "event_hour"] as GroupColumn[] })),
  { name: "daily", columns: ["action_type"] },
];

export const DAILY_LEVELS: LevelDef[] = [
  { name: "daily_total", columns: [] },
  ...DAILY_DIMS.map((d) => ({ name: `daily_${DIMENSION_LEVEL[d]}`, columns: ["action_type", d] as GroupColumn[] })),
  ...DAILY_DIMS.map((d) => ({ name: `daily_${DIMENSION_LEVEL[d]}_total`, columns: [d] as GroupColumn[] })),
];

/**
 * Each app_version's traffic by hour: a canary or preview build judged on its
 * own PR is compared with the rest of the same hours (docs/canary.md).
 */
export const VERSION_HOURLY_LEVEL: LevelDef = { name: "app_version", columns: ["action_type", "dim_app_version", "event_hour"] };

export const DEFAULT_LEVELS: LevelDef[] = [...CONTRACT_LEVELS, ...DAILY_LEVELS, VERSION_HOURLY_LEVEL];

/** A row of `level` with every dimension NULL and zero measures; callers fill in what the level groups. */
export function emptyAggRow(level: string): AggRow {
  return {
    ds: "",
    aggregation_level: level,
    action_type: null,
    dim_hostname: null,
    dim_country: null,
    dim_device_brand: null,
    dim_channel: null,
    dim_product_type: null,
    dim_app_version: null,
    event_hour: null,
    m_total_events: 0,
    m_unique_visitors: 0,
    m_unique_users: 0,
    m_visits: 0,
  };
}
