/** Two processes opening a fresh database at once must not both apply the same migration. */
import { describe, expect, it } from "vitest";
import { join } from "node:path";
import { migrate, openDb, schemaVersion, type DB } from "../../src/store/db.js";
import { MIGRATIONS } from "../../src/store/migrations/index.js";
import { tmpDir } from "../ingest/helpers.js";

describe("migrate", () => {
  it("skips a migration another connection applied after this one read the version", () => {
    const path = join(tmpDir(), "g.db");
    const first = openDb(path); // the other process: migrates the file fully
    const latest = Math.max(...MIGRATIONS.map((m) => m.version));
    expect(schemaVersion(first)).toBe(latest);
    // This connection read user_version = 0 before the other one committed (a stale first read).
    const raw = (first as unknown as { constructor: new (p: string) => DB }).constructor;
    const late = new raw(path);
    let stale = true;
    const racing = new Proxy(late, {
      get(target, prop) {
        const v = Reflect.get(target, prop, target) as unknown;
        if (prop === "pragma")
          return (sql: string, opts?: { simple?: boolean }) => {
            if (stale && sql === "user_version" && opts?.simple) {
              stale = false;
              return 0;
            }
            return target.pragma(sql, opts);
          };
        return typeof v === "function" ? (v as (...a: unknown[]) => unknown).bind(target) : v;
      },
    });
    expect(() => migrate(racing)).not.toThrow();
    expect(schemaVersion(late)).toBe(latest);
    const tables = late.prepare(`SELECT COUNT(*) AS n FROM sqlite_master WHERE name = 'partitions'`).get();
    expect(tables).toEqual({ n: 1 });
    late.close();
    first.close();
  });
});
