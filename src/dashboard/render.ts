/**
 * The dashboard page (docs/dashboard.md): one self-contained HTML document,
 * server-rendered, inline CSS and SVG, no scripts. Per dataset it shows the
 * day's guardrail verdicts first (what people come for), when code shipped,
 * each guardrail by the hour and its segments over time, then every metric's
 * 8-week line against its baseline band, the day's breakdowns with their
 * evidence, quality checks and overrides. Every chart has a visible legend and
 * says what its band covers.
 */
import type { DB } from "../store/db.js";
import type { GuardrailConfig, MetricDef } from "../config/schema.js";
import { addDays, dsRange, weekday, WEEKDAY_NAMES } from "../shared/dates.js";
import type { Verdict } from "../shared/types.js";
import { dimensionWord, fmtChange, fmtCheckValue, fmtClockChange, fmtClockMark, fmtHourRange, fmtSample, fmtShare, fmtShortDate, fmtValue, fmtZ } from "../present/format.js";
import { isEnforcedGuardrail } from "../shared/decision.js";
import { BREAKDOWN_DIMENSIONS, HISTORY_DAYS, loadDashboardData, type DashboardData, type DeployMarker, type SuspectView } from "./data.js";
import { barChart, DEPLOY_GLYPHS, esc, hourChart, LINE_STYLES, timeChart, VERDICT_COLOURS } from "./svg.js";

/**
 * How the page links to other pages. A static snapshot (the default: a file
 * has no service behind it) links to no other page. On the service, `href`
 * gives the link for a dataset and day, or null where the viewer may not go
 * (a signed link only mints links for its own dataset).
 */
export type PageLinks =
  | { kind: "static" }
  | {
      kind: "service";
      href: (dataset: string, ds: string | null) => string | null;
      /** Opened through a signed link: links only to days of the page's own dataset. */
      sameDatasetOnly?: boolean;
    };

export interface DashboardOptions {
  dataset?: string;
  ds?: string;
  links?: PageLinks;
  /** Web base of GitHub for links to commits, PRs, check runs and issues. */
  githubUrl?: string;
}

const VERDICT_WORDS: Record<string, string> = {
  pass: "✔ Pass",
  warn: "▲ Warning",
  fail: "✖ Failing",
  no_data: "? No data",
  inconclusive: "? Inconclusive",
};

const CSS = `
:root{color-scheme:light;--fg:#1f2328;--muted:#57606a;--line:#d0d7de;--bg:#fff;--panel:#f6f8fa;--accent:#0550ae}
*{box-sizing:border-box}body{margin:0;font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--fg);background:var(--bg)}
header,main,footer{max-width:1200px;margin:0 auto;padding:0 16px}header{padding-top:16px}
h1{font-size:1.6rem;margin:.2em 0}h2{font-size:1.25rem;margin:1.6em 0 .6em;border-bottom:1px solid var(--line);padding-bottom:.2em}h3{font-size:1.05rem;margin:.2em 0}
a{color:var(--accent)}nav ul{list-style:none;padding:0;margin:.4em 0;display:flex;flex-wrap:wrap;gap:.4em 1em}
.muted{color:var(--muted);fill:var(--muted)}.summary{font-size:1.1rem}.note{font-size:.9rem;color:var(--muted);margin:.2em 0 .4em}
.cards{display:grid;grid-template-columns:repeat(auto-fit,minmax(260px,1fr));gap:12px}
.card{border:1px solid var(--line);border-left:8px solid var(--c);border-radius:6px;padding:12px 14px;background:var(--bg)}
.verdict{font-size:1.7rem;font-weight:700;color:var(--c);margin:.1em 0}
.grid2{display:grid;grid-template-columns:repeat(auto-fit,minmax(min(100%,520px),1fr));gap:16px}.wide .chart{max-width:760px}
figure{margin:0;border:1px solid var(--line);border-radius:6px;padding:10px;background:var(--bg);min-width:0}figcaption{font-weight:600;margin-bottom:2px}
figure.failing{border-color:#c62828;box-shadow:0 0 0 1px #c62828}
.chart{width:100%;height:auto;display:block}.chart .grid{stroke:#eaeef2}.chart .axis{font-size:12px;fill:var(--muted)}.chart .tick,.chart .baseline{stroke:#8c959f}
.chart .band{fill:#0969da;fill-opacity:.16}.chart .expected{fill:none;stroke:#0969da;stroke-dasharray:5 3;stroke-width:1.5}
.chart .line{fill:none;stroke:#1f2328;stroke-width:2}.chart .pt{fill:#1f2328}.chart .pt.fail{fill:#c62828;stroke:#fff;stroke-width:2}.chart .pt.partial{fill:#fff;stroke:#1f2328;stroke-width:1.5}
.chart .selected{stroke:#8250df;stroke-width:1;stroke-dasharray:2 2}.chart .bar{fill:#0969da}.chart .exp-mark{stroke:#1f2328;stroke-width:3}
.chart .small .bar{fill:#afb8c1}.chart .small text{fill:#6e7781}.chart .flagged{fill:#c62828;fill-opacity:.12}
.legend{list-style:none;padding:0;margin:4px 0;display:flex;flex-wrap:wrap;gap:2px 14px;font-size:.85rem;color:var(--muted)}
.legend li{display:flex;align-items:center;gap:6px}.legend i{display:inline-block;width:22px;height:12px;flex:none}
.k-obs{border-top:2px solid #1f2328;margin-top:10px;position:relative}.k-exp{border-top:2px dashed #0969da;margin-top:10px}
.k-band{background:rgba(9,105,218,.16)}.k-fail{width:12px!important;border-radius:50%;background:#c62828}.k-hours{background:rgba(198,40,40,.16)}
.k-dst{background:repeating-linear-gradient(135deg,#8c959f 0 2px,transparent 2px 5px)}.chart .dst{fill:#8c959f;fill-opacity:.18;stroke:#57606a;stroke-dasharray:3 2}
.k-partial{width:10px!important;height:10px!important;border-radius:50%;border:1.5px solid #1f2328}.k-small{background:#afb8c1}.k-bar{background:#0969da}.k-mark{width:4px!important;height:14px!important;background:#1f2328}
.k-line{border-top:2px solid var(--c);margin-top:10px}.k-line.dash{border-top-style:dashed}.k-line.dot{border-top-style:dotted}
.k-glyph{width:12px!important;background:var(--c)}.k-glyph.triangle{clip-path:polygon(50% 0,100% 100%,0 100%)}.k-glyph.diamond{clip-path:polygon(50% 0,100% 50%,50% 100%,0 50%)}
table{border-collapse:collapse;width:100%;font-size:.95rem}th,td{text-align:left;padding:6px 8px;border-bottom:1px solid var(--line);vertical-align:top}
th{background:var(--panel)}td.num{text-align:right;font-variant-numeric:tabular-nums}.table-wrap{overflow-x:auto}
.tag{display:inline-block;padding:0 6px;border-radius:4px;color:#fff;background:var(--c);font-weight:600;font-size:.85rem}
.cal{width:auto;font-size:.85rem}.cal td,.cal th{padding:2px 6px;text-align:center;border:0}.cal td.on{font-weight:700;outline:2px solid #8250df}.cal td.off{color:#8c959f}
details{margin-top:6px}summary{cursor:pointer;color:var(--accent)}
footer{color:var(--muted);font-size:.85rem;padding:24px 16px}
td.num{white-space:nowrap}
@media (max-width:600px){body{font-size:15px}h1{font-size:1.3rem}.verdict{font-size:1.4rem}th,td{padding:4px 5px}.chart:not(.bars) .axis{font-size:18px}}
`;

function tag(verdict: string): string {
  return `<span class="tag" style="--c:${VERDICT_COLOURS[verdict] ?? "#57606a"}">${esc(VERDICT_WORDS[verdict] ?? verdict)}</span>`;
}

function kindOf(def: MetricDef | undefined): "count" | "ratio" {
  return def?.kind === "ratio" ? "ratio" : "count";
}

function ghLink(base: string, path: string, text: string): string {
  return `<a href="${esc(`${base}/${path}`)}">${esc(text)}</a>`;
}

function legend(items: string[]): string {
  return `<ul class="legend" aria-label="Legend">${items.map((i) => `<li>${i}</li>`).join("")}</ul>`;
}

const KEY = {
  observed: `<i class="k-obs"></i>observed`,
  expected: `<i class="k-exp"></i>expected`,
  band: `<i class="k-band"></i>normal range`,
  failing: `<i class="k-fail"></i>failing day`,
  partial: `<i class="k-partial"></i>partial day (not a whole day, never a baseline)`,
  hours: `<i class="k-hours"></i>hours named by the intraday rule`,
};

function deployKeys(deploys: DeployMarker[]): string[] {
  const kinds = new Set(deploys.map((d) => d.kind));
  return (Object.keys(DEPLOY_GLYPHS) as DeployMarker["kind"][])
    .filter((k) => kinds.has(k))
    .map((k) => `<i class="k-glyph ${DEPLOY_GLYPHS[k].shape}" style="--c:${DEPLOY_GLYPHS[k].colour}"></i>${esc(DEPLOY_GLYPHS[k].word)}`);
}

/** What a band covers, in words: "the same weekday of the 4 previous weeks (Tuesdays)". */
function bandWords(d: DashboardData): string {
  const weeks = d.cfg.evaluation.weeks;
  const day = d.ds ? ` (${WEEKDAY_NAMES[weekday(d.ds)]}s for ${fmtShortDate(d.ds)})` : "";
  return `the same weekday of the ${weeks} previous week${weeks === 1 ? "" : "s"}${day}`;
}

function verdictCard(v: Verdict, def: MetricDef | undefined): string {
  const kind = kindOf(def);
  const colour = VERDICT_COLOURS[v.verdict] ?? "#57606a";
  const sample = kind === "ratio" && v.numerator != null && v.denominator != null ? ` (${fmtSample(v.numerator, v.denominator)})` : "";
  return `<article class="card" style="--c:${colour}" aria-label="${esc(v.metric)}: ${esc(v.verdict)}" data-verdict="${esc(v.verdict)}" data-metric="${esc(v.metric)}">
<h3>${esc(v.metric)}</h3>
<p class="verdict">${esc(VERDICT_WORDS[v.verdict] ?? v.verdict)}</p>
<p>Today <strong>${esc(fmtValue(v.observed, kind))}</strong>${esc(sample)} · expected ${esc(fmtValue(v.expected, kind))} (normal ${esc(fmtValue(v.lower, kind))} – ${esc(fmtValue(v.upper, kind))}) · change ${esc(fmtChange(v.change))} · z = ${esc(fmtZ(v.z))}</p>
<p class="muted">${esc(v.message)}</p>${v.guardrail && !isEnforcedGuardrail(v) ? `<p class="muted">Reported only (not enforced).</p>` : ""}
</article>`;
}

function verdictTable(d: DashboardData): string {
  const ev = d.evaluation!;
  const defs = new Map(d.cfg.metrics.map((m) => [m.name, m]));
  const rows = ev.verdicts.map((v) => {
    const k = kindOf(defs.get(v.metric));
    return `<tr><th scope="row">${esc(v.metric)}${v.guardrail ? " (guardrail)" : ""}</th><td class="num">${esc(fmtValue(v.observed, k))}</td><td class="num">${esc(fmtValue(v.expected, k))}</td><td class="num">${esc(fmtChange(v.change))}</td><td class="num">${esc(fmtZ(v.z))}</td><td>${tag(v.verdict)}</td></tr>`;
  });
  return `<div class="table-wrap" tabindex="0"><table><caption class="muted">Every metric on ${esc(ev.ds)} against its seasonal baseline</caption><thead><tr><th scope="col">metric</th><th scope="col">today</th><th scope="col">expected</th><th scope="col">change</th><th scope="col">z</th><th scope="col">verdict</th></tr></thead><tbody>${rows.join("")}</tbody></table></div>`;
}

function segmentsBlock(v: Verdict, def: MetricDef | undefined): string {
  if (!v.segments?.length) return "";
  const k = kindOf(def);
  const rows = v.segments
    .slice(0, 8)
    .map((s) => `<tr><td>${esc(dimensionWord(s.dimension))}</td><td>${esc(s.value)}</td><td class="num">${esc(fmtValue(s.observed, k))}</td><td class="num">${esc(fmtValue(s.expected, k))}</td><td class="num">${esc(fmtChange(s.change))}</td><td class="num">${esc(fmtShare(s.contribution))}</td></tr>`);
  return `<div class="table-wrap" tabindex="0"><table><caption>Where ${esc(v.metric)} moved (segments ranked by their share of the change)</caption><thead><tr><th scope="col">dimension</th><th scope="col">segment</th><th scope="col">today</th><th scope="col">expected</th><th scope="col">change</th><th scope="col">share of change</th></tr></thead><tbody>${rows.join("")}</tbody></table></div>`;
}

function metricFigure(d: DashboardData, i: number): string {
  const s = d.series[i]!;
  const kind = kindOf(s.def);
  const failing = s.points.some((p) => p.ds === d.ds && p.verdict === "fail");
  const failingDays = s.points.filter((p) => p.verdict === "fail");
  const partialDays = s.points.filter((p) => p.partial && p.value !== null);
  const firstJudged = s.points.find((p) => p.band)?.ds ?? null;
  const days = s.points.map((p) => p.ds);
  const deploys = d.deployments;
  const coverage = [`Normal range: ${bandWords(d)}.`];
  if (!firstJudged) coverage.push(`No day here has the ${d.cfg.evaluation.min_weeks} weeks of history a band needs.`);
  else if (firstJudged > days[0]!) coverage.push(`Days before ${fmtShortDate(firstJudged)} have fewer than ${d.cfg.evaluation.min_weeks} such weeks, so they have no band and are not judged.`);
  const desc = [
    `Daily ${s.def.name} from ${days[0]} to ${days.at(-1)}.`,
    coverage.join(" "),
    failingDays.length ? `Failing days: ${failingDays.map((p) => `${p.ds} (${fmtValue(p.value, kind)})`).join(", ")}.` : "No failing days.",
    partialDays.length ? `Partial days, not whole days: ${partialDays.map((p) => p.ds).join(", ")}.` : "",
    deploys.length ? `${deploys.length} deployment${deploys.length === 1 ? "" : "s"} marked.` : "",
  ].join(" ");
  const rows = s.points
    .filter((p) => p.value !== null)
    .map(
      (p) =>
        `<tr><td>${esc(p.ds)}</td><td class="num">${esc(fmtValue(p.value, kind))}</td><td class="num">${esc(fmtValue(p.band?.expected, kind))}</td><td class="num">${p.band ? `${esc(fmtValue(p.band.lower, kind))} – ${esc(fmtValue(p.band.upper, kind))}` : "–"}</td><td>${p.verdict ? esc(p.verdict) : "–"}${p.partial ? " (partial day)" : ""}</td></tr>`,
    );
  return `<figure id="metric-${esc(s.def.name)}" class="${failing ? "failing" : ""}" data-metric="${esc(s.def.name)}">
<figcaption>${esc(s.def.name)}${s.def.guardrail ? " · guardrail" : ""}${failing ? ` · ${tag("fail")}` : ""}${s.def.description ? `<br><span class="muted">${esc(s.def.description)}</span>` : ""}</figcaption>
<p class="note" data-band-words>${esc(coverage.join(" "))}</p>
${legend([KEY.observed, KEY.expected, KEY.band, KEY.failing, ...(partialDays.length ? [KEY.partial] : []), ...deployKeys(deploys)])}
${timeChart({ id: `c${i}`, title: `${s.def.name}: ${days.length} days to ${d.ds}`, desc, kind, days, selectedDs: d.ds ?? "", series: s.points, deploys })}
<details><summary>Values of ${esc(s.def.name)}</summary><div class="table-wrap" tabindex="0"><table><thead><tr><th scope="col">day</th><th scope="col">value</th><th scope="col">expected</th><th scope="col">normal range</th><th scope="col">verdict</th></tr></thead><tbody>${rows.join("")}</tbody></table></div></details>
</figure>`;
}

function segmentFigures(d: DashboardData): string {
  return d.segmentCharts
    .map((c, n) => {
      const kind = kindOf(c.def);
      const days = c.lines[0]?.points.map((p) => p.ds) ?? [];
      const lines = c.lines.map((l, i) => ({ label: l.label, points: l.points, style: l.rest ? LINE_STYLES.length - 1 : i }));
      const keys = lines.map((l) => {
        const st = LINE_STYLES[l.style]!;
        return `<i class="k-line${st.dash.startsWith("2") ? " dot" : st.dash ? " dash" : ""}" style="--c:${st.colour}"></i>${esc(l.label)}`;
      });
      const first = c.lines[0]!;
      const desc = `${c.metric} per segment, daily from ${days[0]} to ${days.at(-1)}. ` + c.lines.map((l) => `${l.label} on ${d.ds}: ${fmtValue(l.points.at(-1)?.value ?? null, kind)}`).join("; ") + ".";
      const rows = days.map((ds, i) => `<tr><td>${esc(ds)}</td>${c.lines.map((l) => `<td class="num">${esc(fmtValue(l.points[i]?.value ?? null, kind))}</td>`).join("")}</tr>`);
      return `<figure data-segments="${esc(c.metric)}"><figcaption>${esc(c.metric)} by ${esc(dimensionWord(first.dimension))}: the segments that explain the ${d.evaluation?.verdicts.find((v) => v.metric === c.metric)?.verdict === "fail" ? "failure" : "warning"}</figcaption>
<p class="note">The top segments of the localisation on ${esc(d.ds)}${c.lines.some((l) => l.rest) ? `, and all traffic but ${esc(first.value)}` : ""}, over the same weeks: a fall inside one segment shows as its line dropping while the rest holds.</p>
${legend(keys)}
${timeChart({ id: `s${n}`, title: `${c.metric} by segment, ${days.length} days to ${d.ds}`, desc, kind, days, selectedDs: d.ds ?? "", lines, deploys: d.deployments })}
<details><summary>Values of ${esc(c.metric)} by segment</summary><div class="table-wrap" tabindex="0"><table><thead><tr><th scope="col">day</th>${c.lines.map((l) => `<th scope="col">${esc(l.label)}</th>`).join("")}</tr></thead><tbody>${rows.join("")}</tbody></table></div></details>
</figure>`;
    })
    .join("");
}

function hourlyFigures(d: DashboardData): string {
  const today = d.deployments.filter((m) => m.ds === d.ds);
  return d.hourly
    .map((h, n) => {
      const kind = kindOf(h.def);
      if (h.hours.length === 0) return `<figure data-hourly="${esc(h.metric)}"><figcaption>${esc(h.metric)} by the hour on ${esc(d.ds)}</figcaption><p class="muted">${esc(h.missing ?? "No hourly values.")}</p></figure>`;
      const base = h.baselineDays.length ? `the same hours of ${h.baselineDays.length} baseline day${h.baselineDays.length === 1 ? "" : "s"} (${h.baselineDays.map(fmtShortDate).join(", ")})` : "no baseline days";
      const flagged = h.flagged ? ` The intraday rule named ${fmtHourRange(h.flagged.from, h.flagged.to)}: shaded.` : "";
      const clock = h.dst ? ` ${fmtClockChange(h.dst)}` : "";
      const desc = `${h.metric} per hour on ${d.ds} against ${base}.${flagged}${clock} ${h.hours
        .filter((x) => x.value !== null)
        .map((x) => `${x.hour}h ${fmtValue(x.value, kind)}`)
        .join(", ")}.`;
      const cols = kind === "ratio" ? 4 : 3;
      const rows = h.hours.map((x) =>
        x.length === 0
          ? `<tr data-dst-hour="skipped"><td>${esc(fmtHourRange(x.hour, x.hour + 1))}</td><td colspan="${cols}">skipped: the clocks went forward</td></tr>`
          : `<tr${h.flagged && x.hour >= h.flagged.from && x.hour < h.flagged.to ? ` data-flagged-hour` : ""}${x.length > 1 ? ` data-dst-hour="repeated"` : ""}><td>${esc(fmtHourRange(x.hour, x.hour + 1))}${x.length > 1 ? " (twice: the clocks went back)" : ""}</td><td class="num">${esc(fmtValue(x.value, kind))}</td>${kind === "ratio" ? `<td class="num">${esc(fmtSample(x.numerator, x.denominator))}</td>` : ""}<td class="num">${esc(fmtValue(x.band?.expected, kind))}</td><td class="num">${x.band ? `${esc(fmtValue(x.band.lower, kind))} – ${esc(fmtValue(x.band.upper, kind))}` : "–"}</td></tr>`,
      );
      return `<figure data-hourly="${esc(h.metric)}"><figcaption>${esc(h.metric)} by the hour on ${esc(d.ds)}</figcaption>
<p class="note">Normal range: ${esc(base)}.${esc(flagged)}</p>${h.dst ? `\n<p class="note" data-dst="${h.dst.direction}">${esc(fmtClockChange(h.dst))}</p>` : ""}
${legend([KEY.observed, KEY.expected, KEY.band, ...(h.flagged ? [KEY.hours] : []), ...(h.dst ? [`<i class="k-dst"></i>${esc(fmtClockMark(h.dst))}`] : []), ...deployKeys(today)])}
${hourChart({ id: `h${n}`, title: `${h.metric} by the hour on ${d.ds}`, desc, kind, hours: h.hours, flagged: h.flagged, deploys: today, dst: h.dst })}
<details><summary>Hourly values of ${esc(h.metric)}</summary><div class="table-wrap" tabindex="0"><table><thead><tr><th scope="col">hour</th><th scope="col">value</th>${kind === "ratio" ? `<th scope="col">sample</th>` : ""}<th scope="col">expected</th><th scope="col">normal range</th></tr></thead><tbody>${rows.join("")}</tbody></table></div></details>
</figure>`;
    })
    .join("");
}

function breakdownFigures(d: DashboardData): string {
  const defs = new Map(d.cfg.metrics.map((m) => [m.name, m]));
  const figs: string[] = [];
  let n = 0;
  for (const [metric, byDim] of d.breakdowns) {
    const kind = kindOf(defs.get(metric));
    for (const dim of BREAKDOWN_DIMENSIONS) {
      const bars = byDim.get(dim);
      if (!bars || bars.length === 0) continue;
      const title = `${metric} by ${dimensionWord(dim)} on ${d.ds}`;
      // The chart shows the top 8; the table holds every value (screen readers, long tails).
      const rows = [...bars]
        .sort((a, b) => Number(a.tooSmall) - Number(b.tooSmall) || (b.value ?? -Infinity) - (a.value ?? -Infinity) || a.label.localeCompare(b.label))
        .map(
          (b) =>
            `<tr${b.tooSmall ? ` class="muted"` : ""}><td>${esc(b.label)}</td><td class="num">${esc(fmtValue(b.value, kind))}</td>${kind === "ratio" ? `<td class="num">${esc(fmtSample(b.numerator, b.denominator))}</td>` : ""}<td class="num">${esc(fmtValue(b.expected, kind))}</td><td>${b.tooSmall ? "too small to judge" : ""}</td></tr>`,
        );
      const table = `<details><summary>Values of ${esc(title)}</summary><div class="table-wrap" tabindex="0"><table><thead><tr><th scope="col">${esc(dimensionWord(dim))}</th><th scope="col">${esc(metric)}</th>${kind === "ratio" ? `<th scope="col">sample</th>` : ""}<th scope="col">expected</th><th scope="col">note</th></tr></thead><tbody>${rows.join("")}</tbody></table></div></details>`;
      const keys = [`<i class="k-bar"></i>${esc(fmtShortDate(d.ds!))}`, `<i class="k-mark"></i>expected (${esc(bandWords(d))})`];
      if (bars.some((b) => b.tooSmall)) keys.push(`<i class="k-small"></i>too small to judge`);
      figs.push(`<figure data-breakdown="${esc(metric)}:${esc(dim)}"><figcaption>${esc(title)}</figcaption>${kind === "ratio" ? `<p class="note">Each bar: the rate, then its sample (${esc(sampleWords(defs.get(metric)))}).</p>` : ""}${legend(keys)}${barChart(`b${n++}`, title, bars, kind)}${table}</figure>`);
    }
  }
  return figs.length ? `<div class="grid2">${figs.join("")}</div>` : `<p class="muted">No breakdowns stored for this day.</p>`;
}

function sampleWords(def: MetricDef | undefined): string {
  return def?.kind === "ratio" ? `${def.numerator} / ${def.denominator}` : "count";
}

function checksTable(d: DashboardData): string {
  if (!d.checks.length) return `<p class="muted">No quality checks recorded for this day.</p>`;
  const rows = d.checks.map((c) => {
    const colour = c.status === "fail" ? VERDICT_COLOURS.fail : c.status === "warn" ? VERDICT_COLOURS.warn : c.status === "pass" ? VERDICT_COLOURS.pass : "#57606a";
    return `<tr><th scope="row">${esc(c.name)}</th><td>${esc(c.table)}</td><td>${esc(c.severity)}</td><td><span class="tag" style="--c:${colour}">${esc(c.status)}</span></td><td class="num">${esc(fmtCheckValue(c.observed))}</td><td class="num">${esc(fmtCheckValue(c.threshold))}</td><td>${esc(c.message)}</td></tr>`;
  });
  return `<div class="table-wrap" tabindex="0"><table><caption class="muted">Audit of the ${d.batchStatus === "published" ? (d.partialReason ? "published PARTIAL" : "published") : esc(d.batchStatus ?? "latest")} export for ${esc(d.ds)}${d.partialReason ? ` (partial: ${esc(d.partialReason)}; never a baseline day, verdicts inconclusive)` : ""}</caption><thead><tr><th scope="col">check</th><th scope="col">table</th><th scope="col">severity</th><th scope="col">status</th><th scope="col">observed</th><th scope="col">threshold</th><th scope="col">message</th></tr></thead><tbody>${rows.join("")}</tbody></table></div>`;
}

function checkLinks(gh: string, repo: string, checks: SuspectView["checks"]): string {
  return checks.map((c) => `${ghLink(gh, `${repo}/runs/${c.checkRunId}`, c.name)}${c.conclusion ? ` (${esc(c.conclusion)})` : ""}`).join(", ") || `<span class="muted">none</span>`;
}

/** Deployments, suspects with their PRs and check runs, and the incident issue, each linked to GitHub. */
function shippedSection(d: DashboardData, gh: string): string {
  const out: string[] = [];
  const inc = d.incidents;
  out.push(
    inc.length
      ? `<p>Incident issue${inc.length === 1 ? "" : "s"}: ${inc.map((i) => `${ghLink(gh, `${i.repo}/issues/${i.issue_number}`, `${i.repo}#${i.issue_number}`)} (${esc(i.kind)}, ${esc(i.state)})`).join(", ")}.</p>`
      : `<p class="muted">No incident issue for this day.</p>`,
  );
  if (d.suspects.length) {
    const rows = d.suspects.map((s) => {
      const prs = s.prs.length
        ? s.prs.map((p) => `${p.url.startsWith("https://") ? `<a href="${esc(p.url)}">#${p.number}</a>` : ghLink(gh, `${s.repo}/pull/${p.number}`, `#${p.number}`)} ${esc(p.title)}${p.checks.length ? ` · check ${checkLinks(gh, s.repo, p.checks)}` : ""}`).join("<br>")
        : `<span class="muted">none found</span>`;
      return `<tr><td>${esc(s.repo)}</td><td>${ghLink(gh, `${s.repo}/commit/${s.sha}`, s.sha.slice(0, 7))}${s.ref ? ` <span class="muted">${esc(s.ref)}</span>` : ""}</td><td>${esc(s.evidence)}</td><td>${prs}</td><td>${checkLinks(gh, s.repo, s.checks)}</td></tr>`;
    });
    out.push(`<div class="table-wrap" tabindex="0"><table data-suspects><caption>Suspect commits for ${esc(d.ds)}</caption><thead><tr><th scope="col">repository</th><th scope="col">commit</th><th scope="col">why</th><th scope="col">pull requests</th><th scope="col">check runs</th></tr></thead><tbody>${rows.join("")}</tbody></table></div>`);
  } else out.push(`<p class="muted">No suspect commits recorded for this day.</p>`);
  if (d.deployments.length) {
    const rows = [...d.deployments].reverse().map((m) => `<tr data-deploy-row="${m.kind}"><td>${esc(m.at.slice(0, 16).replace("T", " "))} UTC</td><td><i class="k-glyph ${DEPLOY_GLYPHS[m.kind].shape}" style="--c:${DEPLOY_GLYPHS[m.kind].colour};display:inline-block;width:12px;height:12px"></i> ${esc(m.kind)}</td><td>${esc(m.environment)}</td><td>${esc(m.repo)}</td><td>${ghLink(gh, `${m.repo}/commit/${m.sha}`, m.sha.slice(0, 7))}</td></tr>`);
    out.push(`<details${d.deployments.some((m) => m.ds === d.ds) ? " open" : ""}><summary>${d.deployments.length} deployment${d.deployments.length === 1 ? "" : "s"} from ${esc(d.from)} to ${esc(d.ds)} (marked on every chart)</summary><div class="table-wrap" tabindex="0"><table><thead><tr><th scope="col">when</th><th scope="col">kind</th><th scope="col">environment</th><th scope="col">repository</th><th scope="col">commit</th></tr></thead><tbody>${rows.join("")}</tbody></table></div></details>`);
  } else out.push(`<p class="muted">No deployments recorded from ${esc(d.from)} to ${esc(d.ds)}.</p>`);
  return out.join("");
}

const CANARY_WORDS: Record<string, string> = { fail: "✖ Failing", warn: "▲ Warning", no_decline: "✔ No decline", low_traffic: "? Too little traffic", not_judged: "? Not judged" };

/** Canary and preview builds judged on their own traffic that day (docs/canary.md); nothing when none were. */
function canariesSection(d: DashboardData, gh: string): string {
  if (!d.canaries.length) return "";
  const rows = d.canaries.map((c) => {
    const colour = VERDICT_COLOURS[c.status] ?? (c.status === "no_decline" ? VERDICT_COLOURS.pass : "#57606a");
    return `<tr><td>${esc(c.repo)}</td><td>${ghLink(gh, `${c.repo}/commit/${c.sha}`, c.sha.slice(0, 7))}</td><td class="num">${c.share === null ? "–" : esc(fmtShare(c.share))}</td><td>${esc(c.hours)}</td><td><span class="tag" style="--c:${colour}">${esc(CANARY_WORDS[c.status] ?? c.status)}</span></td><td>${esc(c.message)}</td></tr>`;
  });
  return `<div class="table-wrap" tabindex="0"><table data-canaries><caption>Canaries judged on ${esc(d.ds)}: each build against the rest of the same hours</caption><thead><tr><th scope="col">repository</th><th scope="col">build</th><th scope="col">share of events</th><th scope="col">hours</th><th scope="col">verdict</th><th scope="col">why</th></tr></thead><tbody>${rows.join("")}</tbody></table></div>`;
}

function overridesTable(d: DashboardData): string {
  if (!d.overrides.length) return `<p class="muted">No overrides.</p>`;
  const rows = d.overrides.map((o) => `<tr><td>${esc(o.repo)}#${esc(o.pr_number)}</td><td><code>${esc(o.sha.slice(0, 12))}</code></td><td>${esc(o.actor)}</td><td>${esc(o.created_at)}</td><td>${esc(o.reason)}</td></tr>`);
  return `<div class="table-wrap" tabindex="0"><table><thead><tr><th scope="col">pull request</th><th scope="col">commit</th><th scope="col">by</th><th scope="col">when</th><th scope="col">reason</th></tr></thead><tbody>${rows.join("")}</tbody></table></div>`;
}

/**
 * Dataset and date picker. On the service every link comes from `links.href`
 * (signed links: only for the dataset of the link); in a static snapshot there
 * are no links to other pages, only the names.
 */
function navigation(d: DashboardData, links: PageLinks): string {
  const service = links.kind === "service" ? links : null;
  const href = (dataset: string, ds: string | null) => (service && (dataset === d.dataset || !service.sameDatasetOnly) ? service.href(dataset, ds) : null);
  const datasets = d.datasets
    .map((name) => {
      if (name === d.dataset) return `<li aria-current="page"><strong>${esc(name)}</strong></li>`;
      const h = href(name, null);
      return h ? `<li><a href="${esc(h)}">${esc(name)}</a></li>` : null;
    })
    .filter(Boolean);
  const out = [`<nav aria-label="Datasets"><ul><li class="muted">Dataset:</li>${datasets.join("")}</ul></nav>`];
  if (!d.ds) return out.join("");
  if (links.kind === "static") {
    out.push(`<p class="note">A static snapshot of ${esc(d.ds)}: other days are on the service's dashboard.</p>`);
    return out.join("");
  }
  const published = new Set(d.publishedDays);
  const before = d.publishedDays.filter((x) => x < d.ds!);
  const prev = before.at(-1);
  const next = d.publishedDays.find((x) => x > d.ds!);
  const days: string[] = [];
  const prevHref = prev ? href(d.dataset, prev) : null;
  const nextHref = next ? href(d.dataset, next) : null;
  if (prev && prevHref) days.push(`<li><a href="${esc(prevHref)}" rel="prev">← ${esc(prev)}</a></li>`);
  days.push(`<li aria-current="date"><strong>${esc(d.ds)}</strong></li>`);
  if (next && nextHref) days.push(`<li><a href="${esc(nextHref)}" rel="next">${esc(next)} →</a></li>`);
  out.push(`<nav aria-label="Days"><ul>${days.join("")}</ul></nav>`);
  // A calendar of the window, Monday first: each published day a link.
  const start = addDays(d.ds, -(HISTORY_DAYS - 1));
  const monday = addDays(start, -((weekday(start) + 6) % 7));
  const last = d.publishedDays.at(-1) ?? d.ds;
  const end = last > addDays(d.ds, 27) ? addDays(d.ds, 27) : last > d.ds ? last : d.ds;
  const cells = dsRange(monday, addDays(end, (7 - ((weekday(end) + 6) % 7) - 1) % 7));
  const rows: string[] = [];
  for (let i = 0; i < cells.length; i += 7) {
    rows.push(
      `<tr>${cells
        .slice(i, i + 7)
        .map((c) => {
          const label = String(Number(c.slice(8)));
          if (c === d.ds) return `<td class="on" aria-current="date">${esc(label)}</td>`;
          const h = published.has(c) ? href(d.dataset, c) : null;
          return h ? `<td><a href="${esc(h)}" aria-label="${esc(c)}">${esc(label)}</a></td>` : `<td class="off">${esc(label)}</td>`;
        })
        .join("")}</tr>`,
    );
  }
  out.push(
    `<details><summary>Pick a day</summary><table class="cal" data-calendar><caption class="muted">Published days of ${esc(d.dataset)}, ${esc(fmtShortDate(cells[0]!))} – ${esc(fmtShortDate(cells.at(-1)!))}</caption><thead><tr>${["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"].map((w) => `<th scope="col">${w}</th>`).join("")}</tr></thead><tbody>${rows.join("")}</tbody></table></details>`,
  );
  return out.join("");
}

/** A complete, self-contained HTML page (inline SVG, no scripts). */
export function renderDashboard(db: DB, config: GuardrailConfig, opts: DashboardOptions = {}): string {
  return renderPage(loadDashboardData(db, config, opts), opts);
}

/** The page for data already gathered (tests give it data the store cannot hold yet). */
export function renderPage(d: DashboardData, opts: Pick<DashboardOptions, "links" | "githubUrl"> = {}): string {
  const links = opts.links ?? { kind: "static" };
  const gh = (opts.githubUrl ?? "https://github.com").replace(/\/+$/, "");
  const defs = new Map(d.cfg.metrics.map((m) => [m.name, m]));
  const title = `Guardrail · ${d.dataset}${d.ds ? ` · ${d.ds}` : ""}`;
  const body: string[] = [];
  body.push(`<header><h1>Guardrail: ${esc(d.dataset)}${d.ds ? ` on ${esc(d.ds)}` : ""}${d.partialReason ? " (partial)" : ""}</h1>${navigation(d, links)}</header><main>`);
  if (!d.ds) {
    body.push(`<p class="summary">Nothing has been published for dataset <strong>${esc(d.dataset)}</strong> yet. Upload a day's export to <code>POST /api/guardrail/exports</code> or run <code>guardrail ingest</code>.</p>`);
  } else {
    const ev = d.evaluation;
    const guardrails = ev ? ev.verdicts.filter((v) => v.guardrail) : [];
    body.push(`<section aria-labelledby="s-verdicts"><h2 id="s-verdicts">Guardrails on ${esc(d.ds)}</h2>`);
    if (d.dayStatus === "rejected") body.push(`<p class="summary">The export for ${esc(d.ds)} failed its audit and was not published; see the quality checks below.</p>`);
    else if (d.dayStatus === "missing") body.push(`<p class="summary">No export has been published for ${esc(d.ds)}.</p>`);
    // A partial day (docs/ingest.md, "Partial days") is said before anything is read off it.
    if (d.partialReason)
      body.push(
        `<p class="summary" data-partial>${tag("inconclusive")} The export for ${esc(d.ds)} was published <strong>PARTIAL</strong> (${esc(d.partialReason)}): it is not a whole day, never a baseline day, and its verdicts are inconclusive until a complete export of the day replaces it.</p>`,
      );
    if (ev) {
      body.push(`<p class="summary">Day status: ${tag(ev.status)} ${esc(ev.summary ?? "")}</p>`);
      body.push(`<div class="cards">${guardrails.map((v) => verdictCard(v, defs.get(v.metric))).join("")}</div>`);
      for (const v of guardrails) if (v.verdict === "fail" || v.verdict === "warn") body.push(segmentsBlock(v, defs.get(v.metric)));
      if (ev.versions?.length) {
        const rows = ev.versions.map(
          (vv) =>
            `<tr><td>${esc(vv.version)}</td><td>${esc(vv.metric)}</td><td class="num">${esc(fmtValue(vv.observed, "ratio"))}</td><td class="num">${esc(fmtValue(vv.expected, "ratio"))}</td><td class="num">${esc(fmtChange(vv.change))}</td><td>${tag(vv.verdict)}</td></tr>`,
        );
        body.push(`<div class="table-wrap" tabindex="0"><table><caption>App versions compared with the rest of the day's traffic</caption><thead><tr><th scope="col">version</th><th scope="col">metric</th><th scope="col">rate</th><th scope="col">rest of traffic</th><th scope="col">change</th><th scope="col">verdict</th></tr></thead><tbody>${rows.join("")}</tbody></table></div>`);
      }
      body.push(canariesSection(d, gh));
    } else body.push(`<p class="summary">No verdicts for this day${d.evaluationError ? `: ${esc(d.evaluationError)}` : ""}.</p>`);
    body.push(`</section>`);
    body.push(`<section aria-labelledby="s-shipped"><h2 id="s-shipped">When code shipped</h2>${shippedSection(d, gh)}</section>`);
    if (d.segmentCharts.length) body.push(`<section aria-labelledby="s-segments"><h2 id="s-segments">Segments over time</h2><div class="wide">${segmentFigures(d)}</div></section>`);
    if (d.hourly.length) body.push(`<section aria-labelledby="s-hours"><h2 id="s-hours">Today by the hour</h2><div class="grid2">${hourlyFigures(d)}</div></section>`);
    // Guardrails first, failing ones first of all: that is what someone clicking "Details" came to see.
    const order = d.series
      .map((s, i) => ({ s, i }))
      .sort((a, b) => {
        const rank = (x: typeof a) => (x.s.points.at(-1)?.verdict === "fail" ? 0 : x.s.def.guardrail ? 1 : 2);
        return rank(a) - rank(b) || a.i - b.i;
      });
    const span = d.series[0]?.points.length ?? 0;
    body.push(`<section aria-labelledby="s-metrics"><h2 id="s-metrics">Metrics, ${span} day${span === 1 ? "" : "s"} to ${esc(d.ds)}</h2><div class="grid2">${order.map(({ i }) => metricFigure(d, i)).join("")}</div>`);
    if (ev) body.push(`<h3>All metrics on ${esc(d.ds)}</h3>${verdictTable(d)}`);
    body.push(`</section>`);
    body.push(`<section aria-labelledby="s-breakdowns"><h2 id="s-breakdowns">Breakdowns on ${esc(d.ds)}</h2>${breakdownFigures(d)}</section>`);
    body.push(`<section aria-labelledby="s-checks"><h2 id="s-checks">Quality checks</h2>${checksTable(d)}</section>`);
  }
  body.push(`<section aria-labelledby="s-overrides"><h2 id="s-overrides">Overrides</h2>${overridesTable(d)}</section></main>`);
  body.push(
    `<footer>Rendered ${esc(new Date().toISOString())}. Bands of days the service judged come from their stored verdicts; other days use the same seasonal method (${esc(bandWords(d))}). Times are UTC unless marked.</footer>`,
  );
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><meta name="robots" content="noindex">
<title>${esc(title)}</title><style>${CSS}</style></head>
<body>${body.join("\n")}</body></html>
`;
}
