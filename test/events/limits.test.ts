/**
 * Decompressed size and line length are capped: a small gzip bomb is refused
 * within a moment with one sentence, and nothing is published.
 */
import { afterEach, describe, expect, it } from "vitest";
import { createWriteStream, statSync } from "node:fs";
import { once } from "node:events";
import { join } from "node:path";
import { createGzip, gzipSync } from "node:zlib";
import { pipeline } from "node:stream/promises";
import { Readable } from "node:stream";
import { openDb } from "../../src/store/db.js";
import { inputLimitsFromEnv } from "../../src/events/limits.js";
import { days, ndjsonText, tmpDir, writeFile } from "../ingest/helpers.js";
import { runCli } from "../support/run-cli.js";

const DS = "2024-05-01";
const saved = { ...process.env };
afterEach(() => {
  for (const k of ["GUARDRAIL_MAX_DECOMPRESSED_BYTES", "GUARDRAIL_MAX_LINE_BYTES", "GUARDRAIL_MAX_UPLOAD_BYTES"]) {
    if (saved[k] === undefined) delete process.env[k];
    else process.env[k] = saved[k];
  }
});

/** A real gzip bomb: `mib` MiB of zeros without a newline, compressed to about a thousandth of that. */
async function zeroBomb(path: string, mib: number): Promise<void> {
  const zeros = Buffer.alloc(1 << 20, 0x30);
  let left = mib;
  const src = new Readable({
    read() {
      this.push(left-- > 0 ? zeros : null);
    },
  });
  await pipeline(src, createGzip({ level: 9 }), createWriteStream(path));
}

const published = (dbPath: string) => {
  const db = openDb(dbPath);
  try {
    return (db.prepare(`SELECT COUNT(*) AS n FROM partitions WHERE status = 'published'`).get() as { n: number }).n;
  } finally {
    db.close();
  }
};

describe("input limits", () => {
  it("defaults: 20× the upload limit decompressed, 1 MiB a line", () => {
    expect(inputLimitsFromEnv({})).toEqual({ maxDecompressedBytes: 40 * 1024 ** 3, maxLineBytes: 1024 ** 2 });
    expect(inputLimitsFromEnv({ GUARDRAIL_MAX_UPLOAD_BYTES: "1000" }).maxDecompressedBytes).toBe(20_000);
  });

  it("a gzip bomb of one endless line is refused at the line cap", async () => {
    const dir = tmpDir();
    const bomb = join(dir, "bomb.ndjson.gz");
    await zeroBomb(bomb, 16);
    expect(statSync(bomb).size).toBeLessThan(50_000);
    const db = join(dir, "g.db");
    const r = await runCli(["ingest", bomb, "--ds", DS, "--db", db, "--json"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/bomb\.ndjson\.gz: line 1 is longer than 1 MiB \(GUARDRAIL_MAX_LINE_BYTES\) with no line end; .*nothing was published\./);
    expect(published(db)).toBe(0);
  });

  it("a file that inflates past the decompressed cap is refused with one sentence", async () => {
    const dir = tmpDir();
    // Valid, highly repetitive events: 3 MB of text in a few KB of gzip.
    const text = ndjsonText(days(DS, 12_000));
    expect(text.length).toBeGreaterThan(2 * 1024 ** 2);
    const file = join(dir, "big.ndjson.gz");
    const ws = createWriteStream(file);
    ws.end(gzipSync(text));
    await once(ws, "finish");
    process.env.GUARDRAIL_MAX_DECOMPRESSED_BYTES = String(1024 ** 2);
    const db = join(dir, "g.db");
    const r = await runCli(["ingest", file, "--ds", DS, "--db", db, "--json"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/big\.ndjson\.gz: decompresses to more than 1 MiB \(GUARDRAIL_MAX_DECOMPRESSED_BYTES, by default 20× the upload limit\); nothing was published\./);
    expect(published(db)).toBe(0);
    // Under the cap the same file loads.
    process.env.GUARDRAIL_MAX_DECOMPRESSED_BYTES = String(64 * 1024 ** 2);
    const ok = await runCli(["ingest", file, "--ds", DS, "--db", db, "--json"]);
    expect(ok.code).toBe(0);
  });

  it("a CSV record past the line cap is refused, as is an aggregate export's", async () => {
    const dir = tmpDir();
    process.env.GUARDRAIL_MAX_LINE_BYTES = "4096";
    const header = "logged_out_user_id,dim_hostname,dim_country,action_type,event_timestamp,other_properties\n";
    const csv = writeFile(dir, "long.csv", header + `1,www.example.com,DE,page_visit,2024-05-01T10:00:00Z,"${"x".repeat(10_000)}"\n`);
    const r = await runCli(["ingest", csv, "--ds", DS, "--db", join(dir, "g.db"), "--json"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/long\.csv: line \d+ is longer than 4 KiB \(GUARDRAIL_MAX_LINE_BYTES\)/);
    const agg = writeFile(dir, "agg.ndjson", `{"ds":"${DS}","x":"${"y".repeat(10_000)}"}\n`);
    const a = await runCli(["ingest-agg", agg, "--ds", DS, "--db", join(dir, "g2.db"), "--json"]);
    expect(a.code).toBe(2);
    expect(a.stderr).toMatch(/agg\.ndjson: line 1 is longer than 4 KiB/);
  });
});
