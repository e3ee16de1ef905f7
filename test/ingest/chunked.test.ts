/**
 * The parallel parse of a large plain NDJSON file (two parse workers, chunks
 * put back in file order) must store exactly what the in-thread ingest
 * stores: line numbers across chunk borders, duplicates whose first
 * occurrence is in another chunk, rejects, dictionary codes, the checksum.
 * Small chunks (GUARDRAIL_INGEST_CHUNK_BYTES) make a small file take that path.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { ingestFiles } from "../../src/ingest/pipeline.js";
import { defaultDatasetConfig } from "../../src/config/load.js";
import { openDb, type DB } from "../../src/store/db.js";
import { days, event, ndjsonLine, storedDay as dump, tmpDir, writeFile } from "./helpers.js";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const DS = "2024-05-01";
const cfg = defaultDatasetConfig();


describe("parallel parse of one large NDJSON file (compiled workers)", () => {
  let lib: typeof import("../../src/ingest/pipeline.js");
  let openLibDb: typeof openDb;
  beforeAll(async () => {
    expect(existsSync(join(ROOT, "lib/ingest/chunked.js"))).toBe(true);
    lib = await import(pathToFileURL(join(ROOT, "lib/ingest/pipeline.js")).href);
    openLibDb = ((await import(pathToFileURL(join(ROOT, "lib/store/db.js")).href)) as typeof import("../../src/store/db.js")).openDb;
    process.env.GUARDRAIL_INGEST_CHUNK_BYTES = "8192";
  });
  afterAll(() => {
    delete process.env.GUARDRAIL_INGEST_CHUNK_BYTES;
  });

  it("stores exactly what the in-thread ingest stores, across many chunks", async () => {
    const dir = tmpDir();
    const lines = days(DS, 2500).map(ndjsonLine);
    lines.splice(100, 0, "{not json", "", "   ");
    lines.splice(1800, 0, lines[20], lines[21]); // duplicates of rows many chunks earlier
    lines.splice(1500, 0, lines[1499]); // a duplicate of the line before it: same chunk, same block
    lines.splice(2200, 0, ndjsonLine(event(9, DS, { action_type: "teleport" })));
    lines.splice(900, 0, ndjsonLine(event(7, DS, { other_properties: { event_id: "long", url: "x".repeat(20_000) } }))); // a line longer than a chunk
    // A block larger than a parse worker's shared slot (chunk + 64 KB) moves to buffers of its own.
    lines.splice(1200, 0, ndjsonLine(event(8, DS, { other_properties: { event_id: "longer", url: "y".repeat(100_000) } })));
    const text = "\ufeff" + lines.join("\r\n"); // BOM, CRLF, no final newline
    const file = writeFile(dir, "day.ndjson", text);
    expect(Buffer.byteLength(text)).toBeGreaterThan(4 * 8192);

    // This file takes the parallel path (a gzip of it would not).
    const { startChunked } = (await import(pathToFileURL(join(ROOT, "lib/ingest/chunked.js")).href)) as typeof import("../../src/ingest/chunked.js");
    const script = pathToFileURL(join(ROOT, "lib/ingest/worker.js"));
    const init = { cfg, files: [file], pathDs: null };
    const handle = startChunked(script, init, () => undefined);
    expect(handle).not.toBeNull();
    handle!.stop();
    expect(startChunked(script, { ...init, files: [writeFile(dir, "day.ndjson.gz", text, true)] }, () => undefined)).toBeNull();

    const a = openDb(join(tmpDir(), "a.db"));
    const inThread = await ingestFiles(a, cfg, [file]);
    const b = openLibDb(join(tmpDir(), "b.db"));
    const parallel = await lib.ingestFiles(b, cfg, [file]);

    expect(parallel.duplicates).toBe(3);
    expect(parallel.rows_rejected).toBe(5);
    expect(parallel.rows_read).toBe(2500 + 7); // blank lines are not rows
    const strip = (r: typeof inThread) => ({ ...r, timings: null, batch_id: null });
    expect(strip(parallel)).toEqual(strip(inThread));
    expect(dump(b)).toEqual(dump(a));
    const sha = createHash("sha256").update(readFileSync(file)).digest("hex");
    expect((b.prepare(`SELECT checksum FROM partitions`).get() as { checksum: string }).checksum).toBe(sha);
    // Line numbers are the file's: the duplicate names the line of its first occurrence.
    const dups = b.prepare(`SELECT line, reason FROM rejects WHERE reason LIKE 'duplicate%' ORDER BY line`).all() as { line: number; reason: string }[];
    expect(dups).toHaveLength(3);
    for (const d of dups) {
      const first = Number(/of line (\d+)\.$/.exec(d.reason)?.[1]);
      expect(first).toBeLessThan(d.line);
      expect(lines[d.line - 1]).toBe(lines[first - 1]);
    }
    // One repeats the line just before it (same chunk, same block), two repeat lines many chunks earlier.
    expect(dups.map((d) => d.line - Number(/of line (\d+)\.$/.exec(d.reason)?.[1]) === 1)).toContain(true);
    expect(dups.filter((d) => d.reason.endsWith("of line 21.") || d.reason.endsWith("of line 22."))).toHaveLength(2);
  }, 60_000);

  it("counts opaque and unsigned ids exactly when two workers parse the file", async () => {
    const dir = tmpDir();
    // 600 visitors of mixed id forms, each with several events spread over the file (so over many chunks and batches).
    const idOf = (k: number) =>
      k % 3 === 0 ? `cookie-${k}.${"z".repeat(k % 50)}` : k % 3 === 1 ? (18446744073709551615n - BigInt(k)).toString() : String(-k);
    const lines: string[] = [];
    for (let i = 0; i < 3000; i++) lines.push(ndjsonLine(event(i, DS, { logged_out_user_id: idOf(i % 600), user_id: i % 7 === 0 ? idOf(i % 600) : null })));
    const file = writeFile(dir, "ids.ndjson", lines.join("\n") + "\n");
    expect(Buffer.byteLength(lines.join("\n"))).toBeGreaterThan(8 * 8192);
    const a = openDb(join(tmpDir(), "a.db"));
    const inThread = await ingestFiles(a, cfg, [file]);
    const b = openLibDb(join(tmpDir(), "b.db"));
    const parallel = await lib.ingestFiles(b, cfg, [file]);
    expect(parallel.rows_loaded).toBe(3000);
    expect(dump(b)).toEqual(dump(a));
    const daily = b.prepare(`SELECT SUM(m_unique_visitors) AS n FROM agg_website_events WHERE aggregation_level = 'daily'`).get() as { n: number };
    const exact = b.prepare(`SELECT COUNT(*) AS n FROM (SELECT DISTINCT action_type, logged_out_user_id FROM fct_website_events)`).get() as { n: number };
    expect(daily.n).toBe(exact.n);
    expect(inThread.rows_loaded).toBe(3000);
  }, 60_000);

  it("decodes large chunks in pieces without splitting a line or a UTF-8 character", async () => {
    process.env.GUARDRAIL_INGEST_CHUNK_BYTES = String(256 * 1024); // several 64 KB pieces per chunk
    try {
      const dir = tmpDir();
      // Multi-byte characters everywhere, so piece borders fall next to them; no final newline.
      const lines = days(DS, 5000).map((e, i) =>
        ndjsonLine({ ...e, other_properties: { ...(e.other_properties as object), note: "é€😀".repeat(1 + (i % 7)) } }),
      );
      const text = lines.join("\n");
      expect(Buffer.byteLength(text)).toBeGreaterThan(4 * 256 * 1024);
      const file = writeFile(dir, "day.ndjson", text);
      const a = openDb(join(tmpDir(), "a.db"));
      const inThread = await ingestFiles(a, cfg, [file]);
      const b = openLibDb(join(tmpDir(), "b.db"));
      const parallel = await lib.ingestFiles(b, cfg, [file]);
      expect(parallel.rows_loaded).toBe(5000);
      expect({ ...parallel, timings: null, batch_id: null }).toEqual({ ...inThread, timings: null, batch_id: null });
      expect(dump(b)).toEqual(dump(a));
    } finally {
      process.env.GUARDRAIL_INGEST_CHUNK_BYTES = "8192";
    }
  }, 60_000);

  it("leaves a ds conflict between the rows and the path to the one-producer path, which words it", async () => {
    const dir = join(tmpDir(), "ds=2024-05-02");
    mkdirSync(dir);
    const file = writeFile(dir, "day.ndjson", days(DS, 600).map(ndjsonLine).join("\n") + "\n");
    const b = openLibDb(join(tmpDir(), "b.db"));
    await expect(lib.ingestFiles(b, cfg, [file])).rejects.toThrow(/line 1: the rows say ds 2024-05-01 but the path says ds=2024-05-02/);
  }, 60_000);
});
