/**
 * Everything the dashboard shows, gathered in one place (docs/dashboard.md):
 * the day's verdicts, 8 weeks of every metric with its band, the guardrails'
 * segments over time and by the hour, the breakdown bars with their evidence,
 * deployments, suspects, check runs and incidents. Rendering (render.ts) only
 * draws this; every SQL statement is in src/store/dashboard.ts.
 */
import type { DB } from "../store/db.js";
import type { GuardrailConfig, MetricDef } from "../config/schema.js";
import { resolveDataset, type DatasetConfig } from "../config/load.js";
import type { CheckResult, Evaluation, Verdict, VerdictKind } from "../shared/types.js";
import { addDays, dayClock, dsRange, dsToEpochMs } from "../shared/dates.js";
import { batchChecks, dayStatus, latestAttempt, latestPublishedDs, listDatasets, partialDaysBetween, publishedBatch, type DayStatus } from "../store/partitions.js";
import {
  checkRunsOn,
  deploymentsOf,
  hourlyActions,
  incidentsOn,
  latestPrHead,
  metricSegments,
  metricTotals,
  overridesOf,
  publishedDayList,
  repoConfigs,
  storedEvaluations,
  suspectsOf,
  type HourlyActionRow,
  type IncidentRow,
  type SuspectRecord,
  type DeploymentRow,
} from "../store/dashboard.js";
import { evaluateDay, thresholdsOf } from "../evaluate/index.js";
import type { OverrideRow } from "../store/repos.js";
import { describeError } from "../shared/errors.js";
import { cumulativeStdNormalProbability } from "simple-statistics";
import { canaryJudgementsOfDay } from "../store/canary.js";
import type { CanaryJudgement } from "../canary/index.js";
import { canarySentence, hoursOf } from "../present/canary.js";
import type { ClockChange } from "../present/format.js";
import { bandFrom, computedBand, type Band, type BandParams, type DayValue } from "./band.js";

export const HISTORY_DAYS = 56;
export const BREAKDOWN_DIMENSIONS = ["dim_country", "dim_device_brand", "dim_channel"] as const;
/** How many localised segments get a line of their own over time, and the share of the change each beyond the first must explain. */
export const SEGMENT_LINES = 3;
export const SEGMENT_MIN_SHARE = 0.15;

export interface SeriesPoint extends DayValue {
  band: Band | null;
  verdict: VerdictKind | null;
  /** Where the band came from: a stored evaluation, or computed for the chart. */
  source: "evaluation" | "computed" | null;
  /** The day was published partial (docs/ingest.md, "Partial days"): its value is not a whole day's. */
  partial?: boolean;
}

export interface MetricSeries {
  def: MetricDef;
  points: SeriesPoint[];
}

/** One line of the segments-over-time chart: a segment, or the rest of the traffic. */
export interface SegmentLine {
  label: string;
  dimension: string;
  value: string;
  rest: boolean;
  points: { ds: string; value: number | null }[];
}

export interface SegmentChart {
  metric: string;
  def: MetricDef;
  lines: SegmentLine[];
}

/** One bar of a breakdown: today's value with the evidence behind it. */
export interface BreakdownBar {
  label: string;
  value: number | null;
  numerator: number | null;
  denominator: number | null;
  /** From the same weekday of the baseline weeks, for this segment alone. */
  expected: number | null;
  /** Volume below what the judge needs (`min_denominator`): drawn grey, says so. */
  tooSmall: boolean;
}

export interface HourPoint extends DayValue {
  hour: number;
  band: Band | null;
  /** Real hours this wall-clock hour lasted on the day: 1, or 0 (skipped) / 2 (repeated) on a DST day (docs/dashboard.md). */
  length: number;
}

/** The day's clock change in the dataset's time zone (docs/dashboard.md, "Today by the hour"). */
export type DstChange = ClockChange;

/** Hours [from, to) named by the intraday rule of a verdict. */
export interface HourRange {
  from: number;
  to: number;
}

export interface HourlyChart {
  metric: string;
  def: MetricDef;
  hours: HourPoint[];
  baselineDays: string[];
  flagged: HourRange | null;
  /** Why there is no chart, when hours is empty. */
  missing: string | null;
  /** The clock change of a DST day, else null. */
  dst: DstChange | null;
}

export type DeployKind = "production" | "canary" | "preview";

export interface DeployMarker extends Pick<DeploymentRow, "repo" | "sha" | "ref" | "environment"> {
  kind: DeployKind;
  at: string;
  /** Day and hour in the dataset's time zone. */
  ds: string;
  hour: number;
}

export interface CheckRunLink {
  name: string;
  conclusion: string | null;
  checkRunId: number;
  sha: string;
}

export interface SuspectView extends Omit<SuspectRecord, "prs_json"> {
  prs: { number: number; title: string; url: string; checks: CheckRunLink[] }[];
  checks: CheckRunLink[];
}

/** A PR build judged on its own traffic that day (docs/canary.md), as its check says it. */
export interface CanaryView {
  repo: string;
  sha: string;
  status: string;
  /** Share of the day's events the build served (0…1). */
  share: number | null;
  /** The hours compared, worded ("08:00–20:00"). */
  hours: string;
  message: string;
}

export interface DashboardData {
  datasets: string[];
  dataset: string;
  cfg: DatasetConfig;
  ds: string | null;
  dayStatus: DayStatus | null;
  evaluation: Evaluation | null;
  evaluationError: string | null;
  /** First day drawn: the first with data in the 8-week window. */
  from: string | null;
  series: MetricSeries[];
  segmentCharts: SegmentChart[];
  /** metric → dimension → bars, for the selected day. */
  breakdowns: Map<string, Map<string, BreakdownBar[]>>;
  hourly: HourlyChart[];
  deployments: DeployMarker[];
  checks: CheckResult[];
  batchStatus: string | null;
  /** Why the published day is partial (docs/ingest.md, "Completeness"), or null. */
  partialReason: string | null;
  suspects: SuspectView[];
  incidents: IncidentRow[];
  canaries: CanaryView[];
  overrides: OverrideRow[];
  publishedDays: string[];
}

/**
 * The selected day's verdicts: the stored evaluation, else judged now (not
 * stored) as of that day. A stored evaluation of the day's other export is not
 * used: a partial export's inconclusive verdicts must not outlive the complete
 * export that replaced it, nor a complete one's verdicts a partial re-load.
 */
function evaluationOf(
  db: DB,
  cfg: DatasetConfig,
  ds: string,
  stored: Map<string, Evaluation>,
  latest: string | null,
  partial: boolean,
): { evaluation: Evaluation | null; error: string | null } {
  const hit = stored.get(ds);
  if (hit && (hit.data?.state === "partial") === partial) return { evaluation: hit, error: null };
  try {
    // An older day is judged as of its own end, like a backtest; the latest one as of now (stale shows).
    const now = ds === latest ? new Date() : new Date(dsToEpochMs(addDays(ds, 1)) + 3_600_000);
    return { evaluation: evaluateDay(db, cfg, { ds, persist: false, now }), error: null };
  } catch (err) {
    return { evaluation: null, error: describeError(err) };
  }
}

function verdictFor(evaluation: Evaluation | undefined | null, metric: string): Verdict | undefined {
  return evaluation?.verdicts.find((v) => v.metric === metric);
}

function bandParams(cfg: DatasetConfig, def: MetricDef): BandParams {
  const e = cfg.evaluation;
  return { kind: def.kind, weeks: e.weeks, minWeeks: e.min_weeks, sensitivity: def.sensitivity ?? e.sensitivity };
}

/** The same weekday of the previous weeks, twice as far back as the baseline needs (a missing week does not shrink it). */
function baselineCandidates(cfg: DatasetConfig, ds: string): string[] {
  return Array.from({ length: cfg.evaluation.weeks * 2 }, (_, i) => addDays(ds, -7 * (i + 1)));
}

/**
 * Hours the intraday rule named in a verdict (docs/verdicts.md, "Within the
 * day"): its `hourly` run, [from, to). Present only when the scan found a
 * significant run.
 */
export function intradayHours(v: Verdict | undefined): HourRange | null {
  const h = v?.hourly;
  // A stored evaluation is JSON from an older version too: check the shape rather than trust it.
  if (!h || typeof h.from !== "number" || typeof h.to !== "number" || !(h.to > h.from)) return null;
  return { from: Math.max(0, h.from), to: Math.min(24, h.to) };
}

/** A count metric's hourly value from the `overall` level, or null when its measure cannot be split by hour. */
function hourlyCount(def: MetricDef, rows: HourlyActionRow[]): Map<string, Map<number, number>> | null {
  if (def.kind !== "count") return null;
  const actions = def.actions === "all" ? null : new Set(def.actions);
  // A distinct count over several actions does not add up across actions.
  if (def.measure !== "events" && (actions === null || actions.size !== 1)) return null;
  const col = def.measure === "events" ? "events" : def.measure === "unique_visitors" ? "visitors" : "users";
  const out = new Map<string, Map<number, number>>();
  for (const r of rows) {
    if (actions && !actions.has(r.action_type)) continue;
    let byHour = out.get(r.ds);
    if (!byHour) out.set(r.ds, (byHour = new Map()));
    byHour.set(r.event_hour, (byHour.get(r.event_hour) ?? 0) + r[col]);
  }
  return out;
}

/** The clock change of `ds` in `timeZone`, from how long each wall-clock hour lasted; null on an ordinary day. */
export function dstChange(ds: string, timeZone: string): DstChange | null {
  const clock = dayClock(ds, timeZone);
  const skipped = clock.hourLengths.findIndex((l) => l === 0);
  if (skipped >= 0) return { direction: "forward", hour: skipped, hours: clock.hours, timeZone };
  const repeated = clock.hourLengths.findIndex((l) => l > 1);
  return repeated >= 0 ? { direction: "back", hour: repeated, hours: clock.hours, timeZone } : null;
}

/**
 * A baseline day's value of one wall-clock hour, put on today's clock: a DST
 * day's hour lasted 0, 1 or 2 real hours (docs/ingest.md, "Time zones"), so a
 * count is scaled by today's length over that day's, and an hour that did not
 * exist on one of the two days tells nothing about the other (left out).
 */
function onClock(v: DayValue, kind: MetricDef["kind"], length: number, todayLength: number): DayValue {
  if (length === todayLength) return v;
  if (length === 0 || todayLength === 0) return { ds: v.ds, value: null, numerator: null, denominator: null };
  const k = todayLength / length;
  const scale = (x: number | null) => (x === null ? null : x * k);
  return kind === "ratio" ? { ...v, numerator: scale(v.numerator), denominator: scale(v.denominator) } : { ...v, value: scale(v.value) };
}

function hourlyChart(cfg: DatasetConfig, def: MetricDef, verdict: Verdict | undefined, ds: string, rows: HourlyActionRow[], baselineDays: string[]): HourlyChart {
  const defs = new Map(cfg.metrics.map((m) => [m.name, m]));
  const tz = timeZoneOf(cfg);
  const base = { metric: def.name, def, baselineDays, flagged: intradayHours(verdict), dst: dstChange(ds, tz) };
  let valueAt: (day: string, hour: number) => DayValue;
  if (def.kind === "ratio") {
    const num = defs.get(def.numerator);
    const den = defs.get(def.denominator);
    const n = num ? hourlyCount(num, rows) : null;
    const d = den ? hourlyCount(den, rows) : null;
    if (!n || !d) return { ...base, hours: [], missing: `${def.name} cannot be split by hour: its parts are not hourly event counts.` };
    valueAt = (day, hour) => {
      const numerator = n.get(day)?.get(hour) ?? (d.has(day) ? 0 : null);
      const denominator = d.get(day)?.get(hour) ?? (d.has(day) ? 0 : null);
      const value = numerator !== null && denominator ? numerator / denominator : null;
      return { ds: day, value, numerator, denominator };
    };
  } else {
    const c = hourlyCount(def, rows);
    if (!c) return { ...base, hours: [], missing: `${def.name} is a distinct count, which cannot be split by hour.` };
    valueAt = (day, hour) => {
      const value = c.get(day)?.get(hour) ?? (c.has(day) ? 0 : null);
      return { ds: day, value, numerator: null, denominator: null };
    };
  }
  if (!rows.some((r) => r.ds === ds)) return { ...base, hours: [], missing: `No hourly aggregate is stored for ${ds}.` };
  const p = bandParams(cfg, def);
  const todayLengths = dayClock(ds, tz).hourLengths;
  const hours: HourPoint[] = [];
  for (let hour = 0; hour < 24; hour++) {
    const length = todayLengths[hour];
    // An hour the clocks skipped has no value and no band: there was no such hour.
    if (length === 0) {
      hours.push({ ds, value: null, numerator: null, denominator: null, hour, band: null, length });
      continue;
    }
    const today = valueAt(ds, hour);
    const band = bandFrom(
      baselineDays.map((b) => onClock(valueAt(b, hour), def.kind, dayClock(b, tz).hourLengths[hour], length)),
      today.denominator,
      p,
    );
    hours.push({ ...today, hour, band, length });
  }
  return { ...base, hours, missing: null };
}

interface EnvLists {
  production: string[];
  canary: string[];
  preview: string[];
}

function envLists(configJson: string | null | undefined): EnvLists {
  let cfg: Record<string, unknown> = {};
  if (configJson) {
    try {
      cfg = JSON.parse(configJson) as Record<string, unknown>;
    } catch (err) {
      if (!(err instanceof SyntaxError)) throw err;
    }
  }
  const list = (k: string) => (Array.isArray(cfg[k]) ? (cfg[k] as unknown[]).filter((x): x is string => typeof x === "string") : []);
  return { production: list("production_environments"), canary: list("canary_environments"), preview: list("preview_environments") };
}

/**
 * Production, canary or preview: the repository's own lists first
 * (.github/guardrail.yml), then the environment's name, then the table it was
 * recorded in (a canary_deployments row is a canary unless named a preview).
 */
export function deployKind(environment: string, lists: EnvLists, recorded: "production" | "canary" = "production"): DeployKind {
  if (lists.canary.includes(environment)) return "canary";
  if (lists.preview.includes(environment)) return "preview";
  if (lists.production.includes(environment)) return "production";
  if (/canary/i.test(environment)) return "canary";
  if (/preview|review|staging|^pr[-_]?\d|test/i.test(environment)) return "preview";
  return recorded;
}

/** The day and hour of an instant in the dataset's time zone (UTC unless the dataset names one). */
export function localDayHour(iso: string, timeZone: string): { ds: string; hour: number } {
  const parts = new Intl.DateTimeFormat("en-CA", { timeZone, year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", hourCycle: "h23" }).formatToParts(new Date(iso));
  const get = (t: string) => parts.find((p) => p.type === t)?.value ?? "00";
  return { ds: `${get("year")}-${get("month")}-${get("day")}`, hour: Number(get("hour")) % 24 };
}

function timeZoneOf(cfg: DatasetConfig): string {
  const tz = (cfg as { timezone?: unknown }).timezone;
  return typeof tz === "string" && tz ? tz : "UTC";
}

function deploymentMarkers(db: DB, cfg: DatasetConfig, from: string, to: string): DeployMarker[] {
  const tz = timeZoneOf(cfg);
  // A day longer in UTC on both sides: the dataset's day may start before or after midnight UTC.
  const rows = deploymentsOf(db, cfg.name, new Date(dsToEpochMs(from) - 86_400_000).toISOString(), new Date(dsToEpochMs(to) + 2 * 86_400_000).toISOString());
  const configs = repoConfigs(db, [...new Set(rows.map((r) => r.repo))]);
  return rows
    .map((r) => {
      const local = localDayHour(r.deployed_at, tz);
      return { repo: r.repo, sha: r.sha, ref: r.ref, environment: r.environment, kind: deployKind(r.environment, envLists(configs.get(r.repo)), r.source), at: r.deployed_at, ...local };
    })
    .filter((m) => m.ds >= from && m.ds <= to);
}

function parsePrs(json: string): { number: number; title: string; url: string }[] {
  let prs: unknown;
  try {
    prs = JSON.parse(json);
  } catch (err) {
    if (err instanceof SyntaxError) return [];
    throw err;
  }
  if (!Array.isArray(prs)) return [];
  return prs
    .filter((p): p is { number: number; title?: unknown; url?: unknown } => typeof p === "object" && p !== null && typeof (p as { number?: unknown }).number === "number")
    .map((p) => ({ number: p.number, title: typeof p.title === "string" ? p.title : "", url: typeof p.url === "string" ? p.url : "" }));
}

function suspectViews(db: DB, dataset: string, ds: string): SuspectView[] {
  const link = (c: { name: string; conclusion: string | null; check_run_id: number; sha: string }): CheckRunLink => ({ name: c.name, conclusion: c.conclusion, checkRunId: c.check_run_id, sha: c.sha });
  return suspectsOf(db, dataset, ds).map((s) => {
    const prs = parsePrs(s.prs_json).map((pr) => {
      const head = latestPrHead(db, s.repo, pr.number);
      return { ...pr, checks: head ? checkRunsOn(db, s.repo, [head], ["guardrail"]).map(link) : [] };
    });
    return { repo: s.repo, sha: s.sha, ref: s.ref, reason: s.reason, evidence: s.evidence, prs, checks: checkRunsOn(db, s.repo, [s.sha], ["guardrail", "guardrail/regression"]).map(link) };
  });
}

/**
 * Whether even a total collapse of the segment (zero today) would be
 * significant: the exact chance of zero (binomial at today's denominator, or
 * Poisson at the expected count) below the tail the sensitivity allows. When it
 * is not, the segment is too small to judge (docs/verdicts.md). Without an
 * expectation there is nothing to judge against.
 */
export function collapseIsSignificant(kind: "count" | "ratio", volume: number, expected: number | null, sensitivity: number): boolean {
  if (expected === null || !(expected > 0)) return false;
  const logZero = kind === "ratio" ? (expected >= 1 ? -Infinity : volume * Math.log1p(-expected)) : -expected;
  return Math.exp(logZero) <= cumulativeStdNormalProbability(-sensitivity);
}

/** The bars of each breakdown of `metric` on `ds`, each with its own baseline expectation. */
function breakdownBars(db: DB, cfg: DatasetConfig, def: MetricDef, ds: string, partialDays: ReadonlySet<string>): Map<string, BreakdownBar[]> {
  const candidates = baselineCandidates(cfg, ds);
  const rows = metricSegments(db, cfg.name, def.name, [ds, ...candidates], [...BREAKDOWN_DIMENSIONS]);
  const p = bandParams(cfg, def);
  const t = thresholdsOf(cfg, def);
  const byKey = new Map<string, Map<string, DayValue>>();
  for (const r of rows) {
    const key = `${r.dimension}\u0000${r.value_key}`;
    let m = byKey.get(key);
    if (!m) byKey.set(key, (m = new Map()));
    m.set(r.ds, r);
  }
  const out = new Map<string, BreakdownBar[]>();
  for (const [key, history] of byKey) {
    const today = history.get(ds);
    if (!today) continue;
    const [dimension, valueKey] = key.split("\u0000") as [string, string];
    const band = computedBand(history, ds, p, partialDays);
    // The judge's volume: today's denominator for a ratio, the expected value for a count (docs/verdicts.md).
    const volume = def.kind === "ratio" ? today.denominator ?? 0 : band?.expected ?? today.value ?? 0;
    const expected = band?.expected ?? null;
    const bar: BreakdownBar = {
      label: valueKey === "" ? "(unknown)" : valueKey,
      value: today.value,
      numerator: today.numerator,
      denominator: today.denominator,
      expected: band?.expected ?? null,
      tooSmall: volume < t.min_denominator || !collapseIsSignificant(def.kind, volume, expected, t.sensitivity),
    };
    let list = out.get(dimension);
    if (!list) out.set(dimension, (list = []));
    list.push(bar);
  }
  return out;
}

/** Lines of the top localised segments over the window, and the rest of the top segment's dimension. */
function segmentChart(db: DB, cfg: DatasetConfig, def: MetricDef, verdict: Verdict, days: string[], totals: Map<string, DayValue>): SegmentChart | null {
  // The top segment always; the next ones only when they explain a real part of the change (noise lines hide the fall).
  const top = verdict.segments.slice(0, SEGMENT_LINES).filter((s, i) => i === 0 || s.contribution >= SEGMENT_MIN_SHARE);
  if (top.length === 0) return null;
  const rows = metricSegments(db, cfg.name, def.name, days, [...new Set(top.map((s) => s.dimension))]);
  const lookup = new Map(rows.map((r) => [`${r.dimension}\u0000${r.value_key === "" ? "(unknown)" : r.value_key}\u0000${r.ds}`, r]));
  const lines: SegmentLine[] = top.map((s) => ({
    label: s.value,
    dimension: s.dimension,
    value: s.value,
    rest: false,
    points: days.map((ds) => ({ ds, value: lookup.get(`${s.dimension}\u0000${s.value}\u0000${ds}`)?.value ?? null })),
  }));
  const first = top[0]!;
  // "The rest" only adds up for a ratio of event counts: total minus the segment, on both sides.
  if (def.kind === "ratio") {
    lines.push({
      label: `all but ${first.value}`,
      dimension: first.dimension,
      value: first.value,
      rest: true,
      points: days.map((ds) => {
        const seg = lookup.get(`${first.dimension}\u0000${first.value}\u0000${ds}`);
        const all = totals.get(ds);
        if (!seg || !all || all.numerator === null || all.denominator === null || seg.numerator === null || seg.denominator === null) return { ds, value: null };
        const den = all.denominator - seg.denominator;
        return { ds, value: den > 0 ? (all.numerator - seg.numerator) / den : null };
      }),
    });
  }
  return { metric: def.name, def, lines };
}

/** The canaries judged on the day's traffic, worst first, worded as their checks word them. */
function canariesOf(db: DB, cfg: DatasetConfig, ds: string): CanaryView[] {
  return canaryJudgementsOfDay(db, cfg.name, ds).map((stored) => {
    // Hours are the dataset's wall-clock hours, whether or not the stored judgement names its zone.
    const j = { timezone: timeZoneOf(cfg), ...(stored.judgement as CanaryJudgement) };
    return {
      repo: stored.repo,
      sha: stored.sha,
      status: stored.status,
      share: j.day_events > 0 ? j.canary_events / j.day_events : null,
      hours: hoursOf(j),
      message: canarySentence(j),
    };
  });
}

export function loadDashboardData(db: DB, config: GuardrailConfig, opts: { dataset?: string; ds?: string }): DashboardData {
  const known = [...new Set([...listDatasets(db), ...Object.keys(config.datasets)])].sort();
  const dataset = opts.dataset ?? (known.includes("default") || known.length === 0 ? "default" : known[0]!);
  const cfg = resolveDataset(config, dataset);
  const latest = latestPublishedDs(db, dataset);
  const ds = opts.ds ?? latest;
  const empty: DashboardData = {
    datasets: known.length ? known : [dataset],
    dataset,
    cfg,
    ds,
    dayStatus: null,
    evaluation: null,
    evaluationError: null,
    from: null,
    series: [],
    segmentCharts: [],
    breakdowns: new Map(),
    hourly: [],
    deployments: [],
    checks: [],
    batchStatus: null,
    partialReason: null,
    suspects: [],
    incidents: [],
    canaries: [],
    overrides: overridesOf(db, dataset),
    publishedDays: [],
  };
  if (!ds) return empty;

  const windowStart = addDays(ds, -(HISTORY_DAYS - 1));
  const publishedDays = publishedDayList(db, dataset, addDays(windowStart, -7 * cfg.evaluation.weeks * 2), addDays(ds, HISTORY_DAYS));
  // The x axis spans the data shown: from the first published day of the window (or the day itself).
  const from = publishedDays.find((d) => d >= windowStart && d <= ds) ?? ds;
  const days = dsRange(from, ds);
  // A partial day is never a baseline day (docs/ingest.md, "Partial days"): not of a computed band, a bar's expected value or the hourly band.
  const partialDays = partialDaysBetween(db, dataset, publishedDays[0] ?? ds, ds);
  const stored = storedEvaluations(db, dataset, from, ds);
  const batch = publishedBatch(db, dataset, ds) ?? latestAttempt(db, dataset, ds);
  const partialReason = batch?.status === "published" ? (batch.partial_reason ?? null) : null;
  const { evaluation, error } = evaluationOf(db, cfg, ds, stored, latest, partialReason !== null);
  const totalsByMetric = new Map<string, Map<string, DayValue>>();
  const series: MetricSeries[] = cfg.metrics.map((def) => {
    const history = new Map(metricTotals(db, dataset, def.name, addDays(from, -7 * cfg.evaluation.weeks * 2), ds).map((r) => [r.ds, r]));
    totalsByMetric.set(def.name, history);
    const p = bandParams(cfg, def);
    const points: SeriesPoint[] = days.map((d) => {
      const v = { ...(history.get(d) ?? { ds: d, value: null, numerator: null, denominator: null }), ...(partialDays.has(d) ? { partial: true } : {}) };
      const verdict = d === ds && evaluation ? verdictFor(evaluation, def.name) : verdictFor(stored.get(d), def.name);
      if (verdict && verdict.expected !== null && verdict.lower !== null && verdict.upper !== null)
        return { ...v, band: { expected: verdict.expected, lower: verdict.lower, upper: verdict.upper }, verdict: verdict.verdict, source: "evaluation" as const };
      const band = v.value === null ? null : computedBand(history, d, p, partialDays);
      return { ...v, band, verdict: verdict?.verdict ?? null, source: band ? ("computed" as const) : null };
    });
    return { def, points };
  });

  const guardrails = cfg.metrics.filter((m) => m.guardrail);
  const segmentCharts: SegmentChart[] = [];
  for (const def of guardrails) {
    const v = verdictFor(evaluation, def.name);
    if (!v || (v.verdict !== "fail" && v.verdict !== "warn")) continue;
    const chart = segmentChart(db, cfg, def, v, days, totalsByMetric.get(def.name) ?? new Map());
    if (chart) segmentCharts.push(chart);
  }

  const breakdowns: DashboardData["breakdowns"] = new Map();
  for (const name of ["daily_visitors", ...guardrails.map((m) => m.name)]) {
    const def = cfg.metrics.find((m) => m.name === name);
    if (def && !breakdowns.has(name)) breakdowns.set(name, breakdownBars(db, cfg, def, ds, partialDays));
  }

  const published = new Set(publishedDays.filter((d) => !partialDays.has(d)));
  const hourly: HourlyChart[] = [];
  const rowsCache = new Map<string, HourlyActionRow[]>();
  for (const def of guardrails) {
    const v = verdictFor(evaluation, def.name);
    const baselineDays = v?.baseline_days?.length ? v.baseline_days : baselineCandidates(cfg, ds).filter((d) => published.has(d)).slice(0, cfg.evaluation.weeks);
    const key = baselineDays.join(",");
    let rows = rowsCache.get(key);
    if (!rows) rowsCache.set(key, (rows = hourlyActions(db, dataset, [ds, ...baselineDays])));
    hourly.push(hourlyChart(cfg, def, v, ds, rows, baselineDays));
  }

  return {
    ...empty,
    ds,
    dayStatus: dayStatus(db, dataset, ds),
    evaluation,
    evaluationError: error,
    from,
    series,
    segmentCharts,
    breakdowns,
    hourly,
    deployments: deploymentMarkers(db, cfg, from, ds),
    checks: batch ? batchChecks(db, batch.id) : [],
    batchStatus: batch?.status ?? null,
    partialReason,
    suspects: suspectViews(db, dataset, ds),
    incidents: incidentsOn(db, dataset, ds),
    canaries: canariesOf(db, cfg, ds),
    publishedDays: publishedDays.filter((d) => d <= addDays(ds, HISTORY_DAYS)),
  };
}

