/** Every bad input: one clear line naming the file (and line), the right exit code, and the published day untouched. */
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { gzipSync } from "node:zlib";
import { main } from "../../src/cli/index.js";
import { openDb } from "../../src/store/db.js";
import { tmpDir, writeFile } from "./helpers.js";

const BAD = resolve(__dirname, "../../fixtures/bad");
const DS = "2024-05-01";

let out = "";
let err = "";
beforeEach(() => {
  out = "";
  err = "";
  vi.spyOn(process.stdout, "write").mockImplementation((s: string | Uint8Array) => ((out += String(s)), true));
  vi.spyOn(process.stderr, "write").mockImplementation((s: string | Uint8Array) => ((err += String(s)), true));
});
afterEach(() => vi.restoreAllMocks());

async function guardrail(...args: string[]): Promise<number> {
  out = "";
  err = "";
  return main(["node", "guardrail", ...args]);
}

/** A DB whose 2024-05-01 is already published from good.ndjson. */
async function withPublishedDay() {
  const dir = tmpDir();
  const db = join(dir, "g.db");
  expect(await guardrail("ingest", join(BAD, "good.ndjson"), "--db", db, "--json")).toBe(0);
  const first = JSON.parse(out);
  expect(first.published).toBe(true);
  return { dir, db, batch: first.batch_id as number };
}

function assertStillPublished(dbPath: string, batch: number) {
  const db = openDb(dbPath);
  try {
    const p = db.prepare(`SELECT id FROM partitions WHERE dataset = 'default' AND ds = ? AND status = 'published'`).get(DS);
    expect(p).toEqual({ id: batch });
    const rows = db.prepare(`SELECT CAST(logged_out_user_id AS TEXT) AS id FROM published_events WHERE ds = ? ORDER BY line`).all(DS);
    expect(rows).toEqual([{ id: "-8046132617624190000" }, { id: "9223372036854775807" }, { id: "-9223372036854775808" }, { id: "1234567890123456789" }]);
    // Nothing half-loaded is left staged.
    expect(db.prepare(`SELECT COUNT(*) AS n FROM partitions WHERE status = 'staged'`).get()).toEqual({ n: 0 });
  } finally {
    db.close();
  }
}

/** The error sentence: one line on stderr. */
function oneLine(): string {
  const lines = err.trim().split("\n");
  expect(lines.length).toBe(1);
  return lines[0];
}

describe("bad input", () => {
  it("malformed JSON line → exit 3 naming the file and line", async () => {
    const { db, batch } = await withPublishedDay();
    expect(await guardrail("ingest", join(BAD, "malformed-json.ndjson"), "--db", db, "--json")).toBe(3);
    const result = JSON.parse(out);
    expect(result).toMatchObject({ published: false, rows_read: 4, rows_loaded: 3, rows_rejected: 1 });
    expect(result.rejects_sample).toEqual([{ line: 3, reason: expect.stringMatching(/^malformed JSON/) }]);
    expect(oneLine()).toMatch(/NOT published.*row_format: 1 of 4 rows malformed.*first at malformed-json\.ndjson line 3/);
    assertStillPublished(db, batch);
  });

  it("a file of nothing but malformed lines → exit 3 with the audit sentence, rejects filed under the day", async () => {
    const { db, batch } = await withPublishedDay();
    const file = writeFile(tmpDir(), "all-bad.ndjson", '{"bad json\n{"also bad\n');
    expect(await guardrail("ingest", file, "--ds", DS, "--db", db, "--json")).toBe(3);
    expect(JSON.parse(out)).toMatchObject({ ds: DS, published: false, rows_read: 2, rows_loaded: 0, rows_rejected: 2 });
    expect(oneLine()).toMatch(/NOT published.*row_format: 2 of 2 rows malformed.*first at all-bad\.ndjson line 1/);
    assertStillPublished(db, batch);
  });

  it("CSV header missing a column → exit 2", async () => {
    const { db, batch } = await withPublishedDay();
    expect(await guardrail("ingest", join(BAD, "missing-column.csv"), "--db", db)).toBe(2);
    expect(oneLine()).toMatch(/missing-column\.csv: line 1: the CSV header lacks column\(s\) dim_country/);
    expect(out).toBe("");
    assertStillPublished(db, batch);
  });

  it("CSV row with a missing field → exit 3 naming line 3", async () => {
    const { db, batch } = await withPublishedDay();
    expect(await guardrail("ingest", join(BAD, "short-row.csv"), "--db", db)).toBe(3);
    expect(oneLine()).toMatch(/row_format: 1 of 2 rows .* first at short-row\.csv line 3/);
    expect(out).toMatch(/line 3: expected 9 columns as in the header, got 8/);
    assertStillPublished(db, batch);
  });

  it("wrong type → exit 3", async () => {
    const { db, batch } = await withPublishedDay();
    expect(await guardrail("ingest", join(BAD, "wrong-type.ndjson"), "--db", db, "--json")).toBe(3);
    expect(JSON.parse(out).rejects_sample).toEqual([{ line: 2, reason: "logged_out_user_id: expected a 64-bit integer (signed or unsigned) or a string of 1–128 characters, got 12.5." }]);
    expect(oneLine()).toMatch(/wrong-type\.ndjson line 2/);
    assertStillPublished(db, batch);
  });

  it("unknown action → exit 3 via action_enum", async () => {
    const { db, batch } = await withPublishedDay();
    expect(await guardrail("ingest", join(BAD, "unknown-action.ndjson"), "--db", db)).toBe(3);
    expect(oneLine()).toMatch(/action_enum: 1 of 3 rows with an unknown action_type .* first at unknown-action\.ndjson line 2/);
    expect(out).toMatch(/FAIL\s+action_enum/);
    assertStillPublished(db, batch);
  });

  it("empty file → exit 2", async () => {
    const { db, batch } = await withPublishedDay();
    expect(await guardrail("ingest", join(BAD, "empty.ndjson"), "--db", db, "--ds", DS)).toBe(2);
    expect(oneLine()).toMatch(/empty\.ndjson: contains no events/);
    assertStillPublished(db, batch);
  });

  it("truncated gzip → exit 2, nothing staged is left", async () => {
    const { dir, db, batch } = await withPublishedDay();
    const good = readFileSync(join(BAD, "good.ndjson"), "utf8");
    const gz = gzipSync(Buffer.from(good.repeat(50)));
    const file = writeFile(dir, "cut.ndjson.gz", "");
    const { writeFileSync } = await import("node:fs");
    writeFileSync(file, gz.subarray(0, Math.floor(gz.length * 0.6)));
    expect(await guardrail("ingest", file, "--db", db)).toBe(2);
    expect(oneLine()).toMatch(/cut\.ndjson\.gz: the gzip data is truncated or corrupt .* after line \d+\./);
    assertStillPublished(db, batch);
  });

  it("a file that does not exist → exit 2", async () => {
    const { db, batch } = await withPublishedDay();
    expect(await guardrail("ingest", join(BAD, "nope.ndjson"), "--db", db)).toBe(2);
    expect(oneLine()).toMatch(/nope\.ndjson: cannot read the file \(does it exist\?\)/);
    assertStillPublished(db, batch);
  });

  it("ds disagreements: rows vs path → exit 2; rows vs --ds → exit 3; bad --ds → exit 2", async () => {
    const { db, batch } = await withPublishedDay();
    const file = join(BAD, "ds=2024-05-02", "events.ndjson");
    expect(await guardrail("ingest", file, "--db", db)).toBe(2);
    expect(oneLine()).toMatch(/events\.ndjson: line 1: the rows say ds 2024-05-01 but the path says ds=2024-05-02; pass --ds/);
    expect(await guardrail("ingest", join(BAD, "good.ndjson"), "--db", db, "--ds", "2024-05-02")).toBe(3);
    expect(oneLine()).toMatch(/ds_consistency: 4 of 4 rows whose ds differs/);
    expect(await guardrail("ingest", join(BAD, "good.ndjson"), "--db", db, "--ds", "2024-13-01")).toBe(2);
    expect(oneLine()).toMatch(/--ds 2024-13-01: expected a date YYYY-MM-DD/);
    assertStillPublished(db, batch);
  });

  it("duplicate-heavy file → exit 3 with every repeat counted", async () => {
    const { db, batch } = await withPublishedDay();
    expect(await guardrail("ingest", join(BAD, "duplicate-heavy.ndjson"), "--db", db, "--json")).toBe(3);
    const r = JSON.parse(out);
    expect(r).toMatchObject({ rows_read: 8, rows_loaded: 4, rows_rejected: 4, duplicates: 4 });
    expect(r.rejects_sample.map((x: { line: number }) => x.line)).toEqual([3, 4, 6, 7]);
    expect(r.rejects_sample[2].reason).toMatch(/of line 2\./);
    expect(oneLine()).toMatch(/duplicates: 4 of 8 rows repeating an earlier event key .* first at duplicate-heavy\.ndjson line 3/);
    assertStillPublished(db, batch);
  });

  it("a row ds that is not a date → exit 2 naming the line and the value, not 'no ds'", async () => {
    const { dir, db, batch } = await withPublishedDay();
    const good = readFileSync(join(BAD, "good.ndjson"), "utf8").replaceAll('"2024-05-01"', '"05/01/2024"');
    const file = writeFile(dir, "events.ndjson", good);
    expect(await guardrail("ingest", file, "--db", db)).toBe(2);
    expect(oneLine()).toMatch(/events\.ndjson: line 1: ds "05\/01\/2024" is not a date YYYY-MM-DD between 2000-01-01 and 2100-12-31; fix the rows or pass --ds/);
    assertStillPublished(db, batch);
  });

  it("a misspelt checks.not_null column → exit 2 naming the config field, no row rejected as empty", async () => {
    const { dir, db, batch } = await withPublishedDay();
    const cfg = writeFile(dir, "guardrail.config.yml", "checks:\n  not_null:\n    columns: [dim_hostname, dim_contry]\n");
    expect(await guardrail("ingest", join(BAD, "good.ndjson"), "--db", db, "--config", cfg)).toBe(2);
    expect(oneLine()).toMatch(/checks\.not_null\.columns\[1\]: "dim_contry" is not a column \(expected one of .*dim_country/);
    assertStillPublished(db, batch);
  });

  it("an id beyond 64 bits written as a JSON number is quoted as written, not as JSON.parse rounded it", async () => {
    const dir = tmpDir();
    const db = join(dir, "g.db");
    const lines = readFileSync(join(BAD, "good.ndjson"), "utf8").trim().split("\n");
    lines[1] = lines[1].replace(/"logged_out_user_id":\s*-?\d+/, '"logged_out_user_id":123456789012345678901');
    const file = writeFile(dir, "big.ndjson", lines.join("\n") + "\n");
    expect(await guardrail("ingest", file, "--db", db, "--json")).toBe(3);
    expect(JSON.parse(out).rejects_sample).toEqual([
      { line: 2, reason: "logged_out_user_id: expected a 64-bit integer (signed or unsigned) or a string of 1–128 characters, got 123456789012345678901." },
    ]);
  });

  it("--json keeps stdout one JSON document; human output has a summary and a checks table", async () => {
    const dir = tmpDir();
    const db = join(dir, "g.db");
    expect(await guardrail("ingest", join(BAD, "good.ndjson"), "--db", db)).toBe(0);
    expect(out).toMatch(/^Published: dataset default, ds 2024-05-01/);
    expect(out).toMatch(/rows read 4, loaded 4, rejected 0/);
    expect(out).toMatch(/PASS\s+not_null\s+error/);
    expect(err).toBe("");
  });
});
