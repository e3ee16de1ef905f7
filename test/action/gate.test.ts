/**
 * The deploy-gate action (action.yml, action/gate.mjs), run the way the runner runs it: `node
 * action/gate.mjs` as a child process with the environment GitHub sets (INPUT_*, GITHUB_OUTPUT,
 * GITHUB_STEP_SUMMARY, GITHUB_REPOSITORY, GITHUB_SHA), against a stand-in of the gate route on
 * 127.0.0.1 and, once, against the real route.
 */
import { describe, it, expect, beforeAll, afterAll } from "vitest";
import { spawn } from "node:child_process";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { mkdtempSync, readFileSync, writeFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse as parseYaml } from "yaml";
import { handleGateRoute, GATE_PATH } from "../../src/http/gate-route.js";
import { sendText } from "../../src/http/respond.js";
import { makeEnv, seedHistory, addRepo, REPO, SHA, NOW, READ_TOKEN, type Env } from "../gate/helpers.js";

const TOKEN = "read-token-for-the-action";

interface Run {
  code: number;
  stdout: string;
  outputs: Record<string, string>;
  summary: string;
}

/** Parses the `name<<DELIM … DELIM` entries the action appends to $GITHUB_OUTPUT. */
function parseOutputs(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const m = /^([\w-]+)<<(.+)$/.exec(lines[i]);
    if (!m) continue;
    const value: string[] = [];
    for (i++; lines[i] !== m[2]; i++) value.push(lines[i]);
    out[m[1]] = value.join("\n");
  }
  return out;
}

/** A programmable stand-in of GET /api/guardrail/gate: each request takes the next answer. */
class StandIn {
  server!: http.Server;
  base = "";
  requests: string[] = [];
  answers: Array<(res: http.ServerResponse) => void> = [];
  async start(): Promise<void> {
    this.server = http.createServer((req, res) => {
      this.requests.push(`${req.method} ${req.url} ${req.headers.authorization ?? ""}`);
      const url = new URL(req.url!, "http://x");
      if (url.pathname !== GATE_PATH) return sendText(res, 404, "not found");
      if (req.headers.authorization !== `Bearer ${TOKEN}`) {
        res.writeHead(401, { "content-type": "application/json" });
        return res.end(JSON.stringify({ error: "A valid read token is required." }));
      }
      const next = this.answers.length > 1 ? this.answers.shift()! : this.answers[0];
      next(res);
    });
    await new Promise<void>((r) => this.server.listen(0, "127.0.0.1", r));
    this.base = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }
  reply(...bodies: unknown[]): void {
    this.requests = [];
    this.answers = bodies.map((b) => (res: http.ServerResponse) => {
      res.writeHead(200, { "content-type": "application/json" });
      res.end(typeof b === "string" ? b : JSON.stringify(b));
    });
  }
  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((r) => this.server.close(() => r()));
  }
}

let dir: string;
let runs = 0;

/** Runs the action's code with the runner's environment; inputs as action.yml names them. */
async function runAction(inputs: Record<string, string>, extraEnv: Record<string, string> = {}): Promise<Run> {
  const n = runs++;
  const outputFile = join(dir, `output-${n}`);
  const summaryFile = join(dir, `summary-${n}`);
  writeFileSync(outputFile, "");
  writeFileSync(summaryFile, "");
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? "",
    GITHUB_OUTPUT: outputFile,
    GITHUB_STEP_SUMMARY: summaryFile,
    GITHUB_REPOSITORY: "acme/web",
    GITHUB_SHA: "f".repeat(40),
    ...extraEnv,
  };
  for (const [k, v] of Object.entries(inputs)) env[`INPUT_${k.toUpperCase()}`] = v;
  const child = spawn(process.execPath, ["action/gate.mjs"], { env, stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (c) => (stdout += c));
  child.stderr.on("data", (c) => (stderr += c));
  const code = await new Promise<number>((r) => child.on("close", (c) => r(c ?? -1)));
  expect(stderr).toBe("");
  return { code, stdout, outputs: parseOutputs(readFileSync(outputFile, "utf8")), summary: readFileSync(summaryFile, "utf8") };
}

const BLOCKED = {
  state: "blocked",
  reasons: ["Guardrail signup_conversion_rate fell 50.3 % to 2.00 % (expected 4.03 %, z = -10.3) on 2024-05-07."],
  ds: "2024-05-07",
  details_url: "https://guardrail.example.com/guardrail?dataset=default&ds=2024-05-07&sig=abc",
};
const OPEN = { state: "open", reasons: ["Every guardrail passes on 2024-05-07."], ds: "2024-05-07", details_url: "https://guardrail.example.com/guardrail?ds=2024-05-07" };
const UNKNOWN = { state: "unknown", reasons: ["No verdict yet for 2024-05-08: the day's export has not been published."], ds: null, details_url: null };

describe("the deploy-gate action against a stand-in gate", () => {
  const gate = new StandIn();
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "guardrail-action-"));
    await gate.start();
  });
  afterAll(async () => {
    await gate.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("action.yml runs the committed file on node20 and declares the inputs and outputs the code uses", () => {
    const meta = parseYaml(readFileSync("action.yml", "utf8"));
    expect(meta.runs).toEqual({ using: "node20", main: "action/gate.mjs" });
    expect(Object.keys(meta.inputs).sort()).toEqual(["on-unknown", "poll-interval", "repository", "sha", "timeout", "token", "url", "wait"]);
    expect(meta.inputs["on-unknown"].default).toBe("fail");
    expect(meta.inputs.repository.default).toBe("${{ github.repository }}");
    expect(meta.inputs.sha.default).toBe("${{ github.sha }}");
    expect(Object.keys(meta.outputs).sort()).toEqual(["details-url", "reasons", "state"]);
    const code = readFileSync("action/gate.mjs", "utf8");
    // Runnable with nothing installed: only node: built-ins are imported.
    for (const m of code.matchAll(/^import .* from "([^"]+)";$/gm)) expect(m[1]).toMatch(/^node:/);
  });

  it("open: passes, with the outputs, the reasons and the link in the job summary", async () => {
    gate.reply(OPEN);
    const run = await runAction({ url: gate.base, token: TOKEN });
    expect(run.code).toBe(0);
    expect(run.outputs).toEqual({ state: "open", reasons: OPEN.reasons[0], "details-url": OPEN.details_url });
    expect(run.summary).toContain("open: this commit may be deployed");
    expect(run.summary).toContain("Every guardrail passes on 2024\\-05\\-07\\.");
    expect(run.summary).toContain(`[Open the dashboard](${OPEN.details_url})`);
    // repository and sha default to the workflow's.
    expect(gate.requests).toEqual([`GET ${GATE_PATH}?repo=acme%2Fweb&sha=${"f".repeat(40)} Bearer ${TOKEN}`]);
  });

  it("blocked: fails the step with an error annotation; repository and sha inputs are sent", async () => {
    gate.reply(BLOCKED);
    const run = await runAction({ url: gate.base + "/", token: TOKEN, repository: "acme/shop", sha: "1".repeat(40) });
    expect(run.code).toBe(1);
    expect(run.outputs.state).toBe("blocked");
    expect(run.outputs.reasons).toBe(BLOCKED.reasons[0]);
    expect(run.outputs["details-url"]).toBe(BLOCKED.details_url);
    expect(run.stdout).toContain("::error::Guardrail gate: blocked. Guardrail signup_conversion_rate fell 50.3 %25 to 2.00 %25");
    expect(gate.requests[0]).toContain(`?repo=acme%2Fshop&sha=${"1".repeat(40)} `);
  });

  it("unknown fails by default, and passes with on-unknown: pass", async () => {
    gate.reply(UNKNOWN);
    const fail = await runAction({ url: gate.base, token: TOKEN });
    expect(fail.code).toBe(1);
    expect(fail.outputs).toEqual({ state: "unknown", reasons: UNKNOWN.reasons[0], "details-url": "" });
    expect(fail.stdout).toContain("::error::Guardrail gate: unknown (on-unknown: fail)");
    gate.reply(UNKNOWN);
    const pass = await runAction({ url: gate.base, token: TOKEN, "on-unknown": "pass" });
    expect(pass.code).toBe(0);
    expect(pass.outputs.state).toBe("unknown");
    expect(pass.stdout).toContain("::warning::Guardrail gate: unknown (on-unknown: pass)");
    expect(pass.summary).toContain("on-unknown is pass: the step passes.");
    expect(pass.summary).not.toContain("Open the dashboard");
  });

  it("wait: asks again while the answer is unknown, and stops at the first answer that is not", async () => {
    gate.reply(UNKNOWN, UNKNOWN, BLOCKED);
    const run = await runAction({ url: gate.base, token: TOKEN, wait: "true", "poll-interval": "0.05", timeout: "30" });
    expect(gate.requests).toHaveLength(3);
    expect(run.code).toBe(1);
    expect(run.outputs.state).toBe("blocked");
  });

  it("wait: an answer still unknown at the timeout is unknown, not an error", async () => {
    gate.reply(UNKNOWN);
    const run = await runAction({ url: gate.base, token: TOKEN, wait: "true", "poll-interval": "0.05", timeout: "1", "on-unknown": "pass" });
    expect(gate.requests.length).toBeGreaterThan(1);
    expect(run.code).toBe(0);
    expect(run.outputs.state).toBe("unknown");
  });

  it("wait: a question cut off by the deadline leaves the last unknown; a gate that never answers at all is an error", async () => {
    gate.requests = [];
    let n = 0;
    gate.answers = [
      (res) => {
        // The first question gets "unknown"; every later one hangs past the deadline.
        if (n++ > 0) return;
        res.writeHead(200, { "content-type": "application/json" });
        res.end(JSON.stringify(UNKNOWN));
      },
    ];
    const run = await runAction({ url: gate.base, token: TOKEN, wait: "true", "poll-interval": "0.05", timeout: "1.5", "on-unknown": "pass" });
    expect(gate.requests).toHaveLength(2);
    expect([run.code, run.outputs.state]).toEqual([0, "unknown"]);
    gate.answers = [() => undefined];
    const never = await runAction({ url: gate.base, token: TOKEN, wait: "true", "poll-interval": "0.05", timeout: "0.3", "on-unknown": "pass" });
    expect([never.code, never.outputs.state]).toEqual([1, "error"]);
  });

  it("without wait it asks once", async () => {
    gate.reply(UNKNOWN, OPEN);
    const run = await runAction({ url: gate.base, token: TOKEN, "poll-interval": "0.05" });
    expect(gate.requests).toHaveLength(1);
    expect(run.outputs.state).toBe("unknown");
  });

  it("401 is an error that fails the step, even with on-unknown: pass", async () => {
    gate.reply(OPEN);
    const run = await runAction({ url: gate.base, token: "wrong", "on-unknown": "pass" });
    expect(run.code).toBe(1);
    expect(run.outputs.state).toBe("error");
    expect(run.outputs.reasons).toMatch(/refused the token \(HTTP 401\)/);
    expect(run.stdout).toMatch(/::error::Guardrail gate: the Guardrail gate at http:\/\/127\.0\.0\.1:\d+\/api\/guardrail\/gate refused the token/);
    expect(run.summary).toContain("error: the gate could not be asked");
  });

  it("unreachable is an error", async () => {
    const probe = http.createServer();
    await new Promise<void>((r) => probe.listen(0, "127.0.0.1", r));
    const { port } = probe.address() as AddressInfo;
    await new Promise<void>((r) => probe.close(() => r()));
    const run = await runAction({ url: `http://127.0.0.1:${port}`, token: TOKEN, "on-unknown": "pass" });
    expect(run.code).toBe(1);
    expect(run.outputs.state).toBe("error");
    expect(run.outputs.reasons).toBe(`cannot reach the Guardrail gate at http://127.0.0.1:${port}/api/guardrail/gate (ECONNREFUSED).`);
  });

  it("timeout is an error: a gate that never answers", async () => {
    gate.requests = [];
    gate.answers = [() => undefined]; // holds the request open
    const run = await runAction({ url: gate.base, token: TOKEN, timeout: "0.3", "on-unknown": "pass" });
    expect(run.code).toBe(1);
    expect(run.outputs.state).toBe("error");
    expect(run.outputs.reasons).toMatch(/^cannot reach the Guardrail gate at .* \(no answer within 0\.3 s\)\.$/);
  });

  it("malformed answers are errors: not JSON, JSON without a known state, a 500", async () => {
    gate.reply("<html>a login page</html>");
    const html = await runAction({ url: gate.base, token: TOKEN, "on-unknown": "pass" });
    expect([html.code, html.outputs.state]).toEqual([1, "error"]);
    expect(html.outputs.reasons).toContain("not JSON");
    gate.reply({ state: "maybe", reasons: [] });
    const odd = await runAction({ url: gate.base, token: TOKEN, "on-unknown": "pass" });
    expect([odd.code, odd.outputs.state]).toEqual([1, "error"]);
    expect(odd.outputs.reasons).toContain("without a state of open, blocked or unknown");
    gate.requests = [];
    gate.answers = [(res) => (res.writeHead(500, { "content-type": "application/json" }), res.end(JSON.stringify({ error: "The gate could not be decided." })))];
    const broken = await runAction({ url: gate.base, token: TOKEN, "on-unknown": "pass" });
    expect([broken.code, broken.outputs.state, broken.outputs.reasons]).toEqual([1, "error", `the Guardrail gate at ${gate.base}/api/guardrail/gate answered HTTP 500: The gate could not be decided.`]);
  });

  it("bad inputs are errors naming the input", async () => {
    const noToken = await runAction({ url: gate.base, token: "" });
    expect([noToken.code, noToken.outputs.state]).toEqual([1, "error"]);
    expect(noToken.outputs.reasons).toContain('input "token" is empty');
    const onUnknown = await runAction({ url: gate.base, token: TOKEN, "on-unknown": "ignore" });
    expect(onUnknown.outputs.reasons).toBe('input "on-unknown" is "ignore": expected fail or pass.');
    const url = await runAction({ url: "ftp://example.com", token: TOKEN });
    expect(url.outputs.reasons).toBe('input "url" is "ftp://example.com": expected an http:// or https:// URL.');
  });

  it("the job summary escapes what the service sent: no HTML, no Markdown links, no javascript: link", async () => {
    gate.reply({
      state: "blocked",
      reasons: ["<img src=x onerror=alert(1)> [click](https://evil.example) | *bold*\nsecond line"],
      ds: "2024-05-07",
      details_url: "javascript:alert(1)",
    });
    const run = await runAction({ url: gate.base, token: TOKEN });
    expect(run.summary).not.toContain("<img");
    expect(run.summary).toContain("&lt;img src=x onerror=alert\\(1\\)&gt; \\[click\\]\\(https://evil\\.example\\) \\| \\*bold\\* second line");
    expect(run.summary).not.toContain("javascript:");
    expect(run.outputs["details-url"]).toBe("");
    // a reason with new lines stays one output value
    expect(run.outputs.reasons).toBe("<img src=x onerror=alert(1)> [click](https://evil.example) | *bold*\nsecond line");
  });

  it("what the service sent cannot start a workflow command on the runner", async () => {
    gate.reply({ state: "unknown", reasons: ["No verdict.\n::add-mask::x\r\n::warning::injected"], ds: null, details_url: "https://g.example.com/\n::error::also" });
    const run = await runAction({ url: gate.base, token: TOKEN, "on-unknown": "pass" });
    const commands = run.stdout.split("\n").filter((l) => l.startsWith("::"));
    expect(commands).toEqual(["::warning::Guardrail gate: unknown (on-unknown: pass). No verdict.%0A::add-mask::x%0D%0A::warning::injected"]);
  });

  it("a details link with parentheses cannot close the Markdown link", async () => {
    gate.reply({ ...OPEN, details_url: "https://guardrail.example.com/guardrail?x=a)(b" });
    const run = await runAction({ url: gate.base, token: TOKEN });
    expect(run.summary).toContain("[Open the dashboard](https://guardrail.example.com/guardrail?x=a%29%28b)");
  });
});

describe("the deploy-gate action against the real gate route", () => {
  let env: Env;
  let server: http.Server;
  let base: string;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "guardrail-action-"));
    env = makeEnv();
    seedHistory(env.db, "2024-05-07", 200);
    addRepo(env.db);
    server = http.createServer((req, res) => {
      handleGateRoute(req, res, env.deps, { now: NOW }).then((handled) => {
        if (!handled) sendText(res, 404, "not found");
      });
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise<void>((r) => server.close(() => r()));
    env.cleanup();
    rmSync(dir, { recursive: true, force: true });
  });

  it("blocked on a failing day, unknown for a repo the service does not know, 400 for a short sha", async () => {
    const blocked = await runAction({ url: base, token: READ_TOKEN, repository: REPO, sha: SHA });
    expect([blocked.code, blocked.outputs.state]).toEqual([1, "blocked"]);
    expect(blocked.outputs.reasons).toContain("signup_conversion_rate");
    expect(blocked.outputs["details-url"]).toMatch(/^https:\/\/guardrail\.example\.com\/guardrail\?.*&sig=/);
    const unknown = await runAction({ url: base, token: READ_TOKEN, repository: "nobody/nothing", sha: SHA, "on-unknown": "pass" });
    expect([unknown.code, unknown.outputs.state]).toEqual([0, "unknown"]);
    const short = await runAction({ url: base, token: READ_TOKEN, repository: REPO, sha: "abc123" });
    expect([short.code, short.outputs.state]).toEqual([1, "error"]);
    expect(short.outputs.reasons).toContain('query parameter "sha" is "abc123"');
  });
});
