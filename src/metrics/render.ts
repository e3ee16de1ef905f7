/**
 * The human `guardrail report`: one block per metric with its value and the
 * top rows of each breakdown. Ratios print as percentages, counts with
 * thousands separators; an undefined value (zero denominator) prints as "–"
 * (numbers and labels through src/present/format.ts).
 */
import type { MetricDef } from "../config/schema.js";
import type { MetricKind, MetricReport, Report } from "../shared/types.js";
import { dimensionWord, fmtRate, fmtSample, fmtValue } from "../present/format.js";

const TOP = 5;
/** A metric's kind from its definition; without one, a value with a denominator is a ratio. */
function kindIn(name: string, m: MetricReport, defs: Map<string, MetricDef>): MetricKind {
  return defs.get(name)?.kind ?? (m.denominator !== undefined ? "ratio" : "count");
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
    const kind = kindIn(name, m, defs);
    const ratio = kind === "ratio";
    const def = defs.get(name);
    const value = fmtValue(m.value, kind);
    const detail = ratio
      ? `${fmtSample(m.numerator, m.denominator)}${def?.kind === "ratio" ? ` (${def.numerator} / ${def.denominator})` : ""}`
      : (def?.description ?? "");
    out.push(`${(name + (def?.guardrail ? " *" : "")).padEnd(width)}${value.padStart(14)}   ${detail}`.trimEnd());
  }
  if (metricDefs.some((m) => m.guardrail)) out.push("(* guardrail metric)");

  for (const name of names) {
    const m = report.metrics[name];
    const dims = Object.keys(m.breakdown);
    if (!dims.length) continue;
    const kind = kindIn(name, m, defs);
    const ratio = kind === "ratio";
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
        if (ratio) return `${k} ${fmtValue(v, kind)}`;
        // Shares only for event counts: distinct visitors do not add up across segments.
        const share = total && v != null && def?.kind === "count" && (def.measure === "events" || def.measure === "visits") ? ` (${fmtRate(v / total)})` : "";
        return `${k} ${fmtValue(v, kind)}${share}`;
      });
      const more = rows.length > TOP ? ` · … ${rows.length - TOP} more` : "";
      out.push(`  ${dimensionWord(dim).padEnd(13)} ${cells.join(" · ")}${more}`);
    }
  }
  return out.join("\n");
}
