import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { connect } from "node:net";
import { request } from "node:http";
import { generateFixtures } from "../../src/fixtures/generate.js";
import { guardrailHandler } from "../../src/http/routes.js";
import { serviceFor } from "../../src/jobs/service.js";
import type { AppDeps } from "../../src/app/deps.js";
import { INGEST, READ, bearer, requireLib, listen, makeDeps, send, tempDir, until, uploadsLeft } from "../support/service.js";

const DS = "2026-03-10";
let dir: string;
let deps: AppDeps;
let srv: Awaited<ReturnType<typeof listen>>;
let small: string; // NDJSON of DS
let smallLines: number;
let other: string; // a different export of the same DS
let otherLines: number;

const lines = (file: string) => readFileSync(file, "utf8").split("\n").filter((l) => l.trim()).length;
const jobCount = () => (deps.db.prepare(`SELECT COUNT(*) AS n FROM jobs`).get() as { n: number }).n;
const publishedRows = (ds: string) => (deps.db.prepare(`SELECT COUNT(*) AS n FROM published_events WHERE dataset = 'default' AND ds = ?`).get(ds) as { n: number }).n;

async function jobDone(id: string) {
  return until(async () => {
    const r = await send(srv.base, "GET", `/api/guardrail/jobs/${id}`, { headers: bearer(INGEST) });
    const j = r.json();
    return ["published", "rejected", "failed"].includes(j.state) ? j : null;
  }, `job ${id} to finish`);
}

beforeAll(async () => {
  // The ingest runs the compiled CLI in a child process.
  requireLib();
  dir = tempDir("upload");
  deps = makeDeps(dir);
  const a = await generateFixtures({ outDir: join(dir, "fx-a"), days: 1, eventsPerDay: 1500, end: DS, seed: 1 });
  const b = await generateFixtures({ outDir: join(dir, "fx-b"), days: 1, eventsPerDay: 2600, end: DS, seed: 2 });
  small = a[0]!.path;
  other = b[0]!.path;
  smallLines = lines(small);
  otherLines = lines(other);
  serviceFor(null, deps, { maxUploadBytes: 4 * 1024 * 1024, uploadIdleMs: 400 });
  srv = await listen(guardrailHandler(null, deps));
}, 120_000);

afterAll(async () => {
  await serviceFor(null, deps).queue.idle();
  await srv?.close();
  deps?.db.close();
});

describe("upload → job → published", () => {
  it("streams a gzip export to disk, ingests it off the request path and publishes the day", async () => {
    const body = gzipSync(readFileSync(small));
    const r = await send(srv.base, "POST", `/api/guardrail/exports?dataset=default&ds=${DS}`, { headers: { ...bearer(INGEST), "content-type": "application/gzip" }, body });
    expect(r.status).toBe(202);
    const { id, state } = r.json();
    expect(state).toBe("queued");
    const job = await jobDone(id);
    expect(job).toMatchObject({ id, state: "published", dataset: "default", ds: DS, error: null });
    expect(job.result.published).toBe(true);
    expect(job.result.rows_loaded).toBe(smallLines);
    expect(publishedRows(DS)).toBe(smallLines);
    // The upload is gone once the job ended.
    expect(uploadsLeft(dir)).toEqual([]);
  });

  it("reports an audit failure as rejected, with the ingest JSON, and publishes nothing", async () => {
    const ds = "2026-03-11";
    // Every row has an action outside the enum: the action_enum error check rejects the partition.
    const bad = readFileSync(small, "utf8").replaceAll(`"${DS}`, `"${ds}`).replace(/"action_type":"[a-z_]+"/g, '"action_type":"teleport"');
    const r = await send(srv.base, "POST", `/api/guardrail/exports?ds=${ds}`, { headers: bearer(INGEST), body: bad });
    expect(r.status).toBe(202);
    const job = await jobDone(r.json().id);
    expect(job.state).toBe("rejected");
    expect(job.result.published).toBe(false);
    expect(job.result.checks.some((c: { status: string }) => c.status === "fail")).toBe(true);
    expect(publishedRows(ds)).toBe(0);
  });
});

describe("bad uploads", () => {
  it.each([
    ["dataset path traversal", `dataset=..%2F..%2Fetc&ds=${DS}`],
    ["dataset with a slash", `dataset=a/b&ds=${DS}`],
    ["dataset dot-dot", `dataset=..&ds=${DS}`],
    ["ds path traversal", `ds=..%2F..%2Fpasswd`],
    ["ds not a date", `ds=2026-02-30`],
    ["ds missing", ``],
  ])("%s → 400, nothing stored", async (_name, query) => {
    const before = jobCount();
    const r = await send(srv.base, "POST", `/api/guardrail/exports?${query}`, { headers: bearer(INGEST), body: "x" });
    expect(r.status).toBe(400);
    expect(r.json().error).toMatch(/Query parameter (dataset|ds)/);
    expect(jobCount()).toBe(before);
    expect(uploadsLeft(dir)).toEqual([]);
  });

  it("a multipart form (curl -F) → 415 naming the fix, nothing stored", async () => {
    const before = jobCount();
    const form = `--XyZ\r\nContent-Disposition: form-data; name="file"; filename="e.ndjson"\r\n\r\n${readFileSync(small, "utf8").split("\n")[0]}\r\n--XyZ--\r\n`;
    const r = await send(srv.base, "POST", `/api/guardrail/exports?ds=${DS}`, { headers: { ...bearer(INGEST), "content-type": "multipart/form-data; boundary=XyZ" }, body: form });
    expect(r.status).toBe(415);
    expect(r.json().error).toMatch(/--data-binary/);
    expect(jobCount()).toBe(before);
    expect(uploadsLeft(dir)).toEqual([]);
  });

  it("an empty body → 400", async () => {
    const r = await send(srv.base, "POST", `/api/guardrail/exports?ds=${DS}`, { headers: bearer(INGEST), body: "" });
    expect(r.status).toBe(400);
    expect(uploadsLeft(dir)).toEqual([]);
  });

  it("a declared Content-Length over the limit → 413 before reading the body", async () => {
    const before = jobCount();
    const r = await new Promise<number>((resolve, reject) => {
      const req = request(`${srv.base}/api/guardrail/exports?ds=${DS}`, { method: "POST", headers: { ...bearer(INGEST), "content-length": String(50 * 1024 * 1024) } }, (res) => {
        res.resume();
        resolve(res.statusCode!);
        req.destroy();
      });
      req.on("error", reject);
      req.write(Buffer.alloc(1024)); // only a taste of the declared 50 MB
    });
    expect(r).toBe(413);
    expect(jobCount()).toBe(before);
    expect(uploadsLeft(dir)).toEqual([]);
  });

  it("a chunked body that grows over the limit → 413, partial file removed", async () => {
    const before = jobCount();
    const status = await new Promise<number>((resolve, reject) => {
      const req = request(`${srv.base}/api/guardrail/exports?ds=${DS}`, { method: "POST", headers: { ...bearer(INGEST), "transfer-encoding": "chunked" } }, (res) => {
        res.resume();
        resolve(res.statusCode!);
      });
      req.on("error", () => {}); // the server closes the connection after answering
      const chunk = Buffer.alloc(256 * 1024, 0x61);
      let sent = 0;
      const pump = () => {
        while (sent < 6 * 1024 * 1024 && !req.destroyed) {
          sent += chunk.length;
          if (!req.write(chunk)) return req.once("drain", pump);
        }
        req.end();
      };
      pump();
      setTimeout(() => reject(new Error("no answer")), 20_000).unref();
    });
    expect(status).toBe(413);
    await until(() => uploadsLeft(dir).length === 0, "partial upload removed");
    expect(jobCount()).toBe(before);
  });
});

describe("slow, idle and vanishing clients", () => {
  it("a trickled body does not block other requests, and arrives whole", async () => {
    const body = Buffer.from(readFileSync(small, "utf8").replaceAll(`"${DS}`, `"2026-03-12`));
    const parts = 8;
    const size = Math.ceil(body.length / parts);
    const upload = new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = request(`${srv.base}/api/guardrail/exports?ds=2026-03-12`, { method: "POST", headers: { ...bearer(INGEST), "content-length": String(body.length) } }, (res) => {
        let text = "";
        res.on("data", (c) => (text += c));
        res.on("end", () => resolve({ status: res.statusCode!, body: text }));
      });
      req.on("error", reject);
      let i = 0;
      const next = () => {
        req.write(body.subarray(i * size, (i + 1) * size));
        i++;
        if (i < parts) setTimeout(next, 100); // well inside the 400 ms idle limit
        else req.end();
      };
      next();
    });
    // While the upload trickles in, the server answers others: before the upload has finished.
    let uploadFinished = false;
    void upload.then(() => (uploadFinished = true));
    const health = await send(srv.base, "GET", "/api/guardrail/health");
    expect(health.status).toBe(200);
    expect(uploadFinished).toBe(false);
    const done = await upload;
    expect(done.status).toBe(202);
    const job = await jobDone(JSON.parse(done.body).id);
    expect(job.result.rows_loaded).toBe(smallLines);
  });

  it("an idle upload is cut off (408), its partial file removed, no job", async () => {
    const before = jobCount();
    const status = await new Promise<number | "closed">((resolve) => {
      const req = request(`${srv.base}/api/guardrail/exports?ds=${DS}`, { method: "POST", headers: { ...bearer(INGEST), "content-length": "100000" } }, (res) => {
        res.resume();
        resolve(res.statusCode!);
      });
      req.on("error", () => resolve("closed"));
      req.write(Buffer.alloc(1000, 0x7b)); // then nothing
    });
    expect(status).toBe(408);
    await until(() => uploadsLeft(dir).length === 0, "partial upload removed");
    expect(jobCount()).toBe(before);
  });

  it("a client that drops mid-upload leaves no file and publishes nothing", async () => {
    const before = jobCount();
    const ds = "2026-03-13";
    const socket = connect(srv.port, "127.0.0.1");
    await new Promise((r) => socket.once("connect", r));
    const payload = readFileSync(small).subarray(0, 20_000);
    socket.write(
      `POST /api/guardrail/exports?ds=${ds} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${INGEST}\r\nContent-Length: 400000\r\n\r\n`,
    );
    socket.write(payload);
    // Wait until the server has started writing the partial file, then vanish.
    await until(() => uploadsLeft(dir).some((f) => f.endsWith(".part")), "partial file to appear");
    socket.destroy();
    await until(() => uploadsLeft(dir).length === 0, "partial upload removed");
    expect(jobCount()).toBe(before);
    expect(publishedRows(ds)).toBe(0);
  });
});

describe("concurrent uploads of the same day", () => {
  it("one export wins whole: the day holds exactly one file's rows, never a mix", async () => {
    const ds = "2026-03-14";
    const retarget = (file: string) => readFileSync(file, "utf8").replaceAll(`"${DS}`, `"${ds}`);
    const [ra, rb] = await Promise.all([
      send(srv.base, "POST", `/api/guardrail/exports?ds=${ds}`, { headers: bearer(INGEST), body: retarget(small) }),
      send(srv.base, "POST", `/api/guardrail/exports?ds=${ds}`, { headers: bearer(INGEST), body: retarget(other) }),
    ]);
    expect([ra.status, rb.status]).toEqual([202, 202]);
    const [ja, jb] = await Promise.all([jobDone(ra.json().id), jobDone(rb.json().id)]);
    expect([ja.state, jb.state]).toEqual(["published", "published"]);
    // Jobs run one at a time in upload order: the one that finished last is the published one.
    const last = ja.finished_at > jb.finished_at ? "a" : "b";
    const published = deps.db.prepare(`SELECT COUNT(*) AS n FROM partitions WHERE dataset = 'default' AND ds = ? AND status = 'published'`).get(ds) as { n: number };
    expect(published.n).toBe(1);
    expect(publishedRows(ds)).toBe(last === "a" ? smallLines : otherLines);
    // The two runs did not overlap.
    const [first, second] = last === "a" ? [jb, ja] : [ja, jb];
    expect(second.started_at >= first.finished_at).toBe(true);
  });
});

describe("job route", () => {
  it("404 for an unknown or malformed id", async () => {
    expect((await send(srv.base, "GET", `/api/guardrail/jobs/00000000-0000-0000-0000-000000000000`, { headers: bearer(INGEST) })).status).toBe(404);
    expect((await send(srv.base, "GET", `/api/guardrail/jobs/..%2F..%2Fetc`, { headers: bearer(INGEST) })).status).toBe(404);
  });

  it("retry of a job that is not failed → 409", async () => {
    const r = await send(srv.base, "POST", `/api/guardrail/exports?ds=2026-03-15`, { headers: bearer(INGEST), body: readFileSync(small, "utf8").replaceAll(`"${DS}`, `"2026-03-15`) });
    const job = await jobDone(r.json().id);
    expect(job.state).toBe("published");
    const retry = await send(srv.base, "POST", `/api/guardrail/jobs/${job.id}/retry`, { headers: bearer(INGEST) });
    expect(retry.status).toBe(409);
  });

  it("health with the read token shows the latest day and the last job", async () => {
    const r = await send(srv.base, "GET", "/api/guardrail/health", { headers: bearer(READ) });
    expect(r.status).toBe(200);
    const h = r.json();
    const latest = (deps.db.prepare(`SELECT MAX(ds) AS ds FROM partitions WHERE dataset = 'default' AND status = 'published'`).get() as { ds: string }).ds;
    expect(h.database.reachable).toBe(true);
    expect(h.datasets.find((d: { dataset: string }) => d.dataset === "default").latest_ds).toBe(latest);
    const lastId = (deps.db.prepare(`SELECT id FROM jobs ORDER BY created_at DESC, rowid DESC LIMIT 1`).get() as { id: string }).id;
    expect(h.last_job.id).toBe(lastId);
  });
});
