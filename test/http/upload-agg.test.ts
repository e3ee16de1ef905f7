/**
 * docs/warehouse.md: the warehouse uploads its aggregate export to the
 * running service with `kind=agg`, and the job loads it with
 * `guardrail ingest-agg` (child process, compiled CLI): the day is published
 * as an aggregate batch and gives the same metrics as the raw path.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { generateFixtures } from "../../src/fixtures/generate.js";
import { guardrailHandler } from "../../src/http/routes.js";
import { serviceFor } from "../../src/jobs/service.js";
import { openDb, type DB } from "../../src/store/db.js";
import { execFileSync } from "node:child_process";
import { GUARDRAIL_BIN } from "../../src/jobs/ingest-child.js";
import { loadReport } from "../../src/metrics/compute.js";
import { GROUP_COLUMNS } from "../../src/aggregate/levels.js";
import type { AppDeps } from "../../src/app/deps.js";
import { INGEST, bearer, requireLib, listen, makeDeps, send, tempDir, until, uploadsLeft } from "../support/service.js";

const DS = "2026-03-10";
const COLUMNS = ["ds", "aggregation_level", ...GROUP_COLUMNS, "m_total_events", "m_unique_visitors", "m_unique_users", "m_visits"];

let dir: string;
let deps: AppDeps;
let rawDb: DB;
let srv: Awaited<ReturnType<typeof listen>>;
let aggCsv: string;
let rawExport: string;

function csvCell(v: unknown): string {
  if (v === null || v === undefined) return "";
  const s = String(v);
  return /[",\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
}

async function jobDone(id: string) {
  return until(async () => {
    const j = (await send(srv.base, "GET", `/api/guardrail/jobs/${id}`, { headers: bearer(INGEST) })).json();
    return ["published", "rejected", "failed"].includes(j.state) ? j : null;
  }, `job ${id} to finish`);
}

beforeAll(async () => {
  requireLib();
  dir = tempDir("upload-agg");
  const [fx] = await generateFixtures({ outDir: join(dir, "fx"), days: 1, eventsPerDay: 1500, end: DS, seed: 5 });
  rawExport = fx!.path;
  // The "warehouse": the same day aggregated by the bot's own raw path, exported as CSV rows of agg_website_events.
  // (the compiled CLI, as the service runs it)
  const raw = JSON.parse(execFileSync(process.execPath, [GUARDRAIL_BIN, "ingest", fx!.path, "--ds", DS, "--db", join(dir, "raw.db"), "--json"], { encoding: "utf8" }));
  expect(raw.published).toBe(true);
  rawDb = openDb(join(dir, "raw.db"));
  const rows = rawDb.prepare(`SELECT * FROM published_agg WHERE dataset = 'default' AND ds = ?`).all(DS) as Record<string, unknown>[];
  expect(rows.length).toBeGreaterThan(100);
  aggCsv = [COLUMNS.join(","), ...rows.map((r) => COLUMNS.map((c) => csvCell(r[c])).join(","))].join("\n") + "\n";

  deps = makeDeps(dir);
  serviceFor(null, deps, { maxUploadBytes: 4 * 1024 * 1024, uploadIdleMs: 2000 });
  srv = await listen(guardrailHandler(null, deps));
}, 120_000);

afterAll(async () => {
  if (deps) await serviceFor(null, deps).queue.idle();
  await srv?.close();
  deps?.db.close();
  rawDb?.close();
});

describe("upload of a warehouse aggregate (kind=agg)", () => {
  it("runs ingest-agg, publishes an aggregate batch, and the day's metrics equal the raw path's", async () => {
    const r = await send(srv.base, "POST", `/api/guardrail/exports?dataset=default&ds=${DS}&kind=agg`, { headers: bearer(INGEST), body: gzipSync(aggCsv) });
    expect(r.status).toBe(202);
    expect(r.json()).toMatchObject({ state: "queued", kind: "agg" });
    const job = await jobDone(r.json().id);
    expect(job.state, job.error).toBe("published");
    expect(job.result.published).toBe(true);
    const batches = deps.db.prepare(`SELECT kind, status FROM partitions WHERE dataset = 'default' AND ds = ?`).all(DS);
    expect(batches).toEqual([{ kind: "agg", status: "published" }]);
    // No raw events were loaded: the aggregate is all the bot holds for the day.
    expect((deps.db.prepare(`SELECT COUNT(*) AS n FROM published_events WHERE ds = ?`).get(DS) as { n: number }).n).toBe(0);
    expect(loadReport(deps.db, "default", DS)).toEqual(loadReport(rawDb, "default", DS));
    expect(uploadsLeft(dir)).toEqual([]);
  });

  it("kind=agg really means the aggregate reader: a raw event export sent as agg fails with its sentence, nothing published", async () => {
    const ds = "2026-03-11";
    const r = await send(srv.base, "POST", `/api/guardrail/exports?ds=${ds}&kind=agg`, { headers: bearer(INGEST), body: readFileSync(rawExport) });
    expect(r.status).toBe(202);
    const job = await jobDone(r.json().id);
    expect(job.state).not.toBe("published");
    expect(job.error ?? JSON.stringify(job.result)).toMatch(/aggregation_level/);
    // The answer names "the upload", not where the server keeps it.
    expect(JSON.stringify(job)).not.toContain(dir);
    expect(deps.db.prepare(`SELECT COUNT(*) AS n FROM partitions WHERE ds = ? AND status = 'published'`).get(ds)).toEqual({ n: 0 });
  });

  it("kind defaults to raw, and any other value is a 400 naming the parameter", async () => {
    const bad = await send(srv.base, "POST", `/api/guardrail/exports?ds=${DS}&kind=parquet`, { headers: bearer(INGEST), body: "x" });
    expect(bad.status).toBe(400);
    expect(bad.json().error).toMatch(/^Query parameter kind: expected raw .* or agg .*, got "parquet"\.$/);
    const ds = "2026-03-12";
    const raw = readFileSync(rawExport, "utf8").replaceAll(`"${DS}`, `"${ds}`);
    const r = await send(srv.base, "POST", `/api/guardrail/exports?ds=${ds}`, { headers: bearer(INGEST), body: raw });
    expect(r.json()).toMatchObject({ kind: "raw" });
    const job = await jobDone(r.json().id);
    expect(job.state, job.error).toBe("published");
    expect(deps.db.prepare(`SELECT kind FROM partitions WHERE ds = ? AND status = 'published'`).all(ds)).toEqual([{ kind: "raw" }]);
  });
});
