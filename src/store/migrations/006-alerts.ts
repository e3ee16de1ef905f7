import type { Migration } from "./types.js";

/** Tables of the alerts (issue 9). */
export const alerts: Migration = {
  version: 6,
  name: "alerts",
  sql: ``,
};
