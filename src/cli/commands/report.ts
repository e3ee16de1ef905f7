import type { RegisterCommand } from "./types.js";
import { addGlobalOptions, makeContext, parseAsOf, type GlobalOptions } from "../common.js";
import { UserError } from "../../shared/errors.js";
import { addDays, dsInZone, isValidDs, DS_BOUNDS } from "../../shared/dates.js";
import { loadReport } from "../../metrics/compute.js";
import { renderReport } from "../../metrics/render.js";
import { dayStatus } from "../../store/partitions.js";
import { evaluateDay } from "../../evaluate/index.js";
import { powerLines } from "../../present/verdict-text.js";

/** `guardrail report [--ds D]`: the stored metric values of a published day (docs/cli.md). */
export const report: RegisterCommand = (program, setExit) => {
  addGlobalOptions(
    program
      .command("report")
      .description("metric values and breakdowns of a published day (default: the latest)")
      .option("--ds <date>", "the day, YYYY-MM-DD (default: the latest published day)")
      .option("--as-of <timestamp>", "default day: the latest published day that had ended by this time (default now)"),
  ).action((opts: GlobalOptions & { ds?: string; asOf?: string }) => {
    if (opts.ds !== undefined && !isValidDs(opts.ds)) throw new UserError(`--ds ${opts.ds}: expected a date YYYY-MM-DD ${DS_BOUNDS}.`);
    const asOf = parseAsOf(opts.asOf);
    const ctx = makeContext(opts, { existingDb: true });
    const db = ctx.db();
    const atMost = asOf ? addDays(dsInZone(asOf.getTime(), ctx.dataset.timezone), -1) : undefined;
    const r = loadReport(db, ctx.dataset.name, opts.ds, atMost);
    if (!r) {
      if (!opts.ds) throw new UserError(`dataset ${ctx.dataset.name} has no published data yet; ingest a day first (guardrail ingest FILE).`);
      const why = dayStatus(db, ctx.dataset.name, opts.ds) === "rejected" ? " (its audit failed, so it was not published)" : "";
      throw new UserError(`dataset ${ctx.dataset.name} has no published data for ds ${opts.ds}${why}.`);
    }
    // Per guardrail, what would fail at this day's volume (docs/verdicts.md, "Power, shown"); judged, not stored.
    const guardrails = evaluateDay(db, ctx.dataset, { ds: r.ds, persist: false }).verdicts.filter((v) => v.guardrail);
    const power = powerLines(guardrails);
    const text = renderReport(r, ctx.dataset.metrics) + (power.length ? `\n\nsmallest decline that fails at this volume:\n${power.map((p) => `- ${p}`).join("\n")}` : "");
    ctx.out(text, { ...r, guardrail_power: Object.fromEntries(guardrails.map((v) => [v.metric, v.power ?? null])) });
    setExit(0);
  });
};
