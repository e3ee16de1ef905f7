import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { Notifier, notify, syncChat, syncIncident, type AlertDeps } from "../../src/alerts/index.js";
import type { CheckResult } from "../../src/shared/types.js";
import { failingEvaluation, makeDeps, memoryLog, noDataEvaluation, passingEvaluation, tempDb, testOctokit } from "./helpers.js";

interface Hook {
  server: Server;
  url: string;
  bodies: unknown[];
  /** What to do with request n (0-based): a status code, or "hang". */
  plan: (n: number) => number | "hang";
}

async function startHook(plan: Hook["plan"] = () => 200): Promise<Hook> {
  const hook = { bodies: [] as unknown[], plan } as Hook;
  hook.server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const n = hook.bodies.length;
      hook.bodies.push(JSON.parse(Buffer.concat(chunks).toString("utf8")));
      const what = hook.plan(n);
      if (what === "hang") return; // never answers
      res.writeHead(what, { "content-type": "text/plain" }).end(what === 200 ? "ok" : "error");
    });
  });
  await new Promise<void>((r) => hook.server.listen(0, "127.0.0.1", r));
  const port = (hook.server.address() as AddressInfo).port;
  // A Slack-like secret path: it must never reach a log line.
  hook.url = `http://127.0.0.1:${port}/services/T0SECRET/B0SECRET/XyZsecretToken123`;
  return hook;
}

async function stopHook(hook: Hook): Promise<void> {
  hook.server.closeAllConnections();
  await new Promise<void>((r) => hook.server.close(() => r()));
}

let store: ReturnType<typeof tempDb>;
let hooks: Hook[] = [];
const logs: { lines: string[] }[] = [];
const allUrls: string[] = [];
let stderrSpy: ReturnType<typeof vi.spyOn>;
const stderrText: string[] = [];

function depsFor(url: string, opts: { attempts?: number; timeoutMs?: number } = {}, config: unknown = {}): AlertDeps & { notifier: Notifier } {
  const log = memoryLog();
  const notifier = new Notifier({ attempts: opts.attempts ?? 3, delaysMs: [10, 40], timeoutMs: opts.timeoutMs ?? 2000, log });
  allUrls.push(url);
  const deps = makeDeps(store.db, { notifier, log, env: { GUARDRAIL_NOTIFY_URL: url } }, config) as AlertDeps & { notifier: Notifier };
  logs.push(log);
  return deps;
}

beforeAll(() => {
  stderrSpy = vi.spyOn(process.stderr, "write").mockImplementation((chunk: string | Uint8Array) => {
    stderrText.push(String(chunk));
    return true;
  });
});
beforeEach(() => {
  store = tempDb();
});
afterEach(async () => {
  for (const h of hooks) await stopHook(h);
  hooks = [];
  store.cleanup();
});
afterAll(() => {
  stderrSpy.mockRestore();
});

type Slack = { text: string; blocks: { type: string; text?: { text: string }; fields?: { text: string }[]; elements?: { url: string }[] }[] };

describe("chat notifications", () => {
  it("sends one Slack-compatible message on breach and one on recovery, deduplicated across repos and days", async () => {
    const hook = await startHook();
    hooks.push(hook);
    const deps = depsFor(hook.url);
    syncChat(deps, { kind: "breach", evaluation: failingEvaluation("2026-11-05") });
    // Two repos on the same dataset with issues off: the chat message is still sent once.
    await syncIncident(testOctokit(), deps, "acme/shop", { alerts: { issue: false } }, { kind: "breach", evaluation: failingEvaluation("2026-11-05") });
    await syncIncident(testOctokit(), deps, "acme/blog", { alerts: { issue: false } }, { kind: "breach", evaluation: failingEvaluation("2026-11-05") });
    syncChat(deps, { kind: "breach", evaluation: failingEvaluation("2026-11-06") }); // next day: issue comment only, no chat
    syncChat(deps, { kind: "recovery", evaluation: noDataEvaluation("2026-11-07") }); // missing data is not a recovery
    await deps.notifier.flush();
    expect(hook.bodies).toHaveLength(1);

    const breach = hook.bodies[0] as Slack;
    expect(breach.text).toContain("Guardrail breach: signup_conversion_rate \u221235 % on 2026-11-05");
    expect(breach.text).toContain("device iPhone");
    expect(breach.text).toMatch(/<https:\/\/guardrail\.example\.test\/guardrail\?dataset=default&ds=2026-11-05&exp=\d+&sig=[0-9a-f]{64}\|Dashboard>$/);
    expect(breach.blocks[0]).toMatchObject({ type: "header" });
    const fields = breach.blocks.find((b) => b.fields)!.fields!.map((f) => f.text);
    expect(fields).toEqual(
      expect.arrayContaining([
        "*Metric*\nsignup_conversion_rate",
        "*Change*\n\u221235 % (2.54 % vs 3.90 % expected)",
        "*Segment*\ndevice iPhone (91 % of the decline)",
      ]),
    );
    expect(breach.blocks.find((b) => b.type === "actions")!.elements![0].url).toContain("/guardrail?dataset=default&ds=2026-11-05");

    syncChat(deps, { kind: "recovery", evaluation: passingEvaluation("2026-11-07") });
    syncChat(deps, { kind: "recovery", evaluation: passingEvaluation("2026-11-07") });
    await deps.notifier.flush();
    expect(hook.bodies).toHaveLength(2);
    expect((hook.bodies[1] as Slack).text).toContain("Guardrail recovered: guardrails pass again on 2026-11-07");
  });

  it("retries after a 500 and delivers the same body", async () => {
    const hook = await startHook((n) => (n === 0 ? 500 : 200));
    hooks.push(hook);
    const deps = depsFor(hook.url);
    syncChat(deps, { kind: "breach", evaluation: failingEvaluation("2026-11-05") });
    const [result] = await deps.notifier.flush();
    expect(result).toMatchObject({ ok: true, attempts: 2 });
    expect(hook.bodies).toHaveLength(2);
    expect(hook.bodies[1]).toEqual(hook.bodies[0]);
    expect((deps.log as ReturnType<typeof memoryLog>).lines.join("\n")).toContain("attempt 1/3 failed (HTTP 500)");
  });

  it("does not retry a 404 (a revoked webhook will not come back)", async () => {
    const hook = await startHook(() => 404);
    hooks.push(hook);
    const deps = depsFor(hook.url);
    const p = notify(deps, "default", { text: "hello" });
    expect(await p).toMatchObject({ ok: false, attempts: 1, error: "HTTP 404" });
    expect(hook.bodies).toEqual([{ text: "hello" }]);
  });

  it("never blocks the caller when the endpoint hangs, and gives up after its attempts", async () => {
    const hook = await startHook(() => "hang");
    hooks.push(hook);
    const deps = depsFor(hook.url, { timeoutMs: 150 });
    // syncChat is synchronous: it decides and records, and delivery runs in the background.
    const { decisions, deliveries } = syncChat(deps, { kind: "breach", evaluation: failingEvaluation("2026-11-05") });
    expect(decisions.map((d) => d.type)).toEqual(["open"]);
    let settled = false;
    void deliveries[0].then(() => (settled = true));
    await new Promise((r) => setImmediate(r));
    expect(settled).toBe(false);
    const [result] = await deps.notifier.flush();
    expect(result).toMatchObject({ ok: false, attempts: 3, error: "timeout" });
    expect(hook.bodies).toHaveLength(3);
  });

  it("reports an unreachable endpoint without its address", async () => {
    const hook = await startHook();
    await stopHook(hook); // nothing listens on that port any more
    const deps = depsFor(hook.url, { attempts: 2 });
    const result = await notify(deps, "default", { text: "x" });
    expect(result).toMatchObject({ ok: false, attempts: 2 });
    expect(result!.error).toMatch(/^network error/);
  });

  it("uses the dataset's notify_url over GUARDRAIL_NOTIFY_URL, and sends nothing when neither is set", async () => {
    const envHook = await startHook();
    const ownHook = await startHook();
    hooks.push(envHook, ownHook);
    const deps = depsFor(envHook.url, {}, { datasets: { shop: { notify_url: ownHook.url } } });
    allUrls.push(ownHook.url);
    syncChat(deps, { kind: "breach", evaluation: failingEvaluation("2026-11-05", -0.35, "shop") });
    syncChat(deps, { kind: "breach", evaluation: failingEvaluation("2026-11-05", -0.35, "default") });
    await deps.notifier.flush();
    expect(ownHook.bodies).toHaveLength(1);
    expect(envHook.bodies).toHaveLength(1);
    expect((ownHook.bodies[0] as Slack).text).toContain("shop, 2026-11-05");

    const silent = makeDeps(store.db, { env: {} });
    expect(syncChat(silent, { kind: "breach", evaluation: failingEvaluation("2026-11-09") })).toEqual({ decisions: [], deliveries: [] });
    expect(notify(silent, "default", { text: "x" })).toBeNull();
  });

  it("announces an audit failure and a stale dataset, and their resolution", async () => {
    const hook = await startHook();
    hooks.push(hook);
    const deps = depsFor(hook.url);
    const checks: CheckResult[] = [
      { name: "duplicates", table: "fct_website_events", severity: "error", status: "fail", observed: 3, threshold: 0, message: "3 duplicate event keys." },
    ];
    syncChat(deps, { kind: "audit_failed", dataset: "default", ds: "2026-11-05", checks });
    syncChat(deps, { kind: "stale", dataset: "default", latestDs: "2026-11-03", ageHours: 52, freshnessHours: 48, today: "2026-11-06" });
    syncChat(deps, { kind: "stale", dataset: "default", latestDs: "2026-11-03", ageHours: 53, freshnessHours: 48, today: "2026-11-06" });
    syncChat(deps, { kind: "data_ok", dataset: "default", ds: "2026-11-06" });
    await deps.notifier.flush();
    const texts = hook.bodies.map((b) => (b as Slack).text);
    expect(texts).toHaveLength(4);
    expect(texts[0]).toContain("Guardrail data problem: export for 2026-11-05 failed its audit (duplicates)");
    expect(texts[1]).toContain("Guardrail data problem: dataset default is stale (latest 2026-11-03, 52 h old)");
    expect(texts.slice(2).join("\n")).toContain("export audit problem fixed");
    expect(texts.slice(2).join("\n")).toContain("fresh data arrived");
  });

  // Runs last: every delivery, retry and failure above has been logged by now.
  it("never writes the webhook URL (or its host) to the logs or stderr", () => {
    const lines = logs.flatMap((l) => l.lines);
    expect(lines.some((l) => l.startsWith("chat webhook: delivered"))).toBe(true);
    expect(lines.some((l) => l.includes("failed (HTTP 500)"))).toBe(true);
    expect(lines.some((l) => l.includes("(timeout)"))).toBe(true);
    const everything = [...lines, ...stderrText].join("\n");
    for (const url of allUrls) {
      expect(everything).not.toContain(url);
      expect(everything).not.toContain(new URL(url).host);
    }
    expect(everything).not.toContain("XyZsecretToken123");
  });
});
