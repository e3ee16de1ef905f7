import type { Migration } from "./types.js";

/** Tables of the GitHub app (issue 5). */
export const github: Migration = {
  version: 3,
  name: "github",
  sql: ``,
};
