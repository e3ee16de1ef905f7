/** Progress of a long ingest on stderr: rows, MB/s and phase. Only on a terminal, or when GUARDRAIL_PROGRESS=1. */
import type { IngestProgress } from "./pipeline.js";

export function progressReporter(stream: NodeJS.WriteStream = process.stderr): ((p: IngestProgress) => void) | undefined {
  const tty = Boolean(stream.isTTY);
  if (!tty && process.env.GUARDRAIL_PROGRESS !== "1") return undefined;
  return (p) => {
    const secs = p.elapsedMs / 1000;
    const mb = p.bytes / 1e6;
    const rate = secs > 0 ? mb / secs : 0;
    const line = `ingest: ${p.phase.padEnd(11)} ${p.rows.toLocaleString("en-US").padStart(11)} rows  ${mb.toFixed(1)} MB  ${rate.toFixed(1)} MB/s  ${secs.toFixed(1)} s`;
    if (tty) stream.write(`\r${line}\x1b[K${p.phase === "done" ? "\n" : ""}`);
    else stream.write(line + "\n");
  };
}
