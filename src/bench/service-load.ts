/**
 * `npm run bench:service` (docs/benchmarks.md#the-service-under-load): while a
 * large upload (2,000,000 events by default; `--events N` for fewer on a busy
 * machine) is ingested by the real service, webhooks keep being answered and
 * a PR event's check completes, against a stand-in GitHub on loopback.
 *
 * Measured: the answer time of a signed `pull_request.opened` webhook sent
 * every 200 ms during the ingest (p50, p99, max), and, for each, the time
 * until the stand-in GitHub received the completed `guardrail` check run;
 * every webhook must yield its check (a missing one is counted, never
 * dropped from the figures). Also the service's event-loop delay during the
 * ingest, the same webhooks with no ingest running, and the load average.
 * Targets: webhook p99 < 1 s, check completion < 2 s, no check missing.
 *
 * The stand-in GitHub answers at once and Probot's write throttle is off
 * (as in the tests): against github.com, Probot spaces an installation's
 * writes 1 s apart, which adds up to 1 s per write to a check queued behind
 * others, ingest or not (docs/operations.md#under-load).
 */
import { createServer, request, type IncomingMessage, type Server } from "node:http";
import { createReadStream, mkdtempSync, rmSync, statSync } from "node:fs";
import { cpus, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import type { AddressInfo } from "node:net";
import { monitorEventLoopDelay, performance } from "node:perf_hooks";
import { createHmac } from "node:crypto";
import { createNodeMiddleware, Probot, ProbotOctokit } from "probot";
import { generateFixtures } from "../fixtures/generate.js";
import { openDb } from "../store/db.js";
import { parseConfig } from "../config/load.js";
import { createApp } from "../index.js";
import type { AppDeps } from "../app/deps.js";
import { recordRepo } from "../store/repos.js";

const SECRET = "bench-webhook-secret";
const INGEST = "bench-ingest";
const DS = "2026-03-04";
const REPO = "acme/web";

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(name);
  const n = i < 0 ? fallback : Number(process.argv[i + 1]);
  if (!Number.isInteger(n) || n < 1) throw new Error(`${name} expects a positive whole number`);
  return n;
}

function listen(server: Server): Promise<number> {
  return new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve((server.address() as AddressInfo).port)));
}

function body(req: IncomingMessage): Promise<string> {
  return new Promise((resolve) => {
    let s = "";
    req.on("data", (c) => (s += c)).on("end", () => resolve(s));
  });
}

/** The stand-in GitHub: enough of the REST API for the PR check; records when each check run completed. */
function standInGitHub(completed: Map<string, number>): Server {
  let nextId = 1;
  const shaOf = new Map<number, string>();
  return createServer(async (req, res) => {
    const text = await body(req);
    const json = (code: number, value: unknown) => res.writeHead(code, { "content-type": "application/json" }).end(JSON.stringify(value));
    const url = req.url ?? "";
    if (process.env.BENCH_DEBUG) process.stderr.write(`github ${Math.round(performance.now())}: ${req.method} ${url} ${text.slice(0, 160)}\n`);
    if (url.includes("/contents/")) return json(404, { message: "Not Found" });
    if (req.method === "POST" && url.endsWith("/check-runs")) {
      const b = JSON.parse(text || "{}");
      if (b.status === "completed" || b.conclusion) completed.set(b.head_sha, performance.now());
      shaOf.set(nextId, b.head_sha);
      return json(201, { id: nextId++, head_sha: b.head_sha });
    }
    if (req.method === "PATCH" && url.includes("/check-runs/")) {
      const b = JSON.parse(text || "{}");
      const sha = shaOf.get(Number(/check-runs\/(\d+)/.exec(url)?.[1]));
      if ((b.status === "completed" || b.conclusion) && sha) completed.set(sha, performance.now());
      return json(200, { id: 1 });
    }
    if (req.method === "GET" && /\/pulls\/\d+\/commits/.test(url)) return json(200, []);
    if (req.method === "GET" && /\/check-runs/.test(url)) return json(200, { total_count: 0, check_runs: [] });
    if (req.method === "GET") return json(200, []);
    return json(200, {});
  });
}

function post(port: number, path: string, headers: Record<string, string>, payload: string | NodeJS.ReadableStream): Promise<{ status: number; ms: number }> {
  const t0 = performance.now();
  return new Promise((resolve, reject) => {
    const req = request({ host: "127.0.0.1", port, path, method: "POST", headers }, (res) => {
      res.resume().on("end", () => resolve({ status: res.statusCode ?? 0, ms: performance.now() - t0 }));
    });
    req.on("error", reject);
    if (typeof payload === "string") req.end(payload);
    else (payload as NodeJS.ReadableStream).pipe(req);
  });
}

function pct(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)] ?? NaN;
}

async function main(): Promise<void> {
  const events = arg("--events", 2_000_000);
  const dir = mkdtempSync(join(tmpdir(), "guardrail-bench-service-"));
  process.stderr.write(`bench:service: generating ${events.toLocaleString("en-US")} events…\n`);
  const [fx] = await generateFixtures({ outDir: join(dir, "fx"), days: 1, eventsPerDay: events, end: DS, seed: 11 });
  const file = fx!.path;
  const completed = new Map<string, number>();
  const github = standInGitHub(completed);
  const ghPort = await listen(github);

  const deps: AppDeps = {
    db: openDb(join(dir, "guardrail.db")),
    config: parseConfig({}),
    publicUrl: "https://guardrail.example.com",
    linkSecret: "bench-link-secret",
    ingestToken: INGEST,
    readToken: "bench-read",
  };
  recordRepo(deps.db, { repo: REPO, installationId: 1, config: null });
  const probot = new Probot({
    githubToken: "bench-token",
    secret: SECRET,
    logLevel: process.env.BENCH_DEBUG ? "error" : "fatal",
    // A function, not an object: Probot layers its throttle options over object defaults (see test/app/helpers.ts).
    Octokit: ProbotOctokit.defaults((o: any) => ({
      ...o,
      baseUrl: `http://127.0.0.1:${ghPort}`,
      retry: { enabled: false },
      throttle: { ...(o.throttle ?? {}), enabled: false },
    })) as typeof ProbotOctokit,
  });
  const handler = await createNodeMiddleware(createApp(deps, { background: false }), { probot });
  const service = createServer((req, res) => {
    Promise.resolve(handler(req, res, () => res.writeHead(404).end())).catch(() => res.writeHead(500).end());
  });
  const port = await listen(service);

  const bytes = statSync(file).size;
  process.stderr.write(`bench:service: uploading ${(bytes / 1024 ** 2).toFixed(0)} MiB…\n`);
  const up = await post(port, `/api/guardrail/exports?dataset=default&ds=${DS}`, { authorization: `Bearer ${INGEST}`, "content-length": String(bytes) }, createReadStream(file));
  if (up.status !== 202) throw new Error(`the upload answered ${up.status}`);
  const state = () => (deps.db.prepare(`SELECT state FROM jobs ORDER BY created_at DESC LIMIT 1`).get() as { state: string }).state;

  const loadBefore = loadavg().map((x) => Math.round(x * 100) / 100);
  const webhookMs: number[] = [];
  const checkMs: number[] = [];
  const sentAt = new Map<string, number>();
  const lag = monitorEventLoopDelay({ resolution: 10 });
  lag.enable();
  const ingestStart = performance.now();
  let n = 0;
  const sendPr = async (into: { hook: number[]; shas: string[] }) => {
    const sha = (++n).toString(16).padStart(40, "0");
    const payload = JSON.stringify({
      action: "opened",
      number: n,
      pull_request: { number: n, head: { sha, ref: "feature", repo: { full_name: REPO } }, base: { ref: "main", repo: { full_name: REPO } }, draft: false, title: "t", body: null, updated_at: new Date().toISOString(), user: { login: "dev" } },
      repository: { name: "web", full_name: REPO, owner: { login: "acme" }, default_branch: "main" },
      installation: { id: 1 },
      sender: { login: "dev", type: "User" },
    });
    const sig = "sha256=" + createHmac("sha256", SECRET).update(payload).digest("hex");
    const sent = performance.now();
    sentAt.set(sha, sent);
    into.shas.push(sha);
    const r = await post(port, "/api/github/webhooks", { "content-type": "application/json", "x-github-event": "pull_request", "x-github-delivery": `d-${n}`, "x-hub-signature-256": sig }, payload);
    if (r.status !== 200) throw new Error(`webhook ${n} answered ${r.status}`);
    into.hook.push(r.ms);
  };
  const during = { hook: webhookMs, shas: [] as string[] };
  while (["queued", "running"].includes(state())) {
    await sendPr(during);
    await new Promise((res) => setTimeout(res, 200));
  }
  const ingestEnd = performance.now();
  lag.disable();
  const loadDuring = loadavg().map((x) => Math.round(x * 100) / 100);
  // The same webhooks with no ingest running: what the handler itself costs.
  const idle = { hook: [] as number[], shas: [] as string[] };
  for (let i = 0; i < 10; i++) await sendPr(idle);
  // A check still on its way is waited for (10 s at most), then counted as missing.
  const deadline = performance.now() + 10_000;
  while ([...sentAt.keys()].some((sha) => !completed.has(sha)) && performance.now() < deadline) await new Promise((res) => setTimeout(res, 50));
  const checkTimes = (shas: string[]) => shas.filter((sha) => completed.has(sha)).map((sha) => completed.get(sha)! - sentAt.get(sha)!);
  checkMs.push(...checkTimes(during.shas));
  const idleCheckMs = checkTimes(idle.shas);
  const ingestS = (ingestEnd - ingestStart) / 1000;
  const result = {
    events,
    upload_mib: Math.round(bytes / 1024 ** 2),
    job: state(),
    ingest_seconds: Math.round(ingestS),
    webhooks: webhookMs.length,
    webhook_ms: { p50: Math.round(pct(webhookMs, 50)), p99: Math.round(pct(webhookMs, 99)), max: Math.round(Math.max(...webhookMs)) },
    checks_completed: checkMs.length,
    checks_missing: during.shas.length - checkMs.length + idle.shas.length - idleCheckMs.length,
    check_ms: { p50: Math.round(pct(checkMs, 50)), p99: Math.round(pct(checkMs, 99)), max: Math.round(Math.max(...checkMs)) },
    event_loop_delay_ms: { p50: Math.round(lag.percentile(50) / 1e6), p99: Math.round(lag.percentile(99) / 1e6), max: Math.round(lag.max / 1e6) },
    idle_webhook_ms: { p50: Math.round(pct(idle.hook, 50)), max: Math.round(Math.max(...idle.hook)) },
    idle_check_ms: { p50: Math.round(pct(idleCheckMs, 50)), max: Math.round(Math.max(...idleCheckMs)) },
    machine: { cpus: cpus().length, load_before: loadBefore, load_after_ingest: loadDuring },
  };
  const ok = result.webhook_ms.p99 < 1000 && result.check_ms.max < 2000 && result.checks_missing === 0;
  process.stdout.write(JSON.stringify({ ...result, targets_met: ok }, null, 2) + "\n");
  service.close();
  github.close();
  deps.db.close();
  if (!process.argv.includes("--keep")) rmSync(dir, { recursive: true, force: true });
  process.exit(ok ? 0 : 1);
}

main().catch((err) => {
  process.stderr.write(`bench:service: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(2);
});
