/** `guardrail backtest --from D --to D` (DESIGN §11): replay days as if each were today. */
import type { RegisterCommand } from "./types.js";
import { addGlobalOptions, makeContext, type GlobalOptions } from "../common.js";
import { backtest as runBacktest, type BacktestResult } from "../../evaluate/index.js";

export const backtest: RegisterCommand = (program, setExit) => {
  addGlobalOptions(
    program
      .command("backtest")
      .description("evaluate every day of a range as if it were today (nothing is stored) to measure the false-alarm rate")
      .requiredOption("--from <date>", "first day (YYYY-MM-DD)")
      .requiredOption("--to <date>", "last day (YYYY-MM-DD)"),
  ).action((o: GlobalOptions & { from: string; to: string }) => {
    const ctx = makeContext(o);
    const result = runBacktest(ctx.db(), ctx.dataset, { from: o.from, to: o.to });
    ctx.out(renderBacktest(result), result);
    setExit(0);
  });
};

export function renderBacktest(r: BacktestResult): string {
  const lines = r.days.map((d) => {
    const notes = [
      d.failing.length ? `fails: ${d.failing.join(", ")}` : "",
      d.warning.length ? `warns: ${d.warning.join(", ")}` : "",
      d.culprit_versions.length ? `culprit version: ${d.culprit_versions.join(", ")}` : "",
    ].filter(Boolean);
    return `${d.ds}  ${d.status.padEnd(12)}${notes.join("; ")}`.trimEnd();
  });
  const n = r.days.length;
  return [
    ...lines,
    "",
    `${n} day${n === 1 ? "" : "s"} from ${r.from} to ${r.to}: ${r.alerts} with a failing guardrail, ${r.warns} with only warnings, ${r.unjudged} not judged (no data or failed audit).`,
  ].join("\n");
}
