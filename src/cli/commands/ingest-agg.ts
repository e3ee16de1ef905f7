/** `guardrail ingest-agg FILE… [--ds D] [--allow-partial]` (docs/cli.md): exit 0 published, 3 audit failed, 2 usage/unreadable. */
import type { RegisterCommand } from "./types.js";
import { addGlobalOptions, makeContext, type GlobalOptions } from "../common.js";
import { ingestAggFiles } from "../../ingest/ingest-agg.js";
import { renderIngestResult, failureLine } from "../../ingest/render.js";
import { toContractResult } from "../../quality/contract.js";

export const ingestAgg: RegisterCommand = (program, setExit) => {
  addGlobalOptions(
    program
      .command("ingest-agg")
      .description("Load a warehouse-built agg_website_events export (CSV or NDJSON, gzip ok) as one published day.")
      .argument("<files...>", "aggregate export file(s) of one day")
      .option("--ds <date>", "partition date YYYY-MM-DD (default: the rows' ds, else a ds=YYYY-MM-DD path segment)")
      .option("--allow-partial", "publish a day that fails only completeness, or has not ended yet, marked partial (never a baseline; verdicts inconclusive)"),
  ).action(async (files: string[], opts: GlobalOptions & { ds?: string; allowPartial?: boolean }) => {
    const ctx = makeContext(opts);
    const result = await ingestAggFiles(ctx.db(), ctx.dataset, files, { ds: opts.ds, allowPartial: opts.allowPartial === true });
    ctx.out(renderIngestResult(result), toContractResult(result));
    if (!result.published) ctx.log(`guardrail: ${failureLine(result)}`);
    setExit(result.published ? 0 : 3);
  });
};
