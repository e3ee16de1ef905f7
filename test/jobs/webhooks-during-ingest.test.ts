/**
 * docs/operations.md#under-load: while an upload is ingested by the real
 * child process (which writes the same SQLite file), every pull-request
 * webhook still yields its completed `guardrail` check run. Once, a write of
 * the webhook path (the PR's head) upgraded a read to a write and failed at
 * once with "database is locked" whenever the child held the lock, and those
 * checks were never written. Outcome only: no timing is asserted.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import nock from "nock";
import { readFileSync } from "node:fs";
import { spawn } from "node:child_process";
import { once } from "node:events";
import { createRequire } from "node:module";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { generateFixtures } from "../../src/fixtures/generate.js";
import { guardrailHandler } from "../../src/http/routes.js";
import { serviceFor } from "../../src/jobs/service.js";
import { recordRepo } from "../../src/store/repos.js";
import { getJob } from "../../src/store/jobs.js";
import { API, INSTALLATION, REPO, deliver, harness, prPayload, type Harness } from "../app/helpers.js";
import { INGEST, bearer, listen, requireLib, send } from "../support/service.js";

const DS = "2026-03-10";
const require = createRequire(import.meta.url);
let h: Harness;
let srv: Awaited<ReturnType<typeof listen>>;

beforeAll(async () => {
  requireLib();
  nock.disableNetConnect();
  nock.enableNetConnect("127.0.0.1");
  h = await harness(null);
  h.deps.ingestToken = INGEST;
  recordRepo(h.db, { repo: REPO, installationId: INSTALLATION, config: null });
  serviceFor(null, h.deps, { maxUploadBytes: 256 * 1024 * 1024, uploadIdleMs: 5000 });
  srv = await listen(guardrailHandler(null, h.deps));
}, 120_000);

afterAll(async () => {
  if (h) await serviceFor(null, h.deps).queue.idle();
  await srv?.close();
  nock.cleanAll();
  nock.enableNetConnect();
  h?.cleanup();
});

/** The stand-in GitHub (nock): no repo config; check runs created, then completed. Returns sha → conclusion of completed runs. */
function standInGitHub(): Map<string, string> {
  nock.cleanAll();
  const shaOf = new Map<number, string>();
  const completed = new Map<string, string>();
  let nextId = 1;
  nock(API).persist().get(/\/contents\//).reply(404, { message: "Not Found" });
  nock(API)
    .persist()
    .post(`/repos/${REPO}/check-runs`)
    .reply(201, (_uri, b: any) => {
      const id = nextId++;
      shaOf.set(id, b.head_sha);
      return { id, head_sha: b.head_sha };
    });
  nock(API)
    .persist()
    .patch(/\/repos\/acme\/shop\/check-runs\/\d+$/)
    .reply(200, (uri, b: any) => {
      const id = Number(/(\d+)$/.exec(uri)![1]);
      if (b.status === "completed" && b.conclusion) completed.set(shaOf.get(id)!, b.conclusion);
      return { id };
    });
  return completed;
}

let prNumber = 1000;
const nextSha = () => (++prNumber).toString(16).padStart(40, "0");

describe("webhooks during an ingest", () => {
  it("another process writing in short transactions, as the ingest child does, loses no webhook's check", async () => {
    const completed = standInGitHub();
    // A writer that holds the lock 50 ms at a time, 40 times, with a few ms between while it works on the
    // next rows: what a staging ingest looks like from outside (src/ingest/pipeline.ts, CHUNK_MS).
    const writer = spawn(
      process.execPath,
      [
        "-e",
        `const D = require(${JSON.stringify(require.resolve("better-sqlite3"))});
         const db = new D(${JSON.stringify(h.db.name)}); db.pragma("busy_timeout = 10000");
         db.exec("CREATE TABLE IF NOT EXISTS writer_filler (x BLOB)");
         for (let i = 0; i < 40; i++) { db.exec("BEGIN IMMEDIATE"); db.prepare("INSERT INTO writer_filler VALUES (randomblob(4096))").run();
           if (i === 0) require("fs").writeSync(1, "writing\\n");
           const t = Date.now() + 50; while (Date.now() < t); db.exec("COMMIT");
           const g = Date.now() + 10; while (Date.now() < g); }
`,
      ],
      { stdio: ["ignore", "pipe", "inherit"] },
    );
    let writing = true;
    const exited = new Promise<number | null>((resolve) => writer.on("exit", (code) => ((writing = false), resolve(code))));
    await once(writer.stdout!, "readable");
    const sent: string[] = [];
    // Webhooks answered while the writer still wrote: a write that waits for the lock inside SQLite
    // holds the event loop until the writer is done (its busy handler keeps missing the commits).
    let answeredWhileWriting = 0;
    while (writing) {
      const sha = nextSha();
      sent.push(sha);
      await deliver(h.probot, "pull_request", prPayload("synchronize", prNumber, sha));
      if (writing) answeredWhileWriting++;
    }
    expect(await exited).toBe(0);
    expect(answeredWhileWriting).toBeGreaterThanOrEqual(1);
    expect(h.logs.filter((l) => l.level === "error").map((l) => l.msg)).toEqual([]);
    expect(sent.filter((sha) => !completed.has(sha))).toEqual([]);
  }, 60_000);

  it("every pull_request webhook sent while the child ingests yields its completed check run", async () => {
    // Large enough that the child writes for many transactions while the webhooks arrive.
    const [fx] = await generateFixtures({ outDir: join(h.deps.db.name, "..", "fx"), days: 1, eventsPerDay: 150_000, end: DS, seed: 3 });
    const body = gzipSync(readFileSync(fx!.path));

    const completed = standInGitHub();

    const up = await send(srv.base, "POST", `/api/guardrail/exports?dataset=default&ds=${DS}`, { headers: bearer(INGEST), body });
    expect(up.status).toBe(202);
    const jobId = up.json().id as string;

    const sent: string[] = [];
    let whileRunning = 0;
    while (["queued", "running"].includes(getJob(h.db, jobId)!.state)) {
      const running = getJob(h.db, jobId)!.state === "running";
      const sha = nextSha();
      sent.push(sha);
      await deliver(h.probot, "pull_request", prPayload("opened", prNumber, sha));
      if (running && getJob(h.db, jobId)!.state === "running") whileRunning++;
    }
    await serviceFor(null, h.deps).queue.idle();
    expect(getJob(h.db, jobId)!.state).toBe("published");
    // The webhooks really overlapped the child's writing.
    expect(whileRunning).toBeGreaterThanOrEqual(3);

    const errors = h.logs.filter((l) => l.level === "error").map((l) => l.msg);
    expect(errors).toEqual([]);
    expect(sent.filter((sha) => !completed.has(sha))).toEqual([]);
    expect(completed.size).toBe(sent.length);
  }, 240_000);
});
