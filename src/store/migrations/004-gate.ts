import type { Migration } from "./types.js";

/** Tables of the deploy gate (issue 6). */
export const gate: Migration = {
  version: 4,
  name: "gate",
  sql: ``,
};
