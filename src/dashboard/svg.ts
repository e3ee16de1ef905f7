/**
 * Inline SVG charts: no scripts, readable without colour (failing days are
 * also drawn bigger and listed in the description), labelled for screen
 * readers with <title>/<desc>.
 */
import type { SeriesPoint } from "./data.js";

export function esc(s: unknown): string {
  return String(s ?? "").replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!);
}

export function formatValue(v: number | null | undefined, kind: "count" | "ratio"): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return "–";
  if (kind === "ratio") return `${(v * 100).toFixed(2)} %`;
  return Math.abs(v) >= 100 ? Math.round(v).toLocaleString("en-US") : String(Math.round(v * 100) / 100);
}

export const VERDICT_COLOURS: Record<string, string> = {
  pass: "#1a7f37",
  warn: "#9a6700",
  fail: "#c62828",
  no_data: "#57606a",
  inconclusive: "#57606a",
};

const W = 640;
const H = 220;
const PAD = { left: 64, right: 14, top: 14, bottom: 30 };

/** Consecutive runs of points for which `has` holds (a gap breaks a line or band). */
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

export function lineChart(id: string, title: string, points: SeriesPoint[], kind: "count" | "ratio", selectedDs: string): string {
  const values = points.flatMap((p) => [p.value, p.band?.lower, p.band?.upper]).filter((v): v is number => typeof v === "number" && Number.isFinite(v));
  const failing = points.filter((p) => p.verdict === "fail");
  const descParts = [`Daily ${title} from ${points[0]?.ds ?? "?"} to ${points.at(-1)?.ds ?? "?"}.`, "The shaded band is the expected range from the seasonal baseline."];
  descParts.push(failing.length ? `Failing days: ${failing.map((p) => `${p.ds} (${formatValue(p.value, kind)})`).join(", ")}.` : "No failing days.");
  const desc = descParts.join(" ");
  if (values.length === 0)
    return `<svg class="chart" viewBox="0 0 ${W} 60" role="img" aria-labelledby="${id}-t ${id}-d"><title id="${id}-t">${esc(title)}</title><desc id="${id}-d">No published values in this window.</desc><text x="10" y="35" class="muted">No published values in this window.</text></svg>`;
  let lo = Math.min(...values);
  let hi = Math.max(...values);
  if (hi === lo) {
    hi += Math.abs(hi) * 0.1 || 1;
    lo -= Math.abs(lo) * 0.1 || 1;
  }
  const padY = (hi - lo) * 0.08;
  lo = Math.max(0, lo - padY);
  hi += padY;
  const n = Math.max(points.length - 1, 1);
  const x = (i: number) => PAD.left + ((W - PAD.left - PAD.right) * i) / n;
  const y = (v: number) => PAD.top + (H - PAD.top - PAD.bottom) * (1 - (v - lo) / (hi - lo));
  const indexed = points.map((p, i) => ({ p, i }));
  const parts: string[] = [];
  // y grid + labels
  for (let k = 0; k <= 3; k++) {
    const v = lo + ((hi - lo) * k) / 3;
    parts.push(`<line x1="${PAD.left}" x2="${W - PAD.right}" y1="${y(v).toFixed(1)}" y2="${y(v).toFixed(1)}" class="grid"/>`);
    parts.push(`<text x="${PAD.left - 6}" y="${(y(v) + 4).toFixed(1)}" text-anchor="end" class="axis">${esc(formatValue(v, kind))}</text>`);
  }
  // x labels: first, middle, last
  for (const i of [0, Math.floor(points.length / 2), points.length - 1]) {
    const p = points[i];
    if (p) parts.push(`<text x="${x(i).toFixed(1)}" y="${H - 8}" text-anchor="${i === 0 ? "start" : i === points.length - 1 ? "end" : "middle"}" class="axis">${esc(p.ds.slice(5))}</text>`);
  }
  for (const run of runs(indexed, ({ p }) => !!p.band)) {
    const top = run.map(({ p, i }) => `${x(i).toFixed(1)},${y(p.band!.upper).toFixed(1)}`);
    const bottom = run.map(({ p, i }) => `${x(i).toFixed(1)},${y(p.band!.lower).toFixed(1)}`).reverse();
    parts.push(`<polygon points="${[...top, ...bottom].join(" ")}" class="band"/>`);
    parts.push(`<polyline points="${run.map(({ p, i }) => `${x(i).toFixed(1)},${y(p.band!.expected).toFixed(1)}`).join(" ")}" class="expected"/>`);
  }
  for (const run of runs(indexed, ({ p }) => p.value !== null)) {
    if (run.length > 1) parts.push(`<polyline points="${run.map(({ p, i }) => `${x(i).toFixed(1)},${y(p.value!).toFixed(1)}`).join(" ")}" class="line"/>`);
  }
  const sel = points.findIndex((p) => p.ds === selectedDs);
  if (sel >= 0) parts.push(`<line x1="${x(sel).toFixed(1)}" x2="${x(sel).toFixed(1)}" y1="${PAD.top}" y2="${H - PAD.bottom}" class="selected"/>`);
  for (const { p, i } of indexed) {
    if (p.value === null) continue;
    const fail = p.verdict === "fail";
    const tip = `${p.ds}: ${formatValue(p.value, kind)}${p.band ? ` (expected ${formatValue(p.band.expected, kind)})` : ""}${p.verdict ? `, ${p.verdict}` : ""}`;
    parts.push(
      `<circle cx="${x(i).toFixed(1)}" cy="${y(p.value).toFixed(1)}" r="${fail ? 6 : 2.5}" class="${fail ? "pt fail" : "pt"}"${fail ? ` data-failing="${esc(p.ds)}"` : ""}><title>${esc(tip)}</title></circle>`,
    );
  }
  return `<svg class="chart" viewBox="0 0 ${W} ${H}" role="img" aria-labelledby="${id}-t ${id}-d" data-metric="${esc(title)}"><title id="${id}-t">${esc(title)}: last ${points.length} days</title><desc id="${id}-d">${esc(desc)}</desc>${parts.join("")}</svg>`;
}

export interface Bar {
  label: string;
  value: number | null;
}

export function barChart(id: string, title: string, bars: Bar[], kind: "count" | "ratio"): string {
  const shown = bars.filter((b) => b.value !== null).sort((a, b) => b.value! - a.value!).slice(0, 8);
  const rowH = 26;
  const h = Math.max(shown.length, 1) * rowH + 8;
  const labelW = 150;
  const valueW = 90;
  const max = Math.max(...shown.map((b) => b.value!), 0) || 1;
  const desc = shown.length ? shown.map((b) => `${b.label}: ${formatValue(b.value, kind)}`).join("; ") : "No data for this day.";
  const rows = shown.map((b, i) => {
    const yy = 4 + i * rowH;
    const w = ((W - labelW - valueW) * b.value!) / max;
    return `<text x="${labelW - 8}" y="${yy + 17}" text-anchor="end" class="axis">${esc(b.label.length > 22 ? b.label.slice(0, 21) + "…" : b.label)}</text><rect x="${labelW}" y="${yy + 4}" width="${Math.max(w, 1).toFixed(1)}" height="${rowH - 8}" class="bar"/><text x="${(labelW + w + 6).toFixed(1)}" y="${yy + 17}" class="axis">${esc(formatValue(b.value, kind))}</text>`;
  });
  return `<svg class="chart" viewBox="0 0 ${W} ${h}" role="img" aria-labelledby="${id}-t ${id}-d"><title id="${id}-t">${esc(title)}</title><desc id="${id}-d">${esc(desc)}</desc>${rows.join("")}</svg>`;
}
