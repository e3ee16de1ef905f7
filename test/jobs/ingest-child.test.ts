/**
 * The ingest child runs at a lower CPU priority than the service
 * (docs/operations.md#under-load): its parse threads must not take the cores
 * the webhook server needs. The child is held at the start (its upload is a
 * FIFO nobody writes yet), so its priority can be read, then stopped.
 */
import { describe, expect, it } from "vitest";
import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { getPriority, platform } from "node:os";
import { INGEST_NICE, runIngestChild } from "../../src/jobs/ingest-child.js";
import type { JobRow } from "../../src/store/jobs.js";
import { requireLib, tempDir, until } from "../support/service.js";

/** Children of this process whose command line names `needle` (Linux /proc). */
function childrenNaming(needle: string): number[] {
  const found: number[] = [];
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, "utf8");
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      if (ppid === process.pid && readFileSync(`/proc/${name}/cmdline`, "utf8").includes(needle)) found.push(Number(name));
    } catch {
      // A process that ended while we looked: not ours to find.
    }
  }
  return found;
}

describe.runIf(platform() === "linux")("the ingest child", () => {
  it(`runs at nice ${INGEST_NICE}, below the service`, async () => {
    requireLib();
    const dir = tempDir("ingest-nice");
    const fifo = join(dir, "held.upload");
    execFileSync("mkfifo", [fifo]);
    const job = { id: "nice-job", dataset: "default", ds: "2026-03-10", kind: "raw", file_path: fifo, allow_partial: 0 } as unknown as JobRow;
    let kill: (() => void) | null = null;
    const outcome = runIngestChild(job, { dbPath: join(dir, "guardrail.db"), timeoutMs: 60_000, onSpawn: (k) => (kill = k) });
    const [pid] = await until(() => {
      const pids = childrenNaming(fifo);
      return pids.length ? pids : null;
    }, "the ingest child to start");
    expect(getPriority(pid!)).toBe(Math.min(19, getPriority() + INGEST_NICE));
    kill!();
    expect((await outcome).state).toBe("failed");
  }, 60_000);
});
