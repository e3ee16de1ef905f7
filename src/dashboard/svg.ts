/**
 * Inline SVG charts, drawn on the server (docs/dashboard.md): no scripts,
 * readable without colour (failing days are bigger, deploy kinds have their own
 * shapes, lines their own dashes), labelled for screen readers with
 * <title>/<desc>. Scales and ticks come from d3-scale, so ticks are round
 * numbers evenly spaced and the time axis has one tick per week.
 */
import { scaleLinear, scaleUtc } from "d3-scale";
import { utcFriday, utcMonday, utcSaturday, utcSunday, utcThursday, utcTuesday, utcWednesday } from "d3-time";
import { addDays, dsToEpochMs, epochMsToDs, weekday } from "../shared/dates.js";
import { fmtClockChange, fmtClockMark, fmtHour, fmtHourRange, fmtSample, fmtShortDate, fmtTick, fmtValue, type ClockChange } from "../present/format.js";
import type { BreakdownBar, DeployMarker, HourPoint, HourRange, SeriesPoint } from "./data.js";

export function esc(s: unknown): string {
  return String(s ?? "").replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!);
}

export const VERDICT_COLOURS: Record<string, string> = {
  pass: "#1a7f37",
  warn: "#9a6700",
  fail: "#c62828",
  no_data: "#57606a",
  inconclusive: "#57606a",
};

/** Deploy kinds: colour and a shape of their own (readable without colour). */
export const DEPLOY_GLYPHS: Record<DeployMarker["kind"], { colour: string; shape: "triangle" | "diamond" | "square"; word: string }> = {
  production: { colour: "#8250df", shape: "triangle", word: "production deploy" },
  canary: { colour: "#bf3989", shape: "diamond", word: "canary deploy" },
  preview: { colour: "#6e7781", shape: "square", word: "preview deploy" },
};

/** Line styles of the segments-over-time chart, in order: colour + dash, so lines differ without colour too. */
export const LINE_STYLES = [
  { colour: "#c62828", dash: "" },
  { colour: "#0550ae", dash: "6 3" },
  { colour: "#9a6700", dash: "2 3" },
  { colour: "#57606a", dash: "10 3 2 3" },
];

const W = 640;
const H = 230;
const PAD = { left: 62, right: 24, top: 20, bottom: 30 };
const f1 = (n: number) => n.toFixed(1);

const WEEKDAY_INTERVALS = [utcSunday, utcMonday, utcTuesday, utcWednesday, utcThursday, utcFriday, utcSaturday];

/** Consecutive runs of items for which `has` holds (a gap breaks a line or band). */
function runs<T>(items: T[], has: (t: T) => boolean): T[][] {
  const out: T[][] = [];
  let cur: T[] = [];
  for (const it of items) {
    if (has(it)) cur.push(it);
    else if (cur.length) {
      out.push(cur);
      cur = [];
    }
  }
  if (cur.length) out.push(cur);
  return out;
}

type Kind = "count" | "ratio";

/** A tick label at the right edge ends there instead of running off the chart. */
function anchor(x: number): "middle" | "end" {
  return x > W - PAD.right - 24 ? "end" : "middle";
}

/** A y scale with round ticks over every value drawn (0 stays the floor). */
function yScale(values: number[], kind: Kind, top: number, bottom: number) {
  let lo = Math.min(...values);
  let hi = Math.max(...values);
  if (hi === lo) {
    hi += Math.abs(hi) * 0.1 || (kind === "ratio" ? 0.01 : 1);
    lo -= Math.abs(lo) * 0.1 || (kind === "ratio" ? 0.01 : 1);
  }
  const pad = (hi - lo) * 0.05;
  const y = scaleLinear()
    .domain([Math.max(0, lo - pad), kind === "ratio" ? Math.min(1, hi + pad) : hi + pad])
    .range([bottom, top])
    .nice(5);
  const ticks = y.ticks(5);
  const step = ticks.length > 1 ? ticks[1]! - ticks[0]! : Math.abs(y.domain()[1]! - y.domain()[0]!) || 1;
  return { y, ticks, step };
}

function yAxis(y: (v: number) => number, ticks: number[], step: number, kind: Kind, width: number): string {
  return ticks
    .map((v) => `<line x1="${PAD.left}" x2="${width - PAD.right}" y1="${f1(y(v))}" y2="${f1(y(v))}" class="grid"/><text x="${PAD.left - 6}" y="${f1(y(v) + 4)}" text-anchor="end" class="axis y">${esc(fmtTick(v, kind, step))}</text>`)
    .join("");
}

function glyph(kind: DeployMarker["kind"], cx: number, cy: number): string {
  const g = DEPLOY_GLYPHS[kind];
  const s = 5;
  if (g.shape === "triangle") return `<path d="M${f1(cx)} ${f1(cy - s)}L${f1(cx + s)} ${f1(cy + s)}L${f1(cx - s)} ${f1(cy + s)}Z" fill="${g.colour}"/>`;
  if (g.shape === "diamond") return `<path d="M${f1(cx)} ${f1(cy - s)}L${f1(cx + s)} ${f1(cy)}L${f1(cx)} ${f1(cy + s)}L${f1(cx - s)} ${f1(cy)}Z" fill="${g.colour}"/>`;
  return `<rect x="${f1(cx - s + 1)}" y="${f1(cy - s + 1)}" width="${2 * s - 2}" height="${2 * s - 2}" fill="${g.colour}"/>`;
}

/** Deploy markers: a thin line through the plot and the kind's shape above it, with a tooltip. */
function deployMarks(deploys: DeployMarker[], xOf: (d: DeployMarker) => number): string {
  return deploys
    .map((d) => {
      const x = xOf(d);
      const tip = `${DEPLOY_GLYPHS[d.kind].word}: ${d.repo} ${d.sha.slice(0, 7)} to ${d.environment} at ${d.at.slice(0, 16).replace("T", " ")} UTC`;
      return `<g class="deploy" data-deploy="${d.kind}"><title>${esc(tip)}</title><line x1="${f1(x)}" x2="${f1(x)}" y1="${PAD.top - 4}" y2="${H - PAD.bottom}" stroke="${DEPLOY_GLYPHS[d.kind].colour}" stroke-width="1" stroke-dasharray="1 2"/>${glyph(d.kind, x, PAD.top - 9)}</g>`;
    })
    .join("");
}

export interface TimeLine {
  label: string;
  points: { ds: string; value: number | null }[];
  style: number;
}

/** What every chart has: an id for its labels, a title and description for screen readers, the metric's kind. */
interface ChartLabels {
  id: string;
  title: string;
  desc: string;
  kind: Kind;
}

export interface TimeChartInput extends ChartLabels {
  /** Days shown, oldest first: the x axis spans exactly these. */
  days: string[];
  selectedDs: string;
  /** The metric itself, with its band and verdicts… */
  series?: SeriesPoint[];
  /** …or several labelled lines (segments over time). */
  lines?: TimeLine[];
  deploys?: DeployMarker[];
}

/** A daily chart: band, expected, observed, failing days, deploys; x ticks on the selected day's weekday, one per week. */
export function timeChart(c: TimeChartInput): string {
  const series = c.series ?? [];
  const lines = c.lines ?? [];
  const values = [
    ...series.flatMap((p) => [p.value, p.band?.lower, p.band?.upper]),
    ...lines.flatMap((l) => l.points.map((p) => p.value)),
  ].filter((v): v is number => typeof v === "number" && Number.isFinite(v));
  const head = `role="img" aria-labelledby="${c.id}-t ${c.id}-d"`;
  const labels = `<title id="${c.id}-t">${esc(c.title)}</title><desc id="${c.id}-d">${esc(c.desc)}</desc>`;
  if (values.length === 0 || c.days.length === 0)
    return `<svg class="chart" viewBox="0 0 ${W} 60" ${head}>${labels}<text x="10" y="35" class="muted">No published values in this window.</text></svg>`;
  const first = c.days[0]!;
  const last = c.days.at(-1)!;
  // A single day still gets an axis a day wide on each side.
  const domain = first === last ? [addDays(first, -1), addDays(last, 1)] : [first, last];
  const x = scaleUtc()
    .domain(domain.map((d) => new Date(dsToEpochMs(d))))
    .range([PAD.left, W - PAD.right]);
  const xDs = (ds: string) => x(new Date(dsToEpochMs(ds)));
  const { y, ticks, step } = yScale(values, c.kind, PAD.top, H - PAD.bottom);
  const parts: string[] = [yAxis(y, ticks, step, c.kind, W)];
  const weekTicks = x.ticks(WEEKDAY_INTERVALS[weekday(c.selectedDs || last)]!);
  for (const t of weekTicks) {
    const ds = epochMsToDs(t.getTime());
    parts.push(`<line x1="${f1(x(t))}" x2="${f1(x(t))}" y1="${H - PAD.bottom}" y2="${H - PAD.bottom + 4}" class="tick"/><text x="${f1(x(t))}" y="${H - 10}" text-anchor="${anchor(x(t))}" class="axis x">${esc(fmtShortDate(ds))}</text>`);
  }
  parts.push(`<line x1="${PAD.left}" x2="${W - PAD.right}" y1="${H - PAD.bottom}" y2="${H - PAD.bottom}" class="baseline"/>`);
  const indexed = series.map((p) => ({ p, x: xDs(p.ds) }));
  for (const run of runs(indexed, ({ p }) => !!p.band)) {
    const top = run.map(({ p, x }) => `${f1(x)},${f1(y(p.band!.upper))}`);
    const bottom = run.map(({ p, x }) => `${f1(x)},${f1(y(p.band!.lower))}`).reverse();
    // A lone judged day still shows its range: a short bar instead of a zero-width polygon.
    if (run.length === 1) parts.push(`<rect x="${f1(run[0]!.x - 3)}" y="${f1(y(run[0]!.p.band!.upper))}" width="6" height="${f1(Math.max(1, y(run[0]!.p.band!.lower) - y(run[0]!.p.band!.upper)))}" class="band"/>`);
    else parts.push(`<polygon points="${[...top, ...bottom].join(" ")}" class="band"/>`);
    parts.push(`<polyline points="${run.map(({ p, x }) => `${f1(x)},${f1(y(p.band!.expected))}`).join(" ")}" class="expected"/>`);
  }
  for (const run of runs(indexed, ({ p }) => p.value !== null)) {
    if (run.length > 1) parts.push(`<polyline points="${run.map(({ p, x }) => `${f1(x)},${f1(y(p.value!))}`).join(" ")}" class="line"/>`);
  }
  lines.forEach((l) => {
    const st = LINE_STYLES[l.style % LINE_STYLES.length]!;
    const pts = l.points.map((p) => ({ p, x: xDs(p.ds) }));
    for (const run of runs(pts, ({ p }) => p.value !== null)) {
      const d = run.map(({ p, x }) => `${f1(x)},${f1(y(p.value!))}`).join(" ");
      parts.push(`<polyline points="${d}" fill="none" stroke="${st.colour}" stroke-width="2"${st.dash ? ` stroke-dasharray="${st.dash}"` : ""} data-line="${esc(l.label)}"/>`);
    }
    const end = [...pts].reverse().find(({ p }) => p.value !== null);
    if (end) parts.push(`<circle cx="${f1(end.x)}" cy="${f1(y(end.p.value!))}" r="3" fill="${st.colour}"/>`);
  });
  if (c.selectedDs) parts.push(`<line x1="${f1(xDs(c.selectedDs))}" x2="${f1(xDs(c.selectedDs))}" y1="${PAD.top}" y2="${H - PAD.bottom}" class="selected"/>`);
  for (const { p, x } of indexed) {
    if (p.value === null) continue;
    const fail = p.verdict === "fail";
    const tip = `${p.ds}: ${fmtValue(p.value, c.kind)}${p.band ? ` (expected ${fmtValue(p.band.expected, c.kind)}, normal ${fmtValue(p.band.lower, c.kind)} – ${fmtValue(p.band.upper, c.kind)})` : ""}${p.verdict ? `, ${p.verdict}` : ""}${p.partial ? ", published partial: not a whole day" : ""}`;
    // A partial day's value is not a whole day's: drawn hollow, so its dip is not read as a fall.
    const cls = fail ? "pt fail" : p.partial ? "pt partial" : "pt";
    parts.push(`<circle cx="${f1(x)}" cy="${f1(y(p.value))}" r="${fail ? 6 : p.partial ? 4 : 2.5}" class="${cls}"${fail ? ` data-failing="${esc(p.ds)}"` : ""}${p.partial ? ` data-partial="${esc(p.ds)}"` : ""}><title>${esc(tip)}</title></circle>`);
  }
  // Deploys at their hour within the day, so several on one day spread out.
  parts.push(deployMarks(c.deploys ?? [], (d) => x(new Date(dsToEpochMs(d.ds) + d.hour * 3_600_000))));
  return `<svg class="chart" viewBox="0 0 ${W} ${H}" ${head}>${labels}${parts.join("")}</svg>`;
}

export interface HourChartInput extends ChartLabels {
  hours: HourPoint[];
  flagged: HourRange | null;
  deploys: DeployMarker[];
  /** A DST day's clock change: the skipped or repeated hour is marked. */
  dst?: ClockChange | null;
}

/** Today's 24 hours against the same hours of the baseline days; the hours the intraday rule named are shaded. */
export function hourChart(c: HourChartInput): string {
  const values = c.hours.flatMap((h) => [h.value, h.band?.lower, h.band?.upper]).filter((v): v is number => typeof v === "number" && Number.isFinite(v));
  const head = `role="img" aria-labelledby="${c.id}-t ${c.id}-d"`;
  const labels = `<title id="${c.id}-t">${esc(c.title)}</title><desc id="${c.id}-d">${esc(c.desc)}</desc>`;
  if (values.length === 0) return `<svg class="chart" viewBox="0 0 ${W} 60" ${head}>${labels}<text x="10" y="35" class="muted">No hourly values for this day.</text></svg>`;
  const x = scaleLinear().domain([0, 24]).range([PAD.left, W - PAD.right]);
  const { y, ticks, step } = yScale(values, c.kind, PAD.top, H - PAD.bottom);
  const parts: string[] = [];
  if (c.flagged) {
    const x0 = x(c.flagged.from);
    const x1 = x(c.flagged.to);
    parts.push(`<rect x="${f1(x0)}" y="${PAD.top}" width="${f1(x1 - x0)}" height="${H - PAD.top - PAD.bottom}" class="flagged" data-flagged="${c.flagged.from}-${c.flagged.to}"><title>${esc(`Hours named by the intraday rule: ${fmtHourRange(c.flagged.from, c.flagged.to)}`)}</title></rect>`);
  }
  if (c.dst) {
    const x0 = x(c.dst.hour);
    const mark = fmtClockMark(c.dst);
    parts.push(
      `<rect x="${f1(x0)}" y="${PAD.top}" width="${f1(x(c.dst.hour + 1) - x0)}" height="${H - PAD.top - PAD.bottom}" class="dst" data-dst="${c.dst.direction}"><title>${esc(fmtClockChange(c.dst))}</title></rect><text x="${f1(x0 + 2)}" y="${PAD.top + 12}" class="axis">${esc(mark)}</text>`,
    );
  }
  parts.push(yAxis(y, ticks, step, c.kind, W));
  // Every 3 hours: a day reads in quarters and eighths.
  for (let h = 0; h <= 24; h += 3) parts.push(`<line x1="${f1(x(h))}" x2="${f1(x(h))}" y1="${H - PAD.bottom}" y2="${H - PAD.bottom + 4}" class="tick"/><text x="${f1(x(h))}" y="${H - 10}" text-anchor="${anchor(x(h))}" class="axis x">${esc(fmtHour(h % 24 === 0 && h > 0 ? 24 : h))}</text>`);
  parts.push(`<line x1="${PAD.left}" x2="${W - PAD.right}" y1="${H - PAD.bottom}" y2="${H - PAD.bottom}" class="baseline"/>`);
  const pts = c.hours.map((h) => ({ h, x: x(h.hour + 0.5) }));
  for (const run of runs(pts, ({ h }) => !!h.band)) {
    const top = run.map(({ h, x }) => `${f1(x)},${f1(y(h.band!.upper))}`);
    const bottom = run.map(({ h, x }) => `${f1(x)},${f1(y(h.band!.lower))}`).reverse();
    parts.push(`<polygon points="${[...top, ...bottom].join(" ")}" class="band"/>`);
    parts.push(`<polyline points="${run.map(({ h, x }) => `${f1(x)},${f1(y(h.band!.expected))}`).join(" ")}" class="expected"/>`);
  }
  for (const run of runs(pts, ({ h }) => h.value !== null)) {
    if (run.length > 1) parts.push(`<polyline points="${run.map(({ h, x }) => `${f1(x)},${f1(y(h.value!))}`).join(" ")}" class="line"/>`);
  }
  for (const { h, x } of pts) {
    if (h.value === null) continue;
    const tip = `${fmtHourRange(h.hour, h.hour + 1)}: ${fmtValue(h.value, c.kind)}${h.denominator !== null && c.kind === "ratio" ? ` (${fmtSample(h.numerator, h.denominator)})` : ""}${h.band ? `, expected ${fmtValue(h.band.expected, c.kind)}` : ""}`;
    parts.push(`<circle cx="${f1(x)}" cy="${f1(y(h.value))}" r="2.5" class="pt"><title>${esc(tip)}</title></circle>`);
  }
  parts.push(deployMarks(c.deploys, (d) => x(d.hour + Number(d.at.slice(14, 16)) / 60)));
  return `<svg class="chart" viewBox="0 0 ${W} ${H}" ${head}>${labels}${parts.join("")}</svg>`;
}

/**
 * Breakdown bars with their evidence: the expected value as a marker, the
 * sample behind a rate ("3 / 8"), and segments too small to judge drawn grey
 * with the words "too small to judge".
 */
export function barChart(id: string, title: string, bars: BreakdownBar[], kind: Kind): string {
  // Segments big enough to judge first: a rate from 3 / 8 must not top the chart.
  const shown = bars
    .filter((b) => b.value !== null)
    .sort((a, b) => Number(a.tooSmall) - Number(b.tooSmall) || b.value! - a.value!)
    .slice(0, 8);
  const rowH = 28;
  const h = Math.max(shown.length, 1) * rowH + 8;
  const labelW = 110;
  const textW = 250;
  const max = Math.max(...shown.flatMap((b) => [b.value!, b.expected ?? 0]), 0) || 1;
  const x = scaleLinear().domain([0, max]).range([labelW, W - textW]).nice();
  const describe = (b: BreakdownBar) =>
    `${b.label}: ${fmtValue(b.value, kind)}${kind === "ratio" ? ` (${fmtSample(b.numerator, b.denominator)})` : ""}${b.expected !== null ? `, expected ${fmtValue(b.expected, kind)}` : ""}${b.tooSmall ? ", too small to judge" : ""}`;
  const desc = shown.length ? shown.map(describe).join("; ") : "No data for this day.";
  const rows = shown.map((b, i) => {
    const yy = 4 + i * rowH;
    const w = x(b.value!) - labelW;
    const label = b.label.length > 17 ? b.label.slice(0, 16) + "…" : b.label;
    const evidence = [fmtValue(b.value, kind), kind === "ratio" ? fmtSample(b.numerator, b.denominator) : null, b.tooSmall ? "too small to judge" : null].filter(Boolean).join(" · ");
    const marker =
      b.expected !== null ? `<line x1="${f1(x(b.expected))}" x2="${f1(x(b.expected))}" y1="${yy + 1}" y2="${yy + rowH - 3}" class="exp-mark"><title>${esc(`expected ${fmtValue(b.expected, kind)}`)}</title></line>` : "";
    return `<g${b.tooSmall ? ` class="small" data-small="true"` : ""}><title>${esc(describe(b))}</title><text x="${labelW - 8}" y="${yy + 18}" text-anchor="end" class="axis">${esc(label)}</text><rect x="${labelW}" y="${yy + 5}" width="${f1(Math.max(w, 1))}" height="${rowH - 10}" class="bar"/>${marker}<text x="${f1(W - textW + 8)}" y="${yy + 18}" class="axis">${esc(evidence)}</text></g>`;
  });
  return `<svg class="chart bars" viewBox="0 0 ${W} ${h}" role="img" aria-labelledby="${id}-t ${id}-d"><title id="${id}-t">${esc(title)}</title><desc id="${id}-d">${esc(desc)}</desc>${rows.join("")}</svg>`;
}
