/**
 * The dashboard page (docs/service.md, issue 7): one self-contained HTML document,
 * server-rendered, inline CSS and SVG, no scripts. Per dataset it shows the
 * day's guardrail verdicts first (what people come for), then every metric's
 * 8-week line against its baseline band, the day's breakdowns, quality
 * checks, suspects and overrides.
 */
import type { DB } from "../store/db.js";
import type { GuardrailConfig, MetricDef } from "../config/schema.js";
import { addDays } from "../shared/dates.js";
import type { Verdict } from "../shared/types.js";
import { BREAKDOWN_DIMENSIONS, loadDashboardData, type DashboardData } from "./data.js";
import { barChart, esc, formatValue, lineChart, VERDICT_COLOURS } from "./svg.js";

export interface DashboardOptions {
  dataset?: string;
  ds?: string;
  /** Base for links inside the page (signed or relative). */
  linkFor?: (path: string) => string;
}

const DIMENSION_LABELS: Record<string, string> = {
  dim_country: "country",
  dim_device_brand: "device",
  dim_channel: "channel",
  dim_hostname: "hostname",
};

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
.muted{color:var(--muted);fill:var(--muted)}.summary{font-size:1.1rem}
.cards{display:grid;grid-template-columns:repeat(auto-fit,minmax(260px,1fr));gap:12px}
.card{border:1px solid var(--line);border-left:8px solid var(--c);border-radius:6px;padding:12px 14px;background:var(--bg)}
.verdict{font-size:1.7rem;font-weight:700;color:var(--c);margin:.1em 0}
.grid2{display:grid;grid-template-columns:repeat(auto-fit,minmax(min(100%,520px),1fr));gap:16px}
figure{margin:0;border:1px solid var(--line);border-radius:6px;padding:10px;background:var(--bg)}figcaption{font-weight:600;margin-bottom:4px}
figure.failing{border-color:#c62828;box-shadow:0 0 0 1px #c62828}
.chart{width:100%;height:auto;display:block}.chart .grid{stroke:#eaeef2}.chart .axis{font-size:12px;fill:var(--muted)}
.chart .band{fill:#0969da;fill-opacity:.14}.chart .expected{fill:none;stroke:#0969da;stroke-dasharray:4 3;stroke-width:1}
.chart .line{fill:none;stroke:#1f2328;stroke-width:2}.chart .pt{fill:#1f2328}.chart .pt.fail{fill:#c62828;stroke:#fff;stroke-width:2}
.chart .selected{stroke:#8250df;stroke-width:1;stroke-dasharray:2 2}.chart .bar{fill:#0969da}
table{border-collapse:collapse;width:100%;font-size:.95rem}th,td{text-align:left;padding:6px 8px;border-bottom:1px solid var(--line);vertical-align:top}
th{background:var(--panel)}td.num{text-align:right;font-variant-numeric:tabular-nums}.table-wrap{overflow-x:auto}
.tag{display:inline-block;padding:0 6px;border-radius:4px;color:#fff;background:var(--c);font-weight:600;font-size:.85rem}
details{margin-top:6px}summary{cursor:pointer;color:var(--accent)}
footer{color:var(--muted);font-size:.85rem;padding:24px 16px}
@media (max-width:600px){body{font-size:15px}h1{font-size:1.3rem}.verdict{font-size:1.4rem}th,td{padding:4px 5px}}
`;

function tag(verdict: string): string {
  return `<span class="tag" style="--c:${VERDICT_COLOURS[verdict] ?? "#57606a"}">${esc(VERDICT_WORDS[verdict] ?? verdict)}</span>`;
}

function pct(change: number | null | undefined): string {
  if (change === null || change === undefined || !Number.isFinite(change)) return "–";
  const s = (change * 100).toFixed(1);
  return `${change > 0 ? "+" : change < 0 ? "−" : ""}${s.replace("-", "")} %`;
}

function kindOf(def: MetricDef | undefined): "count" | "ratio" {
  return def?.kind === "ratio" ? "ratio" : "count";
}

function verdictCard(v: Verdict, def: MetricDef | undefined): string {
  const kind = kindOf(def);
  const colour = VERDICT_COLOURS[v.verdict] ?? "#57606a";
  return `<article class="card" style="--c:${colour}" aria-label="${esc(v.metric)}: ${esc(v.verdict)}" data-verdict="${esc(v.verdict)}" data-metric="${esc(v.metric)}">
<h3>${esc(v.metric)}</h3>
<p class="verdict">${esc(VERDICT_WORDS[v.verdict] ?? v.verdict)}</p>
<p>Today <strong>${esc(formatValue(v.observed, kind))}</strong> · expected ${esc(formatValue(v.expected, kind))} (${esc(formatValue(v.lower, kind))} – ${esc(formatValue(v.upper, kind))}) · change ${esc(pct(v.change))}${v.z !== null && v.z !== undefined ? ` · z = ${esc(v.z.toFixed(1).replace("-", "−"))}` : ""}</p>
<p class="muted">${esc(v.message)}</p>${v.enforced === false ? `<p class="muted">Reported only (not enforced).</p>` : ""}
</article>`;
}

function verdictTable(d: DashboardData): string {
  const ev = d.evaluation!;
  const defs = new Map(d.cfg.metrics.map((m) => [m.name, m]));
  const rows = ev.verdicts.map((v) => {
    const k = kindOf(defs.get(v.metric));
    return `<tr><th scope="row">${esc(v.metric)}${v.guardrail ? " (guardrail)" : ""}</th><td class="num">${esc(formatValue(v.observed, k))}</td><td class="num">${esc(formatValue(v.expected, k))}</td><td class="num">${esc(pct(v.change))}</td><td class="num">${v.z === null || v.z === undefined ? "–" : esc(v.z.toFixed(1))}</td><td>${tag(v.verdict)}</td></tr>`;
  });
  return `<div class="table-wrap"><table><caption class="muted">Every metric on ${esc(ev.ds)} against its seasonal baseline</caption><thead><tr><th scope="col">metric</th><th scope="col">today</th><th scope="col">expected</th><th scope="col">change</th><th scope="col">z</th><th scope="col">verdict</th></tr></thead><tbody>${rows.join("")}</tbody></table></div>`;
}

function segmentsBlock(v: Verdict, def: MetricDef | undefined): string {
  if (!v.segments?.length) return "";
  const k = kindOf(def);
  const rows = v.segments.slice(0, 8).map((s) => `<tr><td>${esc(DIMENSION_LABELS[s.dimension] ?? s.dimension)}</td><td>${esc(s.value)}</td><td class="num">${esc(formatValue(s.observed, k))}</td><td class="num">${esc(formatValue(s.expected, k))}</td><td class="num">${esc(pct(s.change))}</td><td class="num">${esc((s.contribution * 100).toFixed(0))} %</td></tr>`);
  return `<div class="table-wrap"><table><caption>Where ${esc(v.metric)} moved (segments ranked by their share of the change)</caption><thead><tr><th scope="col">dimension</th><th scope="col">segment</th><th scope="col">today</th><th scope="col">expected</th><th scope="col">change</th><th scope="col">share of change</th></tr></thead><tbody>${rows.join("")}</tbody></table></div>`;
}

function metricFigure(d: DashboardData, i: number): string {
  const s = d.series[i]!;
  const kind = kindOf(s.def);
  const failing = s.points.some((p) => p.ds === d.ds && p.verdict === "fail");
  const rows = s.points
    .filter((p) => p.value !== null)
    .map((p) => `<tr><td>${esc(p.ds)}</td><td class="num">${esc(formatValue(p.value, kind))}</td><td class="num">${esc(formatValue(p.band?.expected, kind))}</td><td class="num">${p.band ? `${esc(formatValue(p.band.lower, kind))} – ${esc(formatValue(p.band.upper, kind))}` : "–"}</td><td>${p.verdict ? esc(p.verdict) : "–"}</td></tr>`);
  return `<figure id="metric-${esc(s.def.name)}" class="${failing ? "failing" : ""}" data-metric="${esc(s.def.name)}">
<figcaption>${esc(s.def.name)}${s.def.guardrail ? " · guardrail" : ""}${failing ? ` · ${tag("fail")}` : ""}<br><span class="muted">${esc(s.def.description ?? "")}</span></figcaption>
${lineChart(`c${i}`, s.def.name, s.points, kind, d.ds ?? "")}
<details><summary>Values of ${esc(s.def.name)}</summary><div class="table-wrap"><table><thead><tr><th scope="col">day</th><th scope="col">value</th><th scope="col">expected</th><th scope="col">expected range</th><th scope="col">verdict</th></tr></thead><tbody>${rows.join("")}</tbody></table></div></details>
</figure>`;
}

function breakdownFigures(d: DashboardData): string {
  const defs = new Map(d.cfg.metrics.map((m) => [m.name, m]));
  const wanted = ["daily_visitors", ...d.cfg.metrics.filter((m) => m.guardrail).map((m) => m.name)].filter((m, i, a) => defs.has(m) && a.indexOf(m) === i);
  const figs: string[] = [];
  let n = 0;
  for (const metric of wanted) {
    const byDim = d.breakdowns.get(metric);
    if (!byDim) continue;
    for (const dim of BREAKDOWN_DIMENSIONS) {
      const values = byDim.get(dim);
      if (!values || values.size === 0) continue;
      const title = `${metric} by ${DIMENSION_LABELS[dim]} on ${d.ds}`;
      const bars = [...values].map(([label, value]) => ({ label, value }));
      const kind = kindOf(defs.get(metric));
      // The chart shows the top 8; the table holds every value (screen readers, long tails).
      const rows = [...bars]
        .sort((a, b) => (b.value ?? -Infinity) - (a.value ?? -Infinity) || a.label.localeCompare(b.label))
        .map((b) => `<tr><td>${esc(b.label)}</td><td class="num">${esc(formatValue(b.value, kind))}</td></tr>`);
      const table = `<details><summary>Values of ${esc(title)}</summary><div class="table-wrap"><table><thead><tr><th scope="col">${esc(DIMENSION_LABELS[dim])}</th><th scope="col">${esc(metric)}</th></tr></thead><tbody>${rows.join("")}</tbody></table></div></details>`;
      figs.push(`<figure data-breakdown="${esc(metric)}:${esc(dim)}"><figcaption>${esc(title)}</figcaption>${barChart(`b${n++}`, title, bars, kind)}${table}</figure>`);
    }
  }
  return figs.length ? `<div class="grid2">${figs.join("")}</div>` : `<p class="muted">No breakdowns stored for this day.</p>`;
}

function checksTable(d: DashboardData): string {
  if (!d.checks.length) return `<p class="muted">No quality checks recorded for this day.</p>`;
  const rows = d.checks.map((c) => {
    const colour = c.status === "fail" ? VERDICT_COLOURS.fail : c.status === "warn" ? VERDICT_COLOURS.warn : c.status === "pass" ? VERDICT_COLOURS.pass : "#57606a";
    return `<tr><th scope="row">${esc(c.name)}</th><td>${esc(c.table)}</td><td>${esc(c.severity)}</td><td><span class="tag" style="--c:${colour}">${esc(c.status)}</span></td><td class="num">${esc(c.observed ?? "–")}</td><td class="num">${esc(c.threshold ?? "–")}</td><td>${esc(c.message)}</td></tr>`;
  });
  return `<div class="table-wrap"><table><caption class="muted">Audit of the ${d.batchStatus === "published" ? "published" : esc(d.batchStatus ?? "latest")} export for ${esc(d.ds)}</caption><thead><tr><th scope="col">check</th><th scope="col">table</th><th scope="col">severity</th><th scope="col">status</th><th scope="col">observed</th><th scope="col">threshold</th><th scope="col">message</th></tr></thead><tbody>${rows.join("")}</tbody></table></div>`;
}

function suspectsTable(d: DashboardData): string {
  if (!d.suspects.length) return `<p class="muted">No suspect commits recorded for this day.</p>`;
  const rows = d.suspects.map((s) => `<tr><td>${esc(s.repo)}</td><td><code>${esc(s.sha.slice(0, 12))}</code></td><td>${esc(s.reason)}</td><td>${esc(s.evidence)}</td></tr>`);
  return `<div class="table-wrap"><table><thead><tr><th scope="col">repository</th><th scope="col">commit</th><th scope="col">why</th><th scope="col">evidence</th></tr></thead><tbody>${rows.join("")}</tbody></table></div>`;
}

function overridesTable(d: DashboardData): string {
  if (!d.overrides.length) return `<p class="muted">No overrides.</p>`;
  const rows = d.overrides.map((o) => `<tr><td>${esc(o.repo)}#${esc(o.pr_number)}</td><td><code>${esc(o.sha.slice(0, 12))}</code></td><td>${esc(o.actor)}</td><td>${esc(o.created_at)}</td><td>${esc(o.reason)}</td></tr>`);
  return `<div class="table-wrap"><table><thead><tr><th scope="col">pull request</th><th scope="col">commit</th><th scope="col">by</th><th scope="col">when</th><th scope="col">reason</th></tr></thead><tbody>${rows.join("")}</tbody></table></div>`;
}

function navigation(d: DashboardData, link: (p: string) => string): string {
  const q = (dataset: string, ds?: string | null) => `/guardrail?dataset=${encodeURIComponent(dataset)}${ds ? `&ds=${encodeURIComponent(ds)}` : ""}`;
  const datasets = d.datasets.map((name) => (name === d.dataset ? `<li aria-current="page"><strong>${esc(name)}</strong></li>` : `<li><a href="${esc(link(q(name)))}">${esc(name)}</a></li>`));
  const days: string[] = [];
  if (d.ds) {
    const idx = d.publishedDays.indexOf(d.ds);
    const prev = idx > 0 ? d.publishedDays[idx - 1] : d.publishedDays.filter((x) => x < d.ds!).at(-1);
    const next = idx >= 0 ? d.publishedDays[idx + 1] : d.publishedDays.find((x) => x > d.ds!);
    if (prev) days.push(`<li><a href="${esc(link(q(d.dataset, prev)))}" rel="prev">← ${esc(prev)}</a></li>`);
    days.push(`<li aria-current="date"><strong>${esc(d.ds)}</strong></li>`);
    if (next) days.push(`<li><a href="${esc(link(q(d.dataset, next)))}" rel="next">${esc(next)} →</a></li>`);
  }
  return `<nav aria-label="Datasets"><ul>${datasets.join("")}</ul></nav>${days.length ? `<nav aria-label="Days"><ul>${days.join("")}</ul></nav>` : ""}`;
}

/** A complete, self-contained HTML page (inline SVG, no scripts needed). */
export function renderDashboard(db: DB, config: GuardrailConfig, opts: DashboardOptions = {}): string {
  const d = loadDashboardData(db, config, opts);
  const link = opts.linkFor ?? ((p: string) => p);
  const defs = new Map(d.cfg.metrics.map((m) => [m.name, m]));
  const title = `Guardrail · ${d.dataset}${d.ds ? ` · ${d.ds}` : ""}`;
  const body: string[] = [];
  body.push(`<header><h1>Guardrail: ${esc(d.dataset)}${d.ds ? ` on ${esc(d.ds)}` : ""}</h1>${navigation(d, link)}</header><main>`);
  if (!d.ds) {
    body.push(`<p class="summary">Nothing has been published for dataset <strong>${esc(d.dataset)}</strong> yet. Upload a day's export to <code>POST /api/guardrail/exports</code> or run <code>guardrail ingest</code>.</p>`);
  } else {
    const ev = d.evaluation;
    const guardrails = ev ? ev.verdicts.filter((v) => v.guardrail) : [];
    body.push(`<section aria-labelledby="s-verdicts"><h2 id="s-verdicts">Guardrails on ${esc(d.ds)}</h2>`);
    if (d.dayStatus === "rejected") body.push(`<p class="summary">The export for ${esc(d.ds)} failed its audit and was not published; see the quality checks below.</p>`);
    else if (d.dayStatus === "missing") body.push(`<p class="summary">No export has been published for ${esc(d.ds)}.</p>`);
    if (ev) {
      body.push(`<p class="summary">Day status: ${tag(ev.status)} ${esc(ev.summary ?? "")}</p>`);
      body.push(`<div class="cards">${guardrails.map((v) => verdictCard(v, defs.get(v.metric))).join("")}</div>`);
      for (const v of guardrails) if (v.verdict === "fail" || v.verdict === "warn") body.push(segmentsBlock(v, defs.get(v.metric)));
      if (ev.versions?.length) {
        const rows = ev.versions.map((vv) => `<tr><td>${esc(vv.version)}</td><td>${esc(vv.metric)}</td><td class="num">${esc(formatValue(vv.observed, "ratio"))}</td><td class="num">${esc(formatValue(vv.expected, "ratio"))}</td><td class="num">${esc(pct(vv.change))}</td><td>${tag(vv.verdict)}</td></tr>`);
        body.push(`<div class="table-wrap"><table><caption>App versions compared with the rest of the day's traffic</caption><thead><tr><th scope="col">version</th><th scope="col">metric</th><th scope="col">rate</th><th scope="col">rest of traffic</th><th scope="col">change</th><th scope="col">verdict</th></tr></thead><tbody>${rows.join("")}</tbody></table></div>`);
      }
    } else body.push(`<p class="summary">No verdicts for this day${d.evaluationError ? `: ${esc(d.evaluationError)}` : ""}.</p>`);
    body.push(`</section>`);
    // Guardrails first, failing ones first of all: that is what someone clicking "Details" came to see.
    const order = d.series.map((s, i) => ({ s, i })).sort((a, b) => {
      const rank = (x: typeof a) => (x.s.points.at(-1)?.verdict === "fail" ? 0 : x.s.def.guardrail ? 1 : 2);
      return rank(a) - rank(b) || a.i - b.i;
    });
    body.push(`<section aria-labelledby="s-metrics"><h2 id="s-metrics">Metrics, last 8 weeks (to ${esc(d.ds)})</h2><div class="grid2">${order.map(({ i }) => metricFigure(d, i)).join("")}</div>`);
    if (ev) body.push(`<h3>All metrics on ${esc(d.ds)}</h3>${verdictTable(d)}`);
    body.push(`</section>`);
    body.push(`<section aria-labelledby="s-breakdowns"><h2 id="s-breakdowns">Breakdowns on ${esc(d.ds)}</h2>${breakdownFigures(d)}</section>`);
    body.push(`<section aria-labelledby="s-checks"><h2 id="s-checks">Quality checks</h2>${checksTable(d)}</section>`);
    body.push(`<section aria-labelledby="s-suspects"><h2 id="s-suspects">Suspects</h2>${suspectsTable(d)}</section>`);
  }
  body.push(`<section aria-labelledby="s-overrides"><h2 id="s-overrides">Overrides</h2>${overridesTable(d)}</section></main>`);
  body.push(`<footer>Rendered ${esc(new Date().toISOString())}. Bands come from the stored evaluations; days without one use the same seasonal method (same weekday of the previous ${d.cfg.evaluation.weeks} published weeks). ${d.ds ? `Window ${esc(addDays(d.ds, -55))} – ${esc(d.ds)}.` : ""}</footer>`);
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><meta name="robots" content="noindex">
<title>${esc(title)}</title><style>${CSS}</style></head>
<body>${body.join("\n")}</body></html>
`;
}
