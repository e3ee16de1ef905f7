/**
 * docs/ingest.md#limits through the service: an upload past the line-length
 * or the decompressed-size cap ends as a *rejected* job (a failed audit whose
 * check names the cap), not a failed one; its result says which file line and
 * which setting, names "the upload" rather than a server path, and nothing is
 * published. Small caps come from the environment the ingest child inherits.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createGzip, gzipSync } from "node:zlib";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { createWriteStream, readFileSync } from "node:fs";
import { join } from "node:path";
import { generateFixtures } from "../../src/fixtures/generate.js";
import type { AppDeps } from "../../src/app/deps.js";
import { INGEST, bearer, send, startTestService, until, uploadsLeft, type TestService } from "../support/service.js";

const DS = "2026-03-10";
const CAPS = { GUARDRAIL_MAX_LINE_BYTES: String(64 * 1024), GUARDRAIL_MAX_DECOMPRESSED_BYTES: String(512 * 1024) };
const saved: Record<string, string | undefined> = {};
let dir: string;
let deps: AppDeps;
let srv: TestService["srv"];
let svc: TestService;

beforeAll(async () => {
  for (const [k, v] of Object.entries(CAPS)) {
    saved[k] = process.env[k];
    process.env[k] = v;
  }
  svc = await startTestService("upload-caps", { maxUploadBytes: 8 * 1024 * 1024, uploadIdleMs: 2000 });
  ({ dir, deps, srv } = svc);
}, 120_000);

afterAll(async () => {
  await svc?.close();
  for (const [k, v] of Object.entries(saved)) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
});

async function uploadAndWait(body: Buffer) {
  const r = await send(srv.base, "POST", `/api/guardrail/exports?dataset=default&ds=${DS}`, { headers: bearer(INGEST), body });
  expect(r.status).toBe(202);
  return until(async () => {
    const j = (await send(srv.base, "GET", `/api/guardrail/jobs/${r.json().id}`, { headers: bearer(INGEST) })).json();
    return ["published", "rejected", "failed"].includes(j.state) ? j : null;
  }, "the job to finish", 60_000);
}

const publishedDays = () => (deps.db.prepare(`SELECT COUNT(*) AS n FROM partitions WHERE status = 'published'`).get() as { n: number }).n;

describe("an upload past a cap is a rejected audit", () => {
  it("a gzip bomb of one endless line: rejected under line_length, naming line 1, the cap and its setting", async () => {
    // 8 MiB of one character and no newline, gzipped to a few KB.
    const chunks: Buffer[] = [];
    await pipeline(
      Readable.from((function* () {
        for (let i = 0; i < 8; i++) yield Buffer.alloc(1 << 20, 0x41);
      })()),
      createGzip({ level: 9 }),
      async function* (source) {
        for await (const c of source) chunks.push(c as Buffer);
      },
    );
    const bomb = Buffer.concat(chunks);
    expect(bomb.length).toBeLessThan(64 * 1024);
    const job = await uploadAndWait(bomb);
    expect(job.state, job.error).toBe("rejected");
    expect(job.error).toBeNull();
    const failed = job.result.checks.filter((c: { status: string }) => c.status === "fail");
    expect(failed).toEqual([
      expect.objectContaining({ name: "line_length", severity: "error", threshold: 64 * 1024, message: "the upload: line 1 is longer than 64 KiB (GUARDRAIL_MAX_LINE_BYTES); an event is one line of a few hundred bytes, so nothing was published." }),
    ]);
    expect(job.result).toMatchObject({ published: false, rows_loaded: 0 });
    expect(JSON.stringify(job.result)).not.toContain(dir);
    expect(publishedDays()).toBe(0);
    expect(uploadsLeft(dir)).toEqual([]);
  }, 90_000);

  it("a real export that inflates past the decompressed cap: rejected under decompressed_size", async () => {
    const [fx] = await generateFixtures({ outDir: join(dir, "fx"), days: 1, eventsPerDay: 3000, end: DS, seed: 5 });
    const text = readFileSync(fx!.path);
    expect(text.length).toBeGreaterThan(512 * 1024);
    const job = await uploadAndWait(gzipSync(text));
    expect(job.state, job.error).toBe("rejected");
    const failed = job.result.checks.filter((c: { status: string }) => c.status === "fail");
    expect(failed).toEqual([
      expect.objectContaining({
        name: "decompressed_size",
        threshold: 512 * 1024,
        message: expect.stringMatching(/^the upload: decompresses to more than 512 KiB \(GUARDRAIL_MAX_DECOMPRESSED_BYTES, by default 20× the upload limit\); nothing was published\./),
      }),
    ]);
    expect(publishedDays()).toBe(0);
    // Under the cap the same export publishes: the cap, not the data, refused it.
    process.env.GUARDRAIL_MAX_DECOMPRESSED_BYTES = String(64 * 1024 * 1024);
    const ok = await uploadAndWait(gzipSync(text));
    expect(ok.state, ok.error).toBe("published");
  }, 120_000);
});
