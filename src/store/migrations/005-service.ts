import type { Migration } from "./types.js";

/** Tables of the jobs/service (issue 7). */
export const service: Migration = {
  version: 5,
  name: "service",
  sql: ``,
};
