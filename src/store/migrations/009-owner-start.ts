import type { Migration } from "./types.js";

/**
 * When the process staging a batch started (Linux: its start time in clock
 * ticks since boot, from /proc): a pid alone can be reused by an unrelated
 * process, which kept an abandoned batch alive for as long as that process ran.
 */
export const ownerStart: Migration = {
  version: 9,
  name: "owner-start",
  sql: `ALTER TABLE partitions ADD COLUMN owner_started TEXT;`,
};
