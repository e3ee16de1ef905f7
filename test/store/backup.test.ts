/**
 * Backups of a WAL database: the online backup holds what is still only in
 * the -wal file (a plain copy of the main file would not), the copy passes
 * integrity_check, restore refuses while a service holds the database, and a
 * schema upgrade first writes `<db>.bak-<version>`.
 */
import { describe, expect, it } from "vitest";
import Database from "better-sqlite3";
import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { openDb, schemaVersion } from "../../src/store/db.js";
import { MIGRATIONS } from "../../src/store/migrations/index.js";
import { leasePath } from "../../src/store/lease.js";
import { startBackground } from "../../src/jobs/background.js";
import { makeDeps, tempDir } from "../support/service.js";
import { runCli } from "../support/run-cli.js";

const LATEST = Math.max(...MIGRATIONS.map((m) => m.version));
const noTargets = { repos: () => [], installationId: () => 0, label: () => "", repoSteps: [], datasetSteps: [] };

function addJobs(db: Database.Database, n: number, from = 0): void {
  const stmt = db.prepare(`INSERT INTO jobs (id, dataset, ds, state, bytes, created_at) VALUES (?, 'default', '2026-03-10', 'published', 1, '2026-03-10T00:00:00Z')`);
  db.transaction(() => {
    for (let i = from; i < from + n; i++) stmt.run(`job-${i}`);
  })();
}
const jobCount = (path: string) => {
  const db = new Database(path, { readonly: true });
  try {
    return (db.prepare(`SELECT COUNT(*) AS n FROM jobs`).get() as { n: number }).n;
  } finally {
    db.close();
  }
};

describe("guardrail backup", () => {
  it("copies what is still only in the WAL, verifies the copy, and never overwrites a file", async () => {
    const dir = tempDir("backup");
    const path = join(dir, "guardrail.db");
    const db = openDb(path);
    db.pragma("wal_autocheckpoint = 0"); // the rows stay in guardrail.db-wal, as under a busy service
    addJobs(db, 500);
    // What an unsafe `cp guardrail.db` would give: the main file without the WAL.
    copyFileSync(path, join(dir, "plain-copy.db"));
    expect(() => jobCount(join(dir, "plain-copy.db"))).toThrow(/no such table/);

    const to = join(dir, "nightly.db");
    const r = await runCli(["backup", "--db", path, "--to", to, "--json"]);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out).toMatchObject({ to, integrity: "ok", schema_version: LATEST });
    expect(jobCount(to)).toBe(500);
    expect(existsSync(`${to}.partial`)).toBe(false);

    const again = await runCli(["backup", "--db", path, "--to", to]);
    expect(again.code).toBe(2);
    expect(again.stderr).toContain("the file exists; choose a new name");
    db.close();
  });
});

describe("guardrail restore", () => {
  it("refuses while a service holds the database, restores once it stopped", async () => {
    const dir = tempDir("restore");
    const deps = makeDeps(dir);
    const path = deps.db.name;
    addJobs(deps.db, 10);
    const to = join(dir, "before.db");
    expect((await runCli(["backup", "--db", path, "--to", to])).code).toBe(0);
    addJobs(deps.db, 5, 10); // work done after the backup, which the restore rolls back

    const stop = startBackground(null, deps, { targets: noTargets });
    expect(JSON.parse(readFileSync(leasePath(path), "utf8")).pid).toBe(process.pid);
    const refused = await runCli(["restore", to, "--db", path]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/the Guardrail service \(pid \d+ on .*\) holds this database; stop it before restoring/);
    expect(jobCount(path)).toBe(15);

    stop();
    deps.db.close();
    expect(existsSync(leasePath(path))).toBe(false);
    const ok = await runCli(["restore", to, "--db", path, "--json"]);
    expect(ok.code).toBe(0);
    expect(jobCount(path)).toBe(10);
  });

  it("refuses when the lease cannot be read, instead of taking it for a free database", async () => {
    const dir = tempDir("restore-lease");
    const path = join(dir, "g.db");
    const db = openDb(path);
    addJobs(db, 3);
    db.close();
    const to = join(dir, "before.db");
    expect((await runCli(["backup", "--db", path, "--to", to])).code).toBe(0);
    addJobs(new Database(path), 2, 3);
    mkdirSync(leasePath(path)); // something unreadable where the lease belongs
    const r = await runCli(["restore", to, "--db", path]);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
    expect(r.stderr).toMatch(/g\.db\.service: cannot read the service's lease file \(EISDIR/);
    expect(jobCount(path)).toBe(5);
  });

  it("refuses a file that is not a database", async () => {
    const dir = tempDir("restore-bad");
    const bad = join(dir, "notes.txt");
    writeFileSync(bad, "not sqlite at all, just some text that is long enough to have a header".repeat(10));
    const r = await runCli(["restore", bad, "--db", join(dir, "g.db")]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/notes\.txt: not a SQLite database/);
  });
});

describe("schema upgrades", () => {
  function olderDb(path: string): void {
    const db = new Database(path);
    db.pragma("journal_mode = WAL");
    for (const m of MIGRATIONS.slice(0, -1)) {
      db.exec(m.sql);
      db.pragma(`user_version = ${m.version}`);
    }
    db.prepare(`INSERT INTO jobs (id, dataset, ds, state, bytes, created_at) VALUES ('old', 'default', '2026-03-10', 'published', 1, 'x')`).run();
    db.close();
  }

  it("writes <db>.bak-<version> before a migration changes the schema", () => {
    const dir = tempDir("upgrade");
    const path = join(dir, "guardrail.db");
    olderDb(path);
    const db = openDb(path);
    expect(schemaVersion(db)).toBe(LATEST);
    db.close();
    const bak = `${path}.bak-${LATEST - 1}`;
    expect(existsSync(bak)).toBe(true);
    const copy = new Database(bak, { readonly: true });
    expect(copy.pragma("user_version", { simple: true })).toBe(LATEST - 1);
    expect(copy.prepare(`SELECT id FROM jobs`).all()).toEqual([{ id: "old" }]);
    copy.close();
    // Opening an up-to-date database writes nothing more.
    openDb(path).close();
    expect(existsSync(`${path}.bak-${LATEST}`)).toBe(false);
  });

  it("guardrail migrate --no-backup skips the copy; a new database never needs one", async () => {
    const dir = tempDir("upgrade-nobak");
    const path = join(dir, "guardrail.db");
    olderDb(path);
    const r = await runCli(["migrate", "--db", path, "--no-backup", "--json"]);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ schema_version: LATEST, pending: [] });
    expect(existsSync(`${path}.bak-${LATEST - 1}`)).toBe(false);
    openDb(join(dir, "fresh.db")).close();
    expect(existsSync(join(dir, "fresh.db.bak-0"))).toBe(false);
  });
});
