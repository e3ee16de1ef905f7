import type { Migration } from "./types.js";

/** Tables of the evaluate (issue 4). */
export const evaluations: Migration = {
  version: 2,
  name: "evaluations",
  sql: ``,
};
