/** API answers carry no server paths: a job's result names "the upload", never where it lies. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { generateFixtures } from "../../src/fixtures/generate.js";
import { publicResult } from "../../src/store/jobs.js";
import type { AppDeps } from "../../src/app/deps.js";
import { INGEST, READ, bearer, send, startTestService, until, type TestService } from "../support/service.js";

describe("publicResult", () => {
  it("drops source_files and replaces the upload's path in every message", () => {
    const id = "5f0c1d2e-0000-4000-8000-000000000001";
    const path = `/var/lib/guardrail/uploads/${id}.upload`;
    const raw = JSON.stringify({ ds: "2026-03-10", source_files: [path], rejects_sample: [{ line: 3, reason: `${path}: line 3: malformed JSON` }] });
    const r = publicResult(raw, id);
    expect(r.source_files).toBeUndefined();
    expect(r.rejects_sample[0].reason).toBe("the upload: line 3: malformed JSON");
    expect(JSON.stringify(r)).not.toContain("/var/lib");
  });
});

describe("job and health answers", () => {
  let dir: string;
  let deps: AppDeps;
  let srv: TestService["srv"];
  let svc: TestService;
  beforeAll(async () => {
    svc = await startTestService("paths");
    ({ dir, deps, srv } = svc);
  });
  afterAll(async () => {
    await svc?.close();
  });

  it("a published job's answer and the health details hold no path of the server", async () => {
    const [fx] = await generateFixtures({ outDir: join(dir, "fx"), days: 1, eventsPerDay: 800, end: "2026-03-10", seed: 4 });
    const up = await send(srv.base, "POST", "/api/guardrail/exports?ds=2026-03-10", { headers: bearer(INGEST), body: readFileSync(fx!.path) });
    expect(up.status).toBe(202);
    const id = up.json().id;
    const job = await until(async () => {
      const r = await send(srv.base, "GET", `/api/guardrail/jobs/${id}`, { headers: bearer(INGEST) });
      return ["published", "rejected", "failed"].includes(r.json().state) ? r : null;
    }, "the job to finish");
    expect(job.json().state).toBe("published");
    expect(job.json().result.rows_loaded).toBeGreaterThan(0);
    expect(job.json().result.source_files).toBeUndefined();
    expect(job.body).not.toContain(dir);
    expect(job.body).not.toContain("/uploads/");
    const health = await send(srv.base, "GET", "/api/guardrail/health", { headers: bearer(READ) });
    expect(health.json().last_job.id).toBe(id);
    expect(health.body).not.toContain(dir);
    expect(health.body).not.toContain("/uploads/");
  });
});
