/** `guardrail backtest --from D --to D` (docs/cli.md): replay days as if each were today. */
import type { RegisterCommand } from "./types.js";
import { addGlobalOptions, makeContext, parseAsOf, type GlobalOptions } from "../common.js";
import { backtest as runBacktest, type BacktestResult } from "../../evaluate/index.js";
import { powerLines } from "../../present/verdict-text.js";
import { fmtValue } from "../../present/format.js";

export const backtest: RegisterCommand = (program, setExit) => {
  addGlobalOptions(
    program
      .command("backtest")
      .description("evaluate every day of a range as if it were today (nothing is stored) to measure the false-alarm rate")
      .requiredOption("--from <date>", "first day (YYYY-MM-DD)")
      .requiredOption("--to <date>", "last day (YYYY-MM-DD)")
      .option("--as-of <timestamp>", "no day is judged later than this time (default: each day as its end)"),
  ).action((o: GlobalOptions & { from: string; to: string; asOf?: string }) => {
    const asOf = parseAsOf(o.asOf);
    const ctx = makeContext(o, { existingDb: true });
    const result = runBacktest(ctx.db(), ctx.dataset, { from: o.from, to: o.to, asOf });
    ctx.out(renderBacktest(result), result);
    setExit(0);
  });
};

export function renderBacktest(r: BacktestResult): string {
  const lines = r.days.map((d) => {
    const others = (all: string[], guardrails: string[]) => all.filter((m) => !guardrails.includes(m));
    const notes = [
      d.failing.length ? `fails: ${d.failing.join(", ")}` : "",
      d.warning.length ? `warns: ${d.warning.join(", ")}` : "",
      others(d.metrics_failing, d.failing).length ? `other metrics failing: ${others(d.metrics_failing, d.failing).join(", ")}` : "",
      others(d.metrics_warning, d.warning).length ? `other metrics warning: ${others(d.metrics_warning, d.warning).join(", ")}` : "",
      d.culprit_versions.length ? `culprit version: ${d.culprit_versions.join(", ")}` : "",
    ].filter(Boolean);
    return `${d.ds}  ${d.status.padEnd(12)}${notes.join("; ")}`.trimEnd();
  });
  const n = r.days.length;
  return [
    ...lines,
    "",
    renderMetricTable(r),
    "",
    `${n} day${n === 1 ? "" : "s"} from ${r.from} to ${r.to}: ${r.alerts} with a failing guardrail, ${r.warns} with only warnings, ${r.unjudged} not judged (no data or failed audit).`,
    `Over all metrics: ${r.warn_verdicts} warn and ${r.fail_verdicts} fail verdict${r.fail_verdicts === 1 ? "" : "s"}. On a range known to be clean, these are false alarms.`,
    `False alarms on a clean range: ${r.alerts} day${r.alerts === 1 ? "" : "s"} with a failing guardrail.`,
    ...powerBlock(r),
  ].join("\n");
}

/** The median over the period of what would have failed, per guardrail. */
function powerBlock(r: BacktestResult): string[] {
  const lines = powerLines(r.metrics.map((m) => ({ metric: m.metric, guardrail: m.guardrail, power: m.power })));
  return lines.length ? ["Smallest decline that fails (median over the period):", ...lines.map((l) => `- ${l}`)] : [];
}

/** Per-metric counts: the false-alarm rate of each metric, guardrail or not. */
function renderMetricTable(r: BacktestResult): string {
  const header = ["metric", "judged", "warn", "fail", "warn rate", "fail rate", "not judged", "no data"];
  const rows = r.metrics.map((m) => [
    m.metric + (m.guardrail ? (m.enforced ? " (guardrail)" : " (guardrail, report-only)") : ""),
    String(m.pass + m.warn + m.fail - m.not_judged),
    String(m.warn),
    String(m.fail),
    fmtValue(m.warn_rate, "ratio"),
    fmtValue(m.fail_rate, "ratio"),
    String(m.not_judged),
    String(m.no_data + m.inconclusive),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join("  ").trimEnd();
  return [line(header), ...rows.map(line)].join("\n");
}
