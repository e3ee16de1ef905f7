/**
 * An ingest child dies with its service, and a restarted service settles the
 * jobs its previous life left running from the partitions table: published if
 * the batch got published, failed (retryable) only if it did not.
 * The first test SIGKILLs a real service process mid-ingest, as
 * test/ingest/kill.test.ts does with the CLI.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { spawn, type ChildProcess } from "node:child_process";
import { createWriteStream, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { once } from "node:events";
import { join, resolve } from "node:path";
import { createInterface } from "node:readline";
import { openDb } from "../../src/store/db.js";
import { ingestFiles } from "../../src/ingest/pipeline.js";
import { defaultDatasetConfig } from "../../src/config/load.js";
import { startBackground } from "../../src/jobs/background.js";
import { serviceFor } from "../../src/jobs/service.js";
import type { FanOutEvent, FanOutTargets } from "../../src/jobs/fan-out.js";
import { getJob } from "../../src/store/jobs.js";
import { event, ndjsonLine, ndjsonText, days } from "../ingest/helpers.js";
import { INGEST, bearer, makeDeps, requireLib, send, tempDir, until } from "../support/service.js";

const ROOT = resolve(__dirname, "../..");
const DS = "2024-05-01";

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function writeBig(path: string, n: number): Promise<void> {
  const ws = createWriteStream(path);
  let buf = "";
  for (let i = 0; i < n; i++) {
    buf += ndjsonLine(event(i, DS)) + "\n";
    if (buf.length > 1 << 20) {
      if (!ws.write(buf)) await once(ws, "drain");
      buf = "";
    }
  }
  ws.end(buf);
  await once(ws, "finish");
}

/** Dataset-level fan-out steps that only record what they were told. */
function recordingTargets(seen: FanOutEvent[]): FanOutTargets<unknown> {
  return {
    repos: () => [],
    installationId: () => 0,
    label: () => "",
    repoSteps: [],
    datasetSteps: [{ name: "record", github: false, run: async (_o, e) => void seen.push(e) }],
  };
}

beforeAll(() => requireLib());

describe("service killed with SIGKILL during an ingest", () => {
  let service: ChildProcess | null = null;
  afterAll(() => {
    if (service && service.exitCode === null) service.kill("SIGKILL");
  });

  it("takes its ingest child down before it publishes, and the restart marks the job failed", async () => {
    const dir = tempDir("orphan");
    const dbPath = join(dir, "guardrail.db");
    openDb(dbPath).close();
    const big = join(dir, "big.ndjson");
    await writeBig(big, 300_000);

    service = spawn(process.execPath, [join(ROOT, "test/jobs/service-process.mjs"), dbPath], {
      env: { ...process.env, GUARDRAIL_INGEST_TOKEN: INGEST },
      stdio: ["ignore", "pipe", "inherit"],
    });
    const [line] = (await once(createInterface({ input: service.stdout! }), "line")) as [string];
    const base = `http://127.0.0.1:${JSON.parse(line).port}`;
    const up = await send(base, "POST", `/api/guardrail/exports?dataset=default&ds=${DS}`, { headers: bearer(INGEST), body: readFileSync(big) });
    expect(up.status).toBe(202);
    const jobId = up.json().id as string;

    // Wait until the child has a staged batch: it is mid-ingest.
    const db = openDb(dbPath);
    const owner = await until(
      () => (db.prepare(`SELECT owner_pid FROM partitions WHERE ds = ? AND status = 'staged'`).get(DS) as { owner_pid: number } | undefined)?.owner_pid,
      "the ingest child to stage its batch",
      60_000,
    );
    expect(owner).not.toBe(service.pid);
    service.kill("SIGKILL");
    await once(service, "exit");
    await until(() => !alive(owner), "the orphaned ingest child to exit", 60_000);

    // Nothing was published behind the dead service's back.
    expect(db.prepare(`SELECT COUNT(*) AS n FROM partitions WHERE ds = ? AND status = 'published'`).get(DS)).toEqual({ n: 0 });
    expect(getJob(db, jobId)!.state).toBe("running");

    // The restart: the job's batch never published, so the job fails, retryable.
    const deps = makeDeps(dir);
    const stop = startBackground(null, deps, { targets: recordingTargets([]) });
    await serviceFor(null, deps).recovered;
    const job = getJob(deps.db, jobId)!;
    expect(job.state).toBe("failed");
    expect(job.error).toMatch(/nothing was published/);
    expect(job.file_path && existsSync(job.file_path)).toBeTruthy();
    stop();
    deps.db.close();
    db.close();
  }, 180_000);
});

describe("restart after the child published", () => {
  it("marks the job published from its batch and runs the after-publish work", async () => {
    const dir = tempDir("recover-published");
    const deps = makeDeps(dir);
    const id = "aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee";
    mkdirSync(join(dir, "uploads"), { recursive: true });
    const file = join(dir, "uploads", `${id}.upload`);
    writeFileSync(file, ndjsonText(days(DS, 40)));
    const started = new Date(Date.now() - 1000).toISOString();
    deps.db
      .prepare(`INSERT INTO jobs (id, dataset, ds, state, file_path, bytes, attempts, created_at, started_at) VALUES (?, 'default', ?, 'running', ?, 1, 1, ?, ?)`)
      .run(id, DS, file, started, started);
    // What the child did before the service died: published the upload's batch.
    const r = await ingestFiles(deps.db, defaultDatasetConfig(), [file], { ds: DS });
    expect(r.published).toBe(true);

    const seen: FanOutEvent[] = [];
    const stop = startBackground(null, deps, { targets: recordingTargets(seen) });
    await serviceFor(null, deps).recovered;
    await serviceFor(null, deps).queue.idle();
    const job = getJob(deps.db, id)!;
    expect(job.state).toBe("published");
    expect(job.error).toBeNull();
    expect(JSON.parse(job.result_json!).rows_loaded).toBe(40);
    expect(existsSync(file)).toBe(false);
    expect(seen.map((e) => [e.kind, e.ds])).toEqual([["published", DS]]);
    stop();
    deps.db.close();
  });
});
