/**
 * writeWhenFree (src/store/busy.ts): while another connection holds the write
 * lock, the write waits without holding the event loop, then runs; past its
 * wait it fails with SQLITE_BUSY and one sentence, having written nothing.
 */
import { afterEach, describe, expect, it } from "vitest";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openDb, type DB } from "../../src/store/db.js";
import { writeWhenFree } from "../../src/store/busy.js";

const open: DB[] = [];
afterEach(() => {
  for (const db of open.splice(0)) db.close();
});

function twoConnections(): { mine: DB; other: DB } {
  const path = join(mkdtempSync(join(tmpdir(), "guardrail-busy-")), "g.db");
  const mine = openDb(path);
  mine.exec("CREATE TABLE t (v INTEGER)");
  const other = openDb(path);
  open.push(mine, other);
  return { mine, other };
}

const rows = (db: DB) => (db.prepare("SELECT COUNT(*) AS n FROM t").get() as { n: number }).n;

describe("writeWhenFree", () => {
  it("waits for another writer without holding the event loop, then writes", async () => {
    const { mine, other } = twoConnections();
    other.exec("BEGIN IMMEDIATE");
    other.prepare("INSERT INTO t VALUES (1)").run();
    const write = writeWhenFree(mine, () => mine.prepare("INSERT INTO t VALUES (2)").run());
    let settled = false;
    void write.then(() => (settled = true));
    // The event loop turns while the lock is held elsewhere: a timer runs, the write waits.
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect(settled).toBe(false);
    expect(mine.inTransaction).toBe(false);
    other.exec("COMMIT");
    await write;
    expect(rows(mine)).toBe(2);
    // SQLite's own wait is back in place for every other write.
    expect(mine.pragma("busy_timeout", { simple: true })).toBe(10000);
  });

  it("gives up after its wait with SQLITE_BUSY and a sentence, having written nothing", async () => {
    const { mine, other } = twoConnections();
    other.exec("BEGIN IMMEDIATE");
    other.prepare("INSERT INTO t VALUES (1)").run();
    await expect(writeWhenFree(mine, () => mine.prepare("INSERT INTO t VALUES (2)").run(), 30)).rejects.toMatchObject({
      code: "SQLITE_BUSY",
      message: "the database stayed locked by another writer for 30 ms",
    });
    other.exec("ROLLBACK");
    expect(rows(mine)).toBe(0);
  });
});
