/**
 * `guardrail evaluate` alerts on stale data through the chat webhook (a real
 * HTTP server on 127.0.0.1): once while it lasts, and once when fresh data
 * closes it. stdout stays the evaluation alone.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import fs from "node:fs";
import path from "node:path";
import { startChatHook, type ChatHook } from "../support/chat-hook.js";
import { openDb } from "../../src/store/db.js";
import { addDays } from "../../src/shared/dates.js";
import { insertBatch, normalDay, publishDay, smallConfigInput, tempDb } from "../evaluate/helpers.js";
import { insertChecks } from "../../src/store/partitions.js";
import { runCli as run } from "../support/run-cli.js";

const today = new Date().toISOString().slice(0, 10);
const OLD = addDays(today, -6);

describe("guardrail evaluate: stale-data chat alert", () => {
  let chat: ChatHook;
  let url: string;
  let messages: any[];
  let dir: string;
  let dbFile: string;
  const savedNotify = process.env.GUARDRAIL_NOTIFY_URL;

  beforeEach(async () => {
    chat = await startChatHook("/services/T1/B1/very-secret-token");
    ({ url, messages } = chat);
    const t = tempDb();
    dir = t.dir;
    dbFile = t.file;
    for (let w = 0; w <= 4; w++) publishDay(t.db, addDays(OLD, -7 * w), normalDay());
    t.db.close();
    delete process.env.GUARDRAIL_NOTIFY_URL;
  });

  afterEach(async () => {
    if (savedNotify === undefined) delete process.env.GUARDRAIL_NOTIFY_URL;
    else process.env.GUARDRAIL_NOTIFY_URL = savedNotify;
    await chat.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("posts one stale alert while the data is old, none on a re-run, and a resolution once fresh data is published", async () => {
    const config = path.join(dir, "guardrail.config.yml");
    fs.writeFileSync(config, `notify_url: ${url}\n`);
    const first = await run(["evaluate", "--db", dbFile, "--config", config, "--json"]);
    expect(first.code).toBe(3); // stale → no_data
    expect(JSON.parse(first.stdout).status).toBe("no_data"); // stdout is the evaluation alone
    expect(messages).toHaveLength(1);
    expect(messages[0].text).toContain("stale");
    expect(messages[0].text).toContain(OLD);
    expect(Array.isArray(messages[0].blocks)).toBe(true);
    expect(first.stderr).not.toContain("very-secret-token");

    const again = await run(["evaluate", "--db", dbFile, "--config", config, "--json"]);
    expect(again.code).toBe(3);
    expect(messages).toHaveLength(1); // the channel already knows

    const db = openDb(dbFile);
    publishDay(db, addDays(today, -1), normalDay());
    db.close();
    const fresh = await run(["evaluate", "--db", dbFile, "--config", config]);
    expect(fresh.code).not.toBe(2); // a day without a baseline is no_data (3); the point here is the message
    expect(messages).toHaveLength(2);
    expect(messages[1].text).not.toBe(messages[0].text);
    expect(JSON.stringify(messages[1])).toMatch(/no longer stale|fresh|resolved/i);
  });

  it("uses GUARDRAIL_NOTIFY_URL when the config names no webhook, and stays quiet without one", async () => {
    const quiet = await run(["evaluate", "--db", dbFile, "--json"]);
    expect(quiet.code).toBe(3);
    expect(messages).toHaveLength(0);

    process.env.GUARDRAIL_NOTIFY_URL = url;
    const loud = await run(["evaluate", "--db", dbFile, "--json"]);
    expect(loud.code).toBe(3);
    expect(messages).toHaveLength(1);
    expect(messages[0].text).toContain("stale");
  });
});

describe("guardrail evaluate: breach chat alert", () => {
  it("posts a breach of the newest day once, nothing for an older day, the recovery once the day passes, and a failed audit of a newer export", async () => {
    const chat = await startChatHook();
    const { url, messages } = chat;
    const t = tempDb();
    try {
      const config = path.join(t.dir, "guardrail.config.yml");
      fs.writeFileSync(config, JSON.stringify(smallConfigInput({ notify_url: url }))); // JSON is YAML
      const day = addDays(today, -1);
      for (let w = 1; w <= 5; w++) publishDay(t.db, addDays(day, -7 * w), normalDay());
      publishDay(t.db, day, normalDay(10_000, 0.02)); // signup conversion halved
      const args = ["evaluate", "--db", t.file, "--config", config, "--json"];

      const breach = await run(args);
      expect(breach.code).toBe(1);
      expect(messages).toHaveLength(1);
      expect(JSON.stringify(messages[0])).toContain("signup_conversion_rate");
      expect((await run(args)).code).toBe(1);
      expect(messages).toHaveLength(1); // the channel already knows

      expect((await run([...args, "--ds", addDays(day, -7)])).code).toBe(0);
      expect(messages).toHaveLength(1); // history: an older day tells nobody

      // A corrected export of the day replaces it, and it passes.
      t.db.prepare(`UPDATE partitions SET status = 'replaced' WHERE ds = ? AND status = 'published'`).run(day);
      publishDay(t.db, day, normalDay());
      expect((await run(args)).code).toBe(0);
      expect(messages).toHaveLength(2);
      expect(JSON.stringify(messages[1])).toMatch(/recover/i);

      // Today's export fails its audit: the newest attempt is rejected, and the chat hears it once.
      const rejected = insertBatch(t.db, today, "rejected");
      insertChecks(t.db, rejected, [
        { name: "duplicates", table: "fct_website_events", severity: "error", status: "fail", observed: 3, threshold: 0, message: "3 duplicate event keys." },
      ]);
      expect((await run(args)).code).toBe(3);
      expect(messages).toHaveLength(3);
      expect(JSON.stringify(messages[2])).toMatch(/audit/i);
      expect(JSON.stringify(messages[2])).toContain("duplicates");
      expect((await run(args)).code).toBe(3);
      expect(messages).toHaveLength(3);
    } finally {
      t.db.close();
      await chat.close();
      fs.rmSync(t.dir, { recursive: true, force: true });
    }
  });
});
