/**
 * `guardrail upload` against the real service routes on 127.0.0.1 (src/http/routes.ts), which run the
 * real ingest in a child process: published, rejected, failed, a retry after a transient 503,
 * 401, unreachable, and usage errors.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readFileSync, writeFileSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { generateFixtures } from "../../src/fixtures/generate.js";
import { guardrailHandler } from "../../src/http/routes.js";
import { serviceFor } from "../../src/jobs/service.js";
import type { AppDeps } from "../../src/app/deps.js";
import { INGEST, READ, requireLib, listen, makeDeps, tempDir } from "../support/service.js";
import { runCli } from "../support/run-cli.js";

const DS = "2026-03-10";
let dir: string;
let deps: AppDeps;
let srv: Awaited<ReturnType<typeof listen>>;
let good: string; // exports/ds=DS/… : the day comes from the path
let goodLines: number;
/** POSTs the stand-in answers 503 to before the real route sees them (a proxy while the service restarts). */
let unavailable = 0;
let posts = 0;

const FAST = ["--retry-delay", "0.01", "--poll-interval", "0.05"];
const publishedRows = (ds: string) => (deps.db.prepare(`SELECT COUNT(*) AS n FROM published_events WHERE dataset = 'default' AND ds = ?`).get(ds) as { n: number }).n;
const jobCount = () => (deps.db.prepare(`SELECT COUNT(*) AS n FROM jobs`).get() as { n: number }).n;

beforeAll(async () => {
  requireLib();
  dir = tempDir("upload-cli");
  deps = makeDeps(dir);
  const files = await generateFixtures({ outDir: join(dir, "exports"), days: 1, eventsPerDay: 1200, end: DS, seed: 3 });
  good = files[0]!.path;
  goodLines = readFileSync(good, "utf8").split("\n").filter((l) => l.trim()).length;
  serviceFor(null, deps, { maxUploadBytes: 4 * 1024 * 1024, uploadIdleMs: 2000 });
  const real = guardrailHandler(null, deps);
  srv = await listen(async (req, res) => {
    if (req.method === "POST") posts++;
    if (req.method === "POST" && unavailable > 0) {
      unavailable--;
      // Read the body first, as a buffering proxy does, then say "later".
      for await (const _chunk of req);
      res.writeHead(503, { "content-type": "application/json" });
      res.end(JSON.stringify({ error: "Service restarting." }));
      return true;
    }
    return real(req, res);
  });
}, 120_000);

afterAll(async () => {
  await serviceFor(null, deps).queue.idle();
  await srv?.close();
  deps?.db.close();
});

describe("guardrail upload", () => {
  it("streams the file, waits for the job and prints it: published, exit 0", async () => {
    expect(good).toContain(`ds=${DS}`);
    const r = await runCli(["upload", good, "--url", srv.base, "--token", INGEST, "--wait", "--json", ...FAST]);
    expect(r.code).toBe(0);
    const job = JSON.parse(r.stdout);
    expect(job).toMatchObject({ state: "published", dataset: "default", ds: DS, kind: "raw", error: null });
    expect(job.result.rows_loaded).toBe(goodLines);
    expect(publishedRows(DS)).toBe(goodLines);
    expect(r.stderr).toContain(`queued as job ${job.id}`);
  });

  it("retries a transient 503 with backoff, then uploads once", async () => {
    const ds = "2026-03-11";
    const file = join(dir, "retry.ndjson.gz");
    writeFileSync(file, gzipSync(readFileSync(good, "utf8").replaceAll(`"${DS}`, `"${ds}`)));
    unavailable = 2;
    posts = 0;
    const jobsBefore = jobCount();
    const r = await runCli(["upload", file, "--ds", ds, "--url", srv.base, "--token", INGEST, "--wait", "--json", ...FAST]);
    expect(r.code).toBe(0);
    expect(posts).toBe(3);
    expect(r.stderr.match(/failed \(HTTP 503: Service restarting\); trying again in/g)).toHaveLength(2);
    expect(jobCount()).toBe(jobsBefore + 1);
    expect(JSON.parse(r.stdout).state).toBe("published");
    expect(publishedRows(ds)).toBe(goodLines);
  });

  it("gives up after --retries with one sentence, exit 2", async () => {
    unavailable = 5;
    const r = await runCli(["upload", good, "--url", srv.base, "--token", INGEST, "--retries", "1", ...FAST]);
    unavailable = 0;
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/guardrail: uploading .* failed after 2 attempts \(HTTP 503: Service restarting\)\.\n$/);
  });

  it("an audit that keeps the day unpublished: rejected, exit 3, with the ingest JSON", async () => {
    const ds = "2026-03-12";
    const file = join(dir, "bad.ndjson");
    writeFileSync(file, readFileSync(good, "utf8").replaceAll(`"${DS}`, `"${ds}`).replace(/"action_type":"[a-z_]+"/g, '"action_type":"teleport"'));
    const r = await runCli(["upload", file, "--ds", ds, "--url", srv.base, "--token", INGEST, "--wait", "--json", ...FAST]);
    expect(r.code).toBe(3);
    const job = JSON.parse(r.stdout);
    expect(job.state).toBe("rejected");
    expect(job.result.checks.some((c: { name: string; status: string }) => c.name === "action_enum" && c.status === "fail")).toBe(true);
    expect(publishedRows(ds)).toBe(0);
  });

  it("a job that cannot run: failed, exit 1", async () => {
    // A raw event file sent as a warehouse aggregate: the aggregate loader cannot read it.
    const r = await runCli(["upload", good, "--kind", "agg", "--url", srv.base, "--token", INGEST, "--wait", "--json", ...FAST]);
    const job = JSON.parse(r.stdout);
    expect(job.state).toBe("failed");
    expect(typeof job.error).toBe("string");
    expect(r.code).toBe(1);
  });

  it("without --wait it prints the queued job and exits 0", async () => {
    const r = await runCli(["upload", good, "--url", srv.base, "--token", INGEST, "--json", ...FAST]);
    expect(r.code).toBe(0);
    const job = JSON.parse(r.stdout);
    expect(job).toMatchObject({ state: "queued", ds: DS, url: `/api/guardrail/jobs/${job.id}` });
    await serviceFor(null, deps).queue.idle();
  });

  it("a wrong token (the read token) is refused without retrying, exit 2", async () => {
    posts = 0;
    const r = await runCli(["upload", good, "--url", srv.base, "--token", READ, ...FAST]);
    expect(r.code).toBe(2);
    expect(posts).toBe(1);
    expect(r.stderr).toMatch(/refused the token \(HTTP 401\): pass the ingest token/);
  });

  it("an unreachable service is retried, then exit 2", async () => {
    const probe = http.createServer();
    await new Promise<void>((r) => probe.listen(0, "127.0.0.1", r));
    const { port } = probe.address() as AddressInfo;
    await new Promise<void>((r) => probe.close(() => r()));
    const r = await runCli(["upload", good, "--url", `http://127.0.0.1:${port}`, "--token", INGEST, "--retries", "2", ...FAST]);
    expect(r.code).toBe(2);
    expect(r.stderr.match(/trying again/g)).toHaveLength(2);
    expect(r.stderr).toMatch(/failed after 3 attempts \(ECONNREFUSED\)\.\n$/);
  });

  it("usage errors: no day for a file, two files of one day, no token", async () => {
    const loose = join(dir, "loose.ndjson");
    writeFileSync(loose, readFileSync(good));
    const noDay = await runCli(["upload", loose, "--url", srv.base, "--token", INGEST]);
    expect(noDay.code).toBe(2);
    expect(noDay.stderr).toContain(`${loose}: no day for this file: pass --ds YYYY-MM-DD`);
    mkdirSync(join(dir, "again", `ds=${DS}`), { recursive: true });
    const twin = join(dir, "again", `ds=${DS}`, "part-1.ndjson");
    writeFileSync(twin, readFileSync(good));
    const twins = await runCli(["upload", good, twin, "--url", srv.base, "--token", INGEST]);
    expect(twins.code).toBe(2);
    expect(twins.stderr).toContain(`are both ds=${DS}: each upload replaces the day whole`);
    const noToken = await runCli(["upload", good, "--url", srv.base]);
    expect(noToken.code).toBe(2);
  });

  it("sends dataset, ds, kind and --allow-partial as the upload's query, under a --url with a path prefix", async () => {
    const seen: string[] = [];
    const standIn = await listen((req, res) => {
      seen.push(`${req.method} ${req.url}`);
      req.resume();
      req.on("end", () => {
        res.writeHead(202, { "content-type": "application/json" });
        res.end(JSON.stringify({ id: "00000000-0000-4000-8000-000000000000", state: "queued", dataset: "shop", ds: "2026-03-13", kind: "agg" }));
      });
      return true;
    });
    try {
      const r = await runCli(["upload", good, "--url", `${standIn.base}/guardrail-svc/`, "--token", INGEST, "--dataset", "shop", "--ds", "2026-03-13", "--kind", "agg", "--allow-partial"]);
      expect(r.code).toBe(0);
      expect(seen).toEqual(["POST /guardrail-svc/api/guardrail/exports?dataset=shop&ds=2026-03-13&kind=agg&allow_partial=true"]);
      expect(r.stdout).toBe("00000000-0000-4000-8000-000000000000  queued  shop 2026-03-13\n");
    } finally {
      await standIn.close();
    }
  });
});
