/** `guardrail evaluate [--ds D]` (docs/cli.md): verdicts vs the seasonal baseline. */
import type { RegisterCommand } from "./types.js";
import { addGlobalOptions, makeContext, parseAsOf, type GlobalOptions } from "../common.js";
import { evaluateDay, type DayEvaluation } from "../../evaluate/index.js";
import { fmtChange, fmtValue, fmtZ, kindOf, verdictLabel } from "../../present/format.js";
import { isEnforcedGuardrail } from "../../shared/decision.js";
import { powerLines } from "../../present/verdict-text.js";
import type { VerdictKind } from "../../shared/types.js";
import { dayAlerts, flushNotifications, freshnessEvent, notifyUrl, syncChat } from "../../alerts/index.js";
import { batchChecks, latestAttempt, latestPublishedDs } from "../../store/partitions.js";
import { linkSecretFromEnv } from "../../shared/links.js";
import type { CommandContext } from "../common.js";
import type { DB } from "../../store/db.js";

/** 0 pass/warn · 1 a guardrail fails · 3 no_data/inconclusive. */
export function evaluateExitCode(status: VerdictKind): number {
  if (status === "fail") return 1;
  if (status === "no_data" || status === "inconclusive") return 3;
  return 0;
}

export const evaluate: RegisterCommand = (program, setExit) => {
  addGlobalOptions(
    program
      .command("evaluate")
      .description("judge every metric of a day against the same weekday of previous weeks (exit 0 pass/warn, 1 fail, 3 no data)")
      .option("--ds <date>", "day to judge (default: the newest loaded day)")
      .option("--as-of <timestamp>", "judge as of this time (staleness, and which days had ended); default now"),
  ).action(async (o: GlobalOptions & { ds?: string; asOf?: string }) => {
    const asOf = parseAsOf(o.asOf);
    const ctx = makeContext(o, { existingDb: true });
    const e = evaluateDay(ctx.db(), ctx.dataset, { ds: o.ds, asOf });
    ctx.out(renderEvaluation(e, ctx.dataset.metrics.map((m) => [m.name, m.kind] as const)), e);
    setExit(evaluateExitCode(e.status));
    // Re-reading history as of a past time tells nobody anything new.
    if (!asOf) await alertChat(ctx, ctx.db(), e);
  });
};

/**
 * Chat alerts from the CLI too (a cron'd `guardrail evaluate` without the
 * service): stale data opens the dataset's chat incident and fresh data
 * closes it; a failing enforced guardrail on the newest published day opens
 * the breach incident and a passing day closes it; an export newer than the
 * newest published day that failed its audit opens the audit incident (an
 * older day is history: re-judging it tells nobody). The incident state lives in the same store as
 * the service's, so the channel hears each change once, whoever noticed it
 * first. Runs after the result is printed; waits for delivery only so the
 * process does not exit before the message left.
 */
async function alertChat(ctx: CommandContext, db: DB, e: DayEvaluation, now = new Date()): Promise<void> {
  const env = process.env;
  if (!notifyUrl({ config: ctx.config, env }, ctx.dataset.name)) return;
  const deps = {
    db,
    config: ctx.config,
    env,
    publicUrl: (env.GUARDRAIL_PUBLIC_URL ?? "").replace(/\/+$/, ""),
    linkSecret: linkSecretFromEnv(env),
    log: { info: (m: string) => ctx.log(m), warn: (m: string) => ctx.log(m), error: (m: string) => ctx.log(m) },
  };
  syncChat(deps, freshnessEvent(db, ctx.dataset, now));
  const dataset = ctx.dataset.name;
  const latest = latestPublishedDs(db, dataset);
  if (e.data.state === "published" && e.ds === latest) for (const a of dayAlerts({ kind: "published", dataset, ds: e.ds, evaluation: e })) syncChat(deps, a);
  // The newest export failed its audit (the service says so when its ingest job ends; a cron'd CLI hears it here).
  const attempt = e.data.state === "rejected" && (latest === null || e.ds > latest) ? latestAttempt(db, dataset, e.ds) : null;
  if (attempt) for (const a of dayAlerts({ kind: "rejected", dataset, ds: e.ds, checks: batchChecks(db, attempt.id) })) syncChat(deps, a);
  await flushNotifications();
}

export function renderEvaluation(e: DayEvaluation, kinds: ReadonlyArray<readonly [string, "count" | "ratio"]>): string {
  const header = ["metric", "today", "expected", "change", "z", "verdict"];
  const rows = e.verdicts.map((v) => {
    const kind = kindOf(v, Object.fromEntries(kinds));
    const tag = v.guardrail ? (isEnforcedGuardrail(v) ? " (guardrail)" : " (guardrail, report-only)") : "";
    return [
      v.metric + tag,
      fmtValue(v.observed, kind),
      fmtValue(v.expected, kind),
      fmtChange(v.change),
      fmtZ(v.z),
      verdictLabel(v),
    ];
  });
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 || i === cells.length - 1 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join("  ").trimEnd();
  const out = [`${e.dataset} ${e.ds}: ${e.status.toUpperCase()}`, e.summary ?? "", "", line(header), ...rows.map(line)];
  const notes = e.verdicts.filter((v) => v.verdict === "fail" || v.verdict === "warn").map((v) => `- ${v.message}`);
  if (notes.length) out.push("", ...notes);
  const power = powerLines(e.verdicts);
  if (power.length) out.push("", "smallest decline that fails at today's volume:", ...power.map((p) => `- ${p}`));
  if (e.versions.length) {
    out.push("", "versions (each vs the rest of the day's traffic):");
    for (const v of e.versions)
      out.push(
        `- ${v.version} ${v.metric}: ${fmtValue(v.observed, "ratio")} vs ${fmtValue(v.expected, "ratio")} (${fmtChange(v.change)}, z = ${fmtZ(v.z)}) ${v.verdict.toUpperCase()}`,
      );
  }
  return out.join("\n");
}
