/** At start, the `.part` files of uploads a crash cut short and uploads no job points at are removed. */
import { describe, expect, it } from "vitest";
import { existsSync, mkdirSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { startBackground } from "../../src/jobs/background.js";
import { serviceFor } from "../../src/jobs/service.js";
import { makeDeps, tempDir } from "../support/service.js";

describe("start-up sweep of the upload folder", () => {
  it("removes .part files and orphan uploads, keeps what a job still needs", async () => {
    const dir = tempDir("sweep");
    const deps = makeDeps(dir);
    const up = join(dir, "uploads");
    mkdirSync(up, { recursive: true });
    const kept = join(up, "11111111-0000-4000-8000-000000000001.upload");
    writeFileSync(join(up, "22222222-0000-4000-8000-000000000002.part"), "half an upload");
    writeFileSync(join(up, "33333333-0000-4000-8000-000000000003.upload"), "stored, but the job row was never written");
    writeFileSync(kept, "a failed job's upload, kept for a retry");
    const t = new Date().toISOString();
    deps.db
      .prepare(`INSERT INTO jobs (id, dataset, ds, state, file_path, bytes, attempts, created_at, finished_at, error) VALUES (?, 'default', '2026-03-10', 'failed', ?, 10, 1, ?, ?, 'x')`)
      .run("11111111-0000-4000-8000-000000000001", kept, t, t);
    const stop = startBackground(null, deps, { targets: { repos: () => [], installationId: () => 0, label: () => "", repoSteps: [], datasetSteps: [] } });
    await serviceFor(null, deps).recovered;
    expect(readdirSync(up).sort()).toEqual(["11111111-0000-4000-8000-000000000001.upload", "service-config.json"]);
    expect(existsSync(kept)).toBe(true);
    stop();
    deps.db.close();
  });
});
