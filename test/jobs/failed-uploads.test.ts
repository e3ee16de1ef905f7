import { describe, expect, it } from "vitest";
import { existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { sweepFailedUploads } from "../../src/jobs/background.js";
import { finishJob, getJob, insertJob } from "../../src/store/jobs.js";
import { makeDeps, tempDir } from "../support/service.js";

const DAY = 86_400_000;

describe("uploads of failed jobs", () => {
  it("are kept for a retry, then deleted after the retention window; other jobs' files are untouched", () => {
    const dir = tempDir("failed-uploads");
    const deps = makeDeps(dir);
    const now = new Date("2026-11-20T12:00:00Z");
    const job = (id: string, state: "failed" | "published", finishedDaysAgo: number) => {
      const file = join(dir, `${id}.upload`);
      writeFileSync(file, "x");
      insertJob(deps.db, { id, dataset: "default", ds: "2026-11-01", file_path: file, bytes: 1 }, new Date(now.getTime() - (finishedDaysAgo + 1) * DAY));
      finishJob(deps.db, id, state, { error: state === "failed" ? "boom." : null, keepFile: true }, new Date(now.getTime() - finishedDaysAgo * DAY));
      return file;
    };
    const old = job("00000000-0000-4000-8000-000000000001", "failed", 8);
    const recent = job("00000000-0000-4000-8000-000000000002", "failed", 2);
    const kept = job("00000000-0000-4000-8000-000000000003", "published", 30);
    const lines: string[] = [];
    expect(sweepFailedUploads(deps, 7 * DAY, { info: (m) => lines.push(m) }, now)).toBe(1);
    expect([old, recent, kept].map(existsSync)).toEqual([false, true, true]);
    const gone = getJob(deps.db, "00000000-0000-4000-8000-000000000001")!;
    expect(gone.file_path).toBeNull();
    expect(gone.error).toBe("boom. The upload was deleted 7 days after the failure; upload the export again.");
    expect(lines).toEqual(["guardrail: deleted 1 upload(s) of jobs that failed more than 7 days ago"]);
    // A second sweep finds nothing more to do.
    expect(sweepFailedUploads(deps, 7 * DAY, { info: (m) => lines.push(m) }, now)).toBe(0);
  });
});
