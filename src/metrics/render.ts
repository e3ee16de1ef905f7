/**
 * The human `guardrail report`: one block per metric with its value and the
 * top rows of each breakdown. Ratios print as percentages, counts with
 * thousands separators; an undefined value (zero denominator) prints as "n/a".
 */
import type { MetricDef } from "../config/schema.js";
import type { MetricReport, Report } from "../shared/types.js";

const TOP = 5;
const DIM_LABEL: Record<string, string> = {
  dim_country: "country",
  dim_device_brand: "device",
  dim_channel: "channel",
  dim_hostname: "hostname",
  dim_product_type: "product type",
  dim_app_version: "app version",
};

export function formatCount(v: number | null | undefined): string {
  if (v == null) return "n/a";
  return Number.isInteger(v) ? v.toLocaleString("en-US") : v.toLocaleString("en-US", { maximumFractionDigits: 2 });
}

export function formatPercent(v: number | null | undefined): string {
  if (v == null) return "n/a";
  const p = v * 100;
  return `${p.toFixed(p !== 0 && Math.abs(p) < 0.1 ? 3 : 2)} %`;
}

function isRatio(name: string, m: MetricReport, defs: Map<string, MetricDef>): boolean {
  const def = defs.get(name);
  return def ? def.kind === "ratio" : m.denominator !== undefined;
}

export function renderReport(report: Report, metricDefs: MetricDef[] = []): string {
  const defs = new Map(metricDefs.map((m) => [m.name, m]));
  const out: string[] = [`Guardrail report: dataset ${report.dataset}, ds ${report.ds}${report.partial_reason ? " (PARTIAL)" : ""}`, ""];
  if (report.partial_reason) out.splice(1, 0, `This day was published partial: ${report.partial_reason}. Its values are not a whole day's.`);
  const names = Object.keys(report.metrics);
  if (names.length === 0) return out.concat("No metric values are stored for this day.").join("\n");
  const width = Math.max(...names.map((n) => n.length)) + 2;

  out.push(`${"metric".padEnd(width)}${"value".padStart(14)}   detail`);
  for (const name of names) {
    const m = report.metrics[name];
    const ratio = isRatio(name, m, defs);
    const def = defs.get(name);
    const value = ratio ? formatPercent(m.value) : formatCount(m.value);
    const detail = ratio
      ? `${formatCount(m.numerator)} / ${formatCount(m.denominator)}${def?.kind === "ratio" ? ` (${def.numerator} / ${def.denominator})` : ""}`
      : (def?.description ?? "");
    out.push(`${(name + (def?.guardrail ? " *" : "")).padEnd(width)}${value.padStart(14)}   ${detail}`.trimEnd());
  }
  if (metricDefs.some((m) => m.guardrail)) out.push("(* guardrail metric)");

  for (const name of names) {
    const m = report.metrics[name];
    const dims = Object.keys(m.breakdown);
    if (!dims.length) continue;
    const ratio = isRatio(name, m, defs);
    const def = defs.get(name);
    // Rank ratio segments by their traffic (the denominator's breakdown) so the top rows are the big ones.
    const weights = def?.kind === "ratio" ? report.metrics[def.denominator]?.breakdown : undefined;
    out.push("", `${name} by:`);
    for (const dim of dims) {
      const seg = m.breakdown[dim];
      const rows = Object.entries(seg).sort(([ka, a], [kb, b]) => {
        const wa = weights?.[dim]?.[ka] ?? a;
        const wb = weights?.[dim]?.[kb] ?? b;
        return (wb ?? -Infinity) - (wa ?? -Infinity) || ka.localeCompare(kb);
      });
      const total = ratio ? null : rows.reduce((s, [, v]) => s + (v ?? 0), 0);
      const cells = rows.slice(0, TOP).map(([k, v]) => {
        if (ratio) return `${k} ${formatPercent(v)}`;
        // Shares only for event counts: distinct visitors do not add up across segments.
        const share = total && v != null && def?.kind === "count" && (def.measure === "events" || def.measure === "visits") ? ` (${formatPercent(v / total)})` : "";
        return `${k} ${formatCount(v)}${share}`;
      });
      const more = rows.length > TOP ? ` · … ${rows.length - TOP} more` : "";
      out.push(`  ${(DIM_LABEL[dim] ?? dim).padEnd(13)} ${cells.join(" · ")}${more}`);
    }
  }
  return out.join("\n");
}
