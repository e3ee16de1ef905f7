/**
 * `guardrail demo` (docs/cli.md): the whole flow with no credentials. Six weeks
 * of fixtures with a signup-conversion incident on iPhone on the last day →
 * ingest each day → evaluate the last day → report, verdicts and a static
 * dashboard snapshot, all under ./data/demo.
 */
import { rmSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { addGlobalOptions, makeContext, type GlobalOptions } from "../common.js";
import { fmtChange, fmtCount, fmtSample, fmtShare, fmtValue, fmtZ, kindOf, verdictLabel } from "../../present/format.js";
import { intFlag } from "./fixtures.js";
import { generateFixtures, parseIncident, type CanarySpec, type Incident } from "../../fixtures/generate.js";
import { judgeCanaryForSha, recordCanaryJudgement, type CanaryJudgement } from "../../canary/index.js";
import { recordCanaryDeployment } from "../../store/canary.js";
import { canarySection } from "../../present/canary.js";
import { buildGuardrailCheck } from "../../present/checks.js";
import { DEFAULT_REPO_CONFIG } from "../../config/repo-schema.js";
import { ingestFiles } from "../../ingest/pipeline.js";
import { evaluateDay } from "../../evaluate/index.js";
import { loadReport } from "../../metrics/compute.js";
import { renderDashboard } from "../../dashboard/render.js";
import { EXAMPLE_REPO, exampleDeployments } from "../../fixtures/deployments.js";
import { decide, failingGuardrails } from "../../gate/decide.js";
import { findSuspects } from "../../suspects/index.js";
import { storeSuspect } from "../../store/suspects.js";
import { recordDeployment } from "../../store/deployments.js";
import { addDays, dsToEpochMs, epochMsToDs } from "../../shared/dates.js";
import type { RegisterCommand } from "./types.js";
import type { MetricDef } from "../../config/schema.js";
import type { Evaluation, Report } from "../../shared/types.js";

interface DemoFlags extends GlobalOptions {
  out: string;
  days: string;
  eventsPerDay: string;
  seed: string;
  end?: string;
  incident?: string;
  canary?: boolean;
}

/** The demo canary's commit: its events carry the short SHA, as a build stamped with `git rev-parse --short HEAD` would. */
export const DEMO_CANARY_SHA = "3f2a9c1d5e7b8a6c4d2e0f1a3b5c7d9e1f2a4b6c";

export const demo: RegisterCommand = (program, setExit) => {
  addGlobalOptions(
    program
      .command("demo")
      .description("Fixtures → ingest → evaluate → report, with no credentials, into ./data/demo (recreated on each run).")
      .option("--out <dir>", "demo folder", "./data/demo")
      .option("--days <n>", "days of history, the last one with the incident", "42")
      .option("--events-per-day <n>", "events on an ordinary weekday", "20000")
      .option("--seed <n>", "random seed", "1")
      .option("--end <ds>", "last day (default: yesterday, UTC, so the data is fresh)")
      .option("--incident <spec>", "METRIC:CHANGE[:DIM=VALUE] injected on the last day", "signup_conversion_rate:-0.6:dim_device_brand=iPhone")
      .option("--canary", "serve a PR's build to 30 % of the visitors of 08–20 h on the last day, with signup conversion −40 % inside it only, and show its PR check (docs/canary.md)"),
  ).action(async (flags: DemoFlags, cmd: { getOptionValueSource(name: string): string | undefined }) => {
    const out = resolve(flags.out);
    const days = intFlag("--days", flags.days);
    const eventsPerDay = intFlag("--events-per-day", flags.eventsPerDay);
    const seed = intFlag("--seed", flags.seed);
    const dbPath = flags.db ?? join(out, "guardrail.db");
    const exportsDir = join(out, "exports");
    const dashboardPath = join(out, "dashboard.html");
    // Fresh each run, but only what the demo itself wrote: --out may point anywhere.
    for (const p of [exportsDir, dashboardPath, ...(flags.db ? [] : [dbPath, `${dbPath}-wal`, `${dbPath}-shm`])]) rmSync(p, { recursive: true, force: true });

    const ctx = makeContext({ db: dbPath, dataset: flags.dataset, config: flags.config, json: flags.json });
    const end = flags.end ?? epochMsToDs(Date.now() - 86_400_000);
    // A release that breaks the signup form on iPhone: big enough to fail the guardrail at demo volume.
    // With --canary the default incident happens inside the canary only, so the site-wide guardrails pass and the PR's own check fails.
    const canary: CanarySpec | null = flags.canary ? { ds: end, version: DEMO_CANARY_SHA.slice(0, 7), share: 0.3, from: 8, to: 20 } : null;
    const incidentSpec =
      canary && cmd.getOptionValueSource("incident") !== "cli" ? `signup_conversion_rate:-0.4:dim_app_version=${canary.version}` : flags.incident;
    const incident: Incident = parseIncident(`${end}:${incidentSpec}`);
    ctx.log(`demo: writing ${days} days of fixtures (${eventsPerDay} events per weekday) ending ${end}, incident ${describeIncident(incident)}…`);
    const files = await generateFixtures({ outDir: exportsDir, days, eventsPerDay, seed, end, incidents: [incident], canaries: canary ? [canary] : [] });

    const db = ctx.db();
    try {
      const ingests = [];
      for (const f of files) {
        const r = await ingestFiles(db, ctx.dataset, [f.path], { ds: f.ds });
        ingests.push({ ds: f.ds, published: r.published, rows_loaded: r.rows_loaded, rows_rejected: r.rows_rejected });
        const failed = r.checks.filter((c) => c.status === "fail").map((c) => c.name);
        ctx.log(`demo: ingested ${f.ds} (${r.rows_loaded} rows) ${r.published ? "published" : `NOT published: ${failed.join(", ")}`}`);
      }
      // With an explicit --end the demo pretends "today" is the day after it, so old data is not stale.
      const now = flags.end ? new Date(dsToEpochMs(end) + 36 * 3_600_000) : undefined;
      // An example repository's deployments put "when code shipped" on the snapshot; its production releases are the suspects.
      const shipped = exampleDeployments(end, days);
      for (const d of shipped.production) recordDeployment(db, d);
      for (const d of shipped.canary) recordCanaryDeployment(db, d);
      const evaluation = evaluateDay(db, ctx.dataset, { ds: end, now });
      for (const s of findSuspects(db, EXAMPLE_REPO, ctx.dataset.name, evaluation, failingGuardrails(evaluation)))
        if (s.sha) storeSuspect(db, { repo: EXAMPLE_REPO, dataset: ctx.dataset.name, ds: end, sha: s.sha, ref: s.ref, reason: s.reason, evidence: s.evidence, prs: s.prs });
      const report = loadReport(db, ctx.dataset.name, end);
      const judged: CanaryJudgement | null = canary ? judgeCanaryForSha(db, ctx.dataset, "demo/shop", DEMO_CANARY_SHA) : null;
      // The dashboard lists the canaries judged that day, as the service does after writing the check.
      if (judged) recordCanaryJudgement(db, "demo/shop", judged);
      writeFileSync(dashboardPath, renderDashboard(db, ctx.config, { dataset: ctx.dataset.name, ds: end }));

      const events = files.reduce((s, f) => s + f.events, 0);
      const human = [
        `Guardrail demo: ${files.length} days (${addDays(end, -(days - 1))} … ${end}), ${fmtCount(events)} events, database ${dbPath}`,
        `Injected incident: ${describeIncident(incident)}.`,
        "",
        report ? formatReport(report, ctx.dataset.metrics) : `No report for ${end} (the day was not published).`,
        "",
        formatEvaluation(evaluation, ctx.dataset.metrics),
        "",
        ...(canary ? [formatCanary(judged, evaluation, ctx.dataset.metrics), ""] : []),
        `Dashboard snapshot: ${dashboardPath}`,
        `Try: npx guardrail evaluate --db ${dbPath} --ds ${end}`,
      ].join("\n");
      ctx.out(human, { dir: out, db: dbPath, from: files[0].ds, to: end, events, incident, ingests, report, evaluation, dashboard: dashboardPath, ...(canary ? { canary: judged } : {}) });
    } finally {
      db.close();
    }
    setExit(0);
  });
};

/** What the PR check of the canary's commit says: the real check content, its Canary section as Markdown (readable as text). */
function formatCanary(j: CanaryJudgement | null, evaluation: Evaluation, metrics: MetricDef[]): string {
  if (!j) return `No published day holds traffic of ${DEMO_CANARY_SHA.slice(0, 7)}.`;
  const view = {
    repo: "demo/shop",
    known: true,
    configError: null,
    dataset: evaluation.dataset,
    onMissingData: DEFAULT_REPO_CONFIG.on_missing_data,
    enforcement: DEFAULT_REPO_CONFIG.metrics,
    evaluation,
    evaluationError: null,
    repoConfig: DEFAULT_REPO_CONFIG,
    kinds: Object.fromEntries(metrics.map((m) => [m.name, m.kind])),
    detailsUrl: null,
  };
  const check = buildGuardrailCheck(view, decide(view, DEMO_CANARY_SHA, null, j), { judgement: j, expected: true });
  return [`PR check of commit ${DEMO_CANARY_SHA.slice(0, 7)} (guardrail): ${check.conclusion.toUpperCase()} — ${check.title}`, canarySection(j)].join("\n");
}

// Plain-text rendering of the report and the evaluation.
function describeIncident(i: Incident): string {
  return `${i.metric} ${fmtChange(i.change)}${i.segment ? ` on ${i.segment.dimension}=${i.segment.value}` : " site-wide"} on ${i.ds}`;
}

/** Each metric's kind, from its definition: a ratio prints as a percentage, a count as a whole number (src/present/format.ts). */
const kindsOf = (metrics: MetricDef[]) => Object.fromEntries(metrics.map((m) => [m.name, m.kind]));

function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join("  ").trimEnd();
  return [line(header), widths.map((w) => "-".repeat(w)).join("  "), ...rows.map(line)].join("\n");
}

function formatReport(report: Report, metrics: MetricDef[]): string {
  const kinds = kindsOf(metrics);
  const rows = Object.entries(report.metrics).map(([name, m]) => [
    name,
    fmtValue(m.value, kinds[name]),
    m.numerator !== undefined && m.denominator !== undefined ? fmtSample(m.numerator, m.denominator) : "",
  ]);
  const out = [`Report for ${report.ds} (dataset ${report.dataset})`, table(["metric", "value", "of"], rows)];
  // The four questions of the team: where visitors come from, on what, and how signups convert per device.
  // Where people come from is a property of the visit (docs/metrics.md, "Channels and visits"): visits by channel add up to the total.
  for (const [metric, dim] of [["visits", "dim_channel"], ["daily_visitors", "dim_country"], ["daily_visitors", "dim_device_brand"]]) {
    const values = Object.entries(report.metrics[metric]?.breakdown?.[dim] ?? {}).sort((a, b) => (b[1] ?? 0) - (a[1] ?? 0)).slice(0, 6);
    if (values.length) out.push(`${metric} by ${dim}: ${values.map(([k, v]) => `${k} ${fmtValue(v, "count")}`).join(", ")}`);
  }
  const byDevice = report.metrics.signup_conversion_rate?.breakdown?.dim_device_brand;
  if (byDevice) out.push(`signup_conversion_rate by dim_device_brand: ${Object.entries(byDevice).map(([k, v]) => `${k} ${fmtValue(v, "ratio")}`).join(", ")}`);
  return out.join("\n");
}

function formatEvaluation(e: Evaluation, metrics: MetricDef[]): string {
  const kinds = kindsOf(metrics);
  const rows = e.verdicts.map((v) => [
    `${v.metric}${v.guardrail ? " *" : ""}`,
    verdictLabel(v),
    fmtValue(v.observed, kindOf(v, kinds)),
    fmtValue(v.expected, kindOf(v, kinds)),
    fmtChange(v.change),
    fmtZ(v.z),
  ]);
  const out = [`Evaluation of ${e.ds}: ${e.status.toUpperCase()}${e.summary ? ` — ${e.summary}` : ""}`, table(["metric (* guardrail)", "verdict", "observed", "expected", "change", "z"], rows)];
  // The why, for the guardrails only: the table already shows where the other metrics stand.
  for (const v of e.verdicts.filter((x) => x.guardrail && (x.verdict === "fail" || x.verdict === "warn"))) {
    out.push("", v.message);
    for (const s of v.segments.slice(0, 3))
      out.push(`  ${s.dimension}=${s.value}: ${fmtChange(s.change)}, explains ${fmtShare(s.contribution)} of the decline`);
  }
  for (const v of e.versions) out.push(`version ${v.version} ${v.metric}: ${v.verdict} (${fmtChange(v.change)})`);
  return out.join("\n");
}
