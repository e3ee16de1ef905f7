import { Option } from "commander";
import type { RegisterCommand } from "./types.js";
import { acceptUnusedOptions, addDatasetOptions, addJsonOption, makeContext } from "../common.js";
import { aggregateSql } from "../../warehouse/sql.js";
import { isValidDs, DS_BOUNDS } from "../../shared/dates.js";
import { UserError } from "../../shared/errors.js";
import type { DialectName } from "../../warehouse/dialects.js";

/** `guardrail sql --dialect trino|spark|bigquery [--ds D]`: the warehouse aggregation query. */
export const sql: RegisterCommand = (program, setExit) => {
  acceptUnusedOptions(addJsonOption(addDatasetOptions(
    program
      .command("sql")
      .description("print the GROUPING SETS query that builds agg_website_events in the warehouse")
      .addOption(new Option("--dialect <name>", "SQL dialect").choices(["trino", "spark", "bigquery", "duckdb"]).default("trino"))
      .option("--ds <date>", "a literal day instead of the {{ ds }} placeholder"),
  )), ["db"]).action((opts) => {
    if (opts.ds && !isValidDs(opts.ds)) throw new UserError(`--ds: expected a date YYYY-MM-DD ${DS_BOUNDS}, got "${opts.ds}".`);
    const ctx = makeContext(opts);
    const text = aggregateSql(ctx.dataset, { dialect: opts.dialect as DialectName, ds: opts.ds });
    ctx.out(text, { dialect: opts.dialect, ds: opts.ds ?? null, sql: text });
    setExit(0);
  });
};
