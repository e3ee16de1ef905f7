/**
 * docs/ingest.md, "Days that have not ended": an upload of a day that is not
 * over in the dataset's zone is a 400 in one sentence, and nothing is queued;
 * with allow_partial=true the job runs the compiled CLI with --allow-partial
 * and publishes the day marked partial, for raw events and for a
 * warehouse-built aggregate (kind=agg) alike.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { join } from "node:path";
import { readFileSync, writeFileSync } from "node:fs";
import { parseConfig, resolveDataset } from "../../src/config/load.js";
import { ingestFiles } from "../../src/ingest/pipeline.js";
import { openDb } from "../../src/store/db.js";
import { writeAggExport } from "../ingest/helpers.js";
import type { AppDeps } from "../../src/app/deps.js";
import { INGEST, bearer, send, startTestService, until, type TestService } from "../support/service.js";

const DS = "2099-12-31"; // not over, whatever the clock says
const line = `{"logged_out_user_id":"c-1","dim_hostname":"www.example.com","dim_country":"US","action_type":"page_visit","event_timestamp":"${DS} 00:10:00","ds":"${DS}"}\n`;

let dir: string;
let deps: AppDeps;
let srv: TestService["srv"];
let svc: TestService;

beforeAll(async () => {
  svc = await startTestService("upload-partial", { maxUploadBytes: 1024 * 1024, uploadIdleMs: 2000 }, {
    config: parseConfig({ datasets: { pacific: { timezone: "America/Los_Angeles" } } }),
  });
  ({ dir, deps, srv } = svc);
});

afterAll(async () => {
  await svc?.close();
});

describe("uploads of a day that has not ended", () => {
  it("answers 400 naming the zone and the end of the day, and queues nothing", async () => {
    const r = await send(srv.base, "POST", `/api/guardrail/exports?dataset=pacific&ds=${DS}`, { headers: bearer(INGEST), body: line });
    expect(r.status).toBe(400);
    expect(r.json().error).toBe(
      `Query parameter ds: ${DS} has not ended yet in America/Los_Angeles (it ends at 2100-01-01T08:00Z); upload it once the day is over, or add allow_partial=true to publish it marked partial.`,
    );
    expect(deps.db.prepare(`SELECT COUNT(*) AS n FROM jobs`).get()).toEqual({ n: 0 });
    const bad = await send(srv.base, "POST", `/api/guardrail/exports?ds=2026-01-01&allow_partial=yes`, { headers: bearer(INGEST), body: line });
    expect(bad.status).toBe(400);
    expect(bad.json().error).toBe('Query parameter allow_partial: expected true or false, got "yes".');
  });

  it("with allow_partial=true publishes it marked partial", async () => {
    const r = await send(srv.base, "POST", `/api/guardrail/exports?dataset=pacific&ds=${DS}&allow_partial=true`, { headers: bearer(INGEST), body: line });
    expect(r.status).toBe(202);
    const job = await until(async () => {
      const j = (await send(srv.base, "GET", `/api/guardrail/jobs/${r.json().id}`, { headers: bearer(INGEST) })).json();
      return ["published", "rejected", "failed"].includes(j.state) ? j : null;
    }, "the job to finish", 60_000);
    expect(job.state, job.error).toBe("published");
    expect(job.result).toMatchObject({ partial: true });
    expect(deps.db.prepare(`SELECT partial_reason FROM partitions WHERE dataset = 'pacific' AND ds = ? AND status = 'published'`).get(DS)).toEqual({
      partial_reason: expect.stringMatching(/^the day had not ended in America\/Los_Angeles when it was loaded/),
    });
  }, 90_000);

  it("kind=agg with allow_partial=true: the job runs ingest-agg --allow-partial and publishes the aggregate marked partial", async () => {
    const pacific = resolveDataset(parseConfig({ datasets: { pacific: { timezone: "America/Los_Angeles" } } }), "pacific");
    const ds = "2099-12-30";
    writeFileSync(join(dir, "wh.ndjson"), line.replaceAll(DS, ds));
    const warehouse = openDb(join(dir, "warehouse.db"));
    expect((await ingestFiles(warehouse, pacific, [join(dir, "wh.ndjson")], { allowPartial: true })).published).toBe(true);
    const body = readFileSync(writeAggExport(warehouse, "pacific", ds, join(dir, "agg.ndjson")));
    const r = await send(srv.base, "POST", `/api/guardrail/exports?dataset=pacific&ds=${ds}&kind=agg&allow_partial=true`, { headers: bearer(INGEST), body });
    expect(r.status).toBe(202);
    const job = await until(async () => {
      const j = (await send(srv.base, "GET", `/api/guardrail/jobs/${r.json().id}`, { headers: bearer(INGEST) })).json();
      return ["published", "rejected", "failed"].includes(j.state) ? j : null;
    }, "the job to finish", 60_000);
    expect(job.state, job.error).toBe("published");
    expect(job.result).toMatchObject({ partial: true });
    expect(deps.db.prepare(`SELECT kind, partial_reason FROM partitions WHERE dataset = 'pacific' AND ds = ? AND status = 'published'`).get(ds)).toEqual({
      kind: "agg",
      partial_reason: expect.stringMatching(/^the day had not ended in America\/Los_Angeles when it was loaded/),
    });
  }, 90_000);
});
