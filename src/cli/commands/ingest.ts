/** `guardrail ingest FILE… [--ds D] [--format auto|ndjson|csv]` (docs/cli.md): exit 0 published, 3 audit failed, 2 usage/unreadable. */
import type { RegisterCommand } from "./types.js";
import { addGlobalOptions, makeContext, type GlobalOptions } from "../common.js";
import { ingestFiles } from "../../ingest/pipeline.js";
import { progressReporter } from "../../ingest/progress.js";
import { renderIngestResult, failureLine } from "../../ingest/render.js";
import { toContractResult } from "../../quality/contract.js";

export const ingest: RegisterCommand = (program, setExit) => {
  addGlobalOptions(
    program
      .command("ingest")
      .description("Stage, audit and publish one daily partition of website events (NDJSON or CSV, gzip ok).")
      .argument("<files...>", "export file(s) forming one partition")
      .option("--ds <date>", "partition date YYYY-MM-DD (default: the rows' ds, else a ds=YYYY-MM-DD path segment)")
      .option("--format <format>", "auto | ndjson | csv", "auto")
      .option("--allow-partial", "publish a day that fails only completeness, or has not ended yet, marked partial (never a baseline; verdicts inconclusive)"),
  ).action(async (files: string[], opts: GlobalOptions & { ds?: string; format?: "auto" | "ndjson" | "csv"; allowPartial?: boolean }) => {
    const ctx = makeContext(opts);
    const result = await ingestFiles(ctx.db(), ctx.dataset, files, {
      ds: opts.ds,
      format: opts.format,
      onProgress: progressReporter(),
      allowPartial: opts.allowPartial === true,
    });
    ctx.out(renderIngestResult(result), toContractResult(result));
    if (!result.published) ctx.log(`guardrail: ${failureLine(result)}`);
    setExit(result.published ? 0 : 3);
  });
};
