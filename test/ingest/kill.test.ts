/**
 * Atomicity: a real `guardrail ingest` child process killed with SIGKILL in the
 * middle of staging leaves the previous published partition intact and readable.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { spawn } from "node:child_process";
import { createWriteStream, existsSync } from "node:fs";
import { join, resolve } from "node:path";
import { once } from "node:events";
import { ingestFiles } from "../../src/ingest/pipeline.js";
import { defaultDatasetConfig } from "../../src/config/load.js";
import { openDb } from "../../src/store/db.js";
import { dayStatus } from "../../src/store/partitions.js";
import { days, event, ndjsonLine, ndjsonText, tmpDir, writeFile } from "./helpers.js";

const ROOT = resolve(__dirname, "../..");
const DS = "2024-05-01";

beforeAll(() => {
  expect(existsSync(join(ROOT, "lib/cli/index.js"))).toBe(true);
});

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

describe("ingest killed mid-way", () => {
  it("keeps the previous published partition intact and readable", async () => {
    const dir = tmpDir();
    const dbPath = join(dir, "g.db");
    const db = openDb(dbPath);
    const before = await ingestFiles(db, defaultDatasetConfig(), [writeFile(dir, "small.ndjson", ndjsonText(days(DS, 50)))]);
    expect(before.published).toBe(true);
    db.close();

    const big = join(dir, "big.ndjson");
    await writeBig(big, 300_000);
    const child = spawn(process.execPath, [join(ROOT, "bin/guardrail.js"), "ingest", big, "--db", dbPath, "--json"], {
      env: { ...process.env, GUARDRAIL_PROGRESS: "1" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stderr = "";
    const staged = await new Promise<number>((resolvePromise, reject) => {
      const deadline = setTimeout(() => reject(new Error(`no progress within 60 s: ${stderr}`)), 60_000);
      child.stderr.on("data", (d) => {
        stderr += String(d);
        // The latest progress line: the first can come before any row is counted.
        const m = [...stderr.matchAll(/reading\s+([\d,]+) rows/g)].at(-1);
        if (m && Number(m[1].replace(/,/g, "")) > 0) {
          clearTimeout(deadline);
          resolvePromise(Number(m[1].replace(/,/g, "")));
        }
      });
      child.on("exit", (code) => reject(new Error(`ingest ended (exit ${code}) before it could be killed: ${stderr}`)));
    });
    child.kill("SIGKILL");
    const [, signal] = await once(child, "exit");
    expect(signal).toBe("SIGKILL");
    expect(staged).toBeLessThan(300_000);

    const after = openDb(dbPath);
    try {
      expect(dayStatus(after, "default", DS)).toBe("published");
      const pub = after.prepare(`SELECT id FROM partitions WHERE ds = ? AND status = 'published'`).get(DS);
      expect(pub).toEqual({ id: before.batch_id });
      const rows = after.prepare(`SELECT COUNT(*) AS n FROM published_events WHERE ds = ?`).get(DS) as { n: number };
      expect(rows.n).toBe(50);
      // The killed attempt got as far as staging rows, and they stay invisible.
      const abandoned = after.prepare(`SELECT id FROM partitions WHERE ds = ? AND status = 'staged'`).all(DS) as { id: number }[];
      expect(abandoned.length).toBe(1);
      const stagedRows = after.prepare(`SELECT COUNT(*) AS n FROM fct_website_events WHERE batch_id = ?`).get(abandoned[0].id) as { n: number };
      expect(stagedRows.n).toBeGreaterThan(0);
      // The store is still writable: a new ingest of the day replaces the published batch.
      const again = await ingestFiles(after, defaultDatasetConfig(), [writeFile(dir, "again.ndjson", ndjsonText(days(DS, 70)))]);
      expect(again.published).toBe(true);
      expect(after.prepare(`SELECT COUNT(*) AS n FROM published_events WHERE ds = ?`).get(DS)).toEqual({ n: 70 });
    } finally {
      after.close();
    }
  }, 120_000);
});
