/** `guardrail reaggregate --from D --to D` (docs/cli.md): rebuild published days from their stored raw events with the current rules. */
import type { RegisterCommand } from "./types.js";
import { addGlobalOptions, makeContext, type GlobalOptions } from "../common.js";
import { reaggregate as run, type ReaggregateResult } from "../../ingest/reaggregate.js";
import { fmtCount } from "../../present/format.js";

export const reaggregate: RegisterCommand = (program, setExit) => {
  addGlobalOptions(
    program
      .command("reaggregate")
      .description("rebuild the aggregate, aggregate checks and metric values of published days from their raw events, with the current rules")
      .requiredOption("--from <date>", "first day (YYYY-MM-DD)")
      .requiredOption("--to <date>", "last day (YYYY-MM-DD)"),
  ).action((o: GlobalOptions & { from: string; to: string }) => {
    const ctx = makeContext(o, { existingDb: true });
    const tty = Boolean(process.stderr.isTTY);
    const started = performance.now();
    const result = run(ctx.db(), ctx.dataset, {
      from: o.from,
      to: o.to,
      onDay: tty
        ? (d, i, n) =>
            process.stderr.write(`\rreaggregate: ${d.ds}  ${i + 1}/${n} days  ${((performance.now() - started) / 1000).toFixed(1)} s\x1b[K${i + 1 === n ? "\n" : ""}`)
        : undefined,
    });
    ctx.out(renderReaggregate(result), result);
    setExit(0);
  });
};

export function renderReaggregate(r: ReaggregateResult): string {
  if (r.days.length === 0) return `No published day of dataset ${r.dataset} between ${r.from} and ${r.to}: nothing to rebuild.`;
  const lines = r.days.map((d) =>
    d.status === "raw_expired"
      ? `${d.ds}  left as it was: its raw events were removed by retention`
      : `${d.ds}  rebuilt from ${fmtCount(d.events)} events${d.failing_checks.length ? `; aggregate checks now failing: ${d.failing_checks.join(", ")}` : ""}`,
  );
  const rebuilt = r.days.filter((d) => d.status === "rebuilt").length;
  const kept = r.days.length - rebuilt;
  return [...lines, "", `${rebuilt} day${rebuilt === 1 ? "" : "s"} rebuilt, ${kept} left as ${kept === 1 ? "it was" : "they were"} (raw events removed by retention).`].join("\n");
}
