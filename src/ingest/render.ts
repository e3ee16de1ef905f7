/** Human text of an ingest result: a short summary, the checks table, and the first rejected lines. */
import type { IngestResult } from "../shared/types.js";
import { COMPLETENESS_CHECKS } from "../quality/completeness.js";
import { fmtCheckValue } from "../present/format.js";

export function renderIngestResult(r: IngestResult): string {
  const out: string[] = [];
  const files = r.source_files?.join(", ") ?? "";
  out.push(
    `${r.published ? (r.partial ? "Published PARTIAL" : "Published") : "NOT published"}: dataset ${r.dataset}, ds ${r.ds}${r.batch_id ? ` (batch ${r.batch_id})` : ""} from ${files}`,
  );
  if (r.partial) out.push(`partial: ${r.partial_reason}; never a baseline day, its verdicts are inconclusive until a complete export replaces it`);
  out.push(`rows read ${r.rows_read}, loaded ${r.rows_loaded}, rejected ${r.rows_rejected} (duplicates ${r.duplicates})`);
  out.push("");
  const rows = r.checks.map((c) => [c.status.toUpperCase(), c.name, c.severity, fmtCheckValue(c.observed), fmtCheckValue(c.threshold), c.message]);
  const head = ["status", "check", "severity", "observed", "threshold", "message"];
  const widths = head.slice(0, 5).map((h, i) => Math.max(h.length, ...rows.map((row) => row[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => (i < 5 ? c.padEnd(widths[i]) : c)).join("  ");
  out.push(line(head));
  for (const row of rows) out.push(line(row));
  if (r.rejects_sample.length) {
    out.push("");
    out.push(`first rejected rows:`);
    for (const x of r.rejects_sample.slice(0, 10) as { line: number; reason: string; file?: string }[])
      out.push(`  ${x.file ? `${x.file} ` : ""}line ${x.line}: ${x.reason}`);
  }
  return out.join("\n");
}

/** One sentence saying why a partition was kept unpublished, naming the failed checks. */
export function failureLine(r: IngestResult): string {
  const failed = r.checks.filter((c) => c.status === "fail" && c.severity === "error");
  const completeness = failed.every((c) => COMPLETENESS_CHECKS.includes(c.name));
  const hint = completeness ? " Only completeness failed: --allow-partial (allow_partial=true on upload) publishes it marked partial." : "";
  return `ds ${r.ds} was NOT published (audit failed): ${failed.map((c) => `${c.name}: ${c.message}`).join(" ")}${hint}`;
}
