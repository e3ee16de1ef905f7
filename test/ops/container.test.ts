/**
 * The container files (docs/operations.md#the-container). No container engine
 * runs on the test machine, so the Dockerfile's essentials are checked as
 * text, and the smoke script is checked to say plainly that it could not run.
 */
import { describe, expect, it } from "vitest";
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync, chmodSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parse } from "yaml";

const ROOT = resolve(__dirname, "../..");
const dockerfile = readFileSync(join(ROOT, "Dockerfile"), "utf8");
/** Instructions with line continuations joined, comments dropped. */
const instructions = dockerfile
  .replace(/\\\n/g, " ")
  .split("\n")
  .map((l) => l.trim())
  .filter((l) => l && !l.startsWith("#"));
const stages: string[][] = [];
for (const l of instructions) {
  if (/^FROM\s/i.test(l)) stages.push([]);
  stages.at(-1)?.push(l);
}
const final = stages.at(-1)!;
const find = (stage: string[], word: string) => stage.filter((l) => l.toUpperCase().startsWith(word + " "));

describe("Dockerfile", () => {
  it("is multi-stage: dependencies (the native SQLite module) are built in the build stage only", () => {
    expect(stages.length).toBeGreaterThanOrEqual(2);
    expect(stages[0]![0]).toMatch(/^FROM node:20\S* AS build$/i);
    expect(stages[0]!.some((l) => /npm ci/.test(l))).toBe(true);
    expect(stages[0]!.some((l) => /g\+\+/.test(l))).toBe(true);
    expect(final.some((l) => /npm (ci|install)|g\+\+|build-essential/.test(l))).toBe(false);
    expect(final.some((l) => /^COPY --from=build \/app\/node_modules/.test(l))).toBe(true);
  });

  it("runs as a non-root user, keeps the database on a /data volume, checks /ping and starts the service", () => {
    const user = find(final, "USER").at(-1);
    expect(user).toBeDefined();
    expect(user).not.toMatch(/^USER\s+(root|0)(:|\s|$)/i);
    expect(find(final, "VOLUME").join(" ")).toMatch(/["\s[]\/data["\]\s]|\/data$/);
    expect(final.find((l) => /^ENV /.test(l))).toMatch(/GUARDRAIL_DB=\/data\/guardrail\.db/);
    const health = find(final, "HEALTHCHECK");
    expect(health.length).toBe(1);
    expect(health[0]).toMatch(/\/ping/);
    const cmd = find(final, "CMD").at(-1)!;
    expect(cmd).toMatch(/lib\/http\/serve\.js/);
    expect(existsSync(join(ROOT, "src/http/serve.ts"))).toBe(true);
  });

  it("does not send secrets, data or build output into the build context", () => {
    const ignore = readFileSync(join(ROOT, ".dockerignore"), "utf8").split("\n");
    for (const p of ["node_modules", "data", "*.db", "*.pem", ".env", ".git"]) expect(ignore).toContain(p);
  });
});

describe("compose.yaml", () => {
  it("keeps the database on a volume at /data and passes the App's and Guardrail's settings", () => {
    const compose = parse(readFileSync(join(ROOT, "compose.yaml"), "utf8"));
    const svc = compose.services.guardrail;
    expect(svc.volumes.some((v: string) => v.endsWith(":/data"))).toBe(true);
    for (const k of ["APP_ID", "WEBHOOK_SECRET", "GUARDRAIL_PUBLIC_URL", "GUARDRAIL_INGEST_TOKEN", "GUARDRAIL_READ_TOKEN", "GUARDRAIL_DB"]) expect(Object.keys(svc.environment)).toContain(k);
    expect(svc.environment.PRIVATE_KEY_PATH).toBe("/run/secrets/github_app_key");
  });
});

describe("the container's settings match the code", () => {
  /** Every GUARDRAIL_* name the code reads: named in a string or property outside comments. */
  const codeVars = new Set<string>();
  const walk = (dir: string): string[] =>
    readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(join(dir, e.name)) : e.name.endsWith(".ts") ? [join(dir, e.name)] : []));
  for (const file of walk(join(ROOT, "src"))) {
    const code = readFileSync(file, "utf8").replace(/\/\*[\s\S]*?\*\//g, "").replace(/^\s*\/\/.*$/gm, "");
    for (const m of code.matchAll(/(?:\.|["'`])(GUARDRAIL_[A-Z_]+)/g)) codeVars.add(m[1]!);
  }
  // What Probot itself reads (createProbot / @probot/get-private-key), and Node's own.
  const probotVars = ["APP_ID", "PRIVATE_KEY", "PRIVATE_KEY_PATH", "WEBHOOK_SECRET", "WEBHOOK_PATH", "GHE_HOST", "LOG_LEVEL", "LOG_FORMAT", "PORT", "HOST", "NODE_ENV"];
  const known = (name: string) => codeVars.has(name) || probotVars.includes(name);

  it("the code's list is real (a sanity check of the scan)", () => {
    for (const v of ["GUARDRAIL_DB", "GUARDRAIL_INGEST_TOKEN", "GUARDRAIL_READ_TOKEN", "GUARDRAIL_MAX_LINE_BYTES"]) expect(codeVars).toContain(v);
    expect(codeVars).not.toContain("GUARDRAIL_NO_SUCH_SETTING");
  });

  it("compose.yaml sets only variables the service reads, commented ones included", () => {
    const text = readFileSync(join(ROOT, "compose.yaml"), "utf8");
    const svc = parse(text).services.guardrail;
    const set = Object.keys(svc.environment);
    const commented = [...text.matchAll(/^\s*#\s*([A-Z][A-Z0-9_]+):/gm)].map((m) => m[1]!);
    expect([...set, ...commented].filter((v) => !known(v))).toEqual([]);
    // The App key is mounted as a secret at the path the variable names.
    expect(svc.secrets).toContain("github_app_key");
  });

  it("the Dockerfile sets only variables the service reads, and starts an entry point that exists", () => {
    const env = final.filter((l) => /^ENV /i.test(l)).flatMap((l) => [...l.slice(4).matchAll(/([A-Z][A-Z0-9_]*)=/g)].map((m) => m[1]!));
    expect(env.length).toBeGreaterThan(0);
    expect(env.filter((v) => !known(v))).toEqual([]);
    const cmd = JSON.parse(find(final, "CMD").at(-1)!.slice(4)) as string[];
    expect(cmd[0]).toBe("node");
    expect(existsSync(join(ROOT, cmd[1]!.replace(/^lib\//, "src/").replace(/\.js$/, ".ts")))).toBe(true);
    expect(readFileSync(join(ROOT, "src/http/serve.ts"), "utf8")).toMatch(/process\.env\.PORT/);
  });
});

describe("scripts/container-smoke.sh", () => {
  const script = join(ROOT, "scripts/container-smoke.sh");
  const run = (env: Record<string, string>, args: string[] = []) =>
    spawnSync("bash", [script, ...args], { env: { PATH: "/usr/bin:/bin", HOME: tmpdir(), ...env }, encoding: "utf8", timeout: 30_000 });

  it("is valid bash", () => {
    execFileSync("bash", ["-n", script]);
  });

  it("says plainly when no engine is installed, and exits 0 (1 with --require-engine)", () => {
    const bin = mkdtempSync(join(tmpdir(), "no-engine-"));
    const r = run({ PATH: `${bin}:/usr/bin:/bin`, CONTAINER_ENGINE: join(bin, "absent-engine") });
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^container-smoke: no container engine is available here \(.*absent-engine is not installed\); the image was not built or tested\.\n$/);
    expect(run({ PATH: `${bin}:/usr/bin:/bin`, CONTAINER_ENGINE: join(bin, "absent-engine") }, ["--require-engine"]).status).toBe(1);
  });

  it("says so when an engine is installed but does not answer", () => {
    const bin = mkdtempSync(join(tmpdir(), "dead-engine-"));
    const fake = join(bin, "docker");
    writeFileSync(fake, "#!/bin/sh\necho 'Cannot connect to the Docker daemon at unix:///var/run/docker.sock.' >&2\nexit 1\n");
    chmodSync(fake, 0o755);
    const r = run({ PATH: `${bin}:/usr/bin:/bin` });
    expect(r.status).toBe(0);
    expect(r.stdout).toContain("docker is installed but its engine does not answer: Cannot connect to the Docker daemon");
    const strict = run({ PATH: `${bin}:/usr/bin:/bin` }, ["--require-engine"]);
    expect(strict.status).toBe(1);
  });
});
