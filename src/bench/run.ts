/**
 * `npm run bench`: the speed figures of issues 2, 3 and 4.
 *
 * 1. A 2,000,000-event day (200,000 with --quick) is generated once and cached
 *    in .bench-cache/ (outside git).
 * 2. `node bin/guardrail.js ingest FILE --json --db TMP` runs END TO END in a
 *    child process: wall time, events/s, peak RSS (GNU time, else a wrapper
 *    that reports process.resourceUsage()), and the phase split from the
 *    ingest JSON's `timings`; then DuckDB on the same file, each in a child
 *    process (duck-child.ts): the same job (load into fct_website_events, run
 *    the query `guardrail sql --dialect duckdb` prints) and a bare
 *    load-and-group, with their times, peak RSS and Guardrail's ratios.
 * 3. A year of small days is built once (cached), then evaluateDay for the
 *    last day (every metric and breakdown, with an incident to localise) is
 *    timed in-process: median of several runs.
 */
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { cpus, tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { performance } from "node:perf_hooks";
import { generateFixtures, type FixtureFile } from "../fixtures/generate.js";
import { addDays, dsToEpochMs } from "../shared/dates.js";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const CACHE = join(ROOT, ".bench-cache");
const BIN = join(ROOT, "bin", "guardrail.js");
/** A Wednesday: an ordinary weekday at full volume. */
const BENCH_DS = "2026-03-04";
const GNU_TIME = "/usr/bin/time";

interface Args {
  quick: boolean;
  events: number;
  yearDays: number;
  yearEvents: number;
  runs: number;
  skipIngest: boolean;
  skipEvaluate: boolean;
  skipDuckdb: boolean;
  json: boolean;
}

function parseArgs(argv: string[]): Args {
  const quick = argv.includes("--quick");
  const value = (name: string, fallback: number): number => {
    const i = argv.indexOf(name);
    if (i < 0) return fallback;
    const n = Number(argv[i + 1]);
    if (!Number.isInteger(n) || n < 1) {
      process.stderr.write(`bench: ${name} expects a positive whole number, got "${argv[i + 1] ?? ""}".\n`);
      process.exit(2);
    }
    return n;
  };
  return {
    quick,
    events: value("--events", quick ? 200_000 : 2_000_000),
    yearDays: value("--year-days", quick ? 120 : 365),
    yearEvents: value("--year-events", 3_000),
    runs: value("--runs", quick ? 3 : 7),
    skipIngest: argv.includes("--skip-ingest"),
    skipEvaluate: argv.includes("--skip-evaluate"),
    skipDuckdb: argv.includes("--skip-duckdb"),
    json: argv.includes("--json"),
  };
}

const log = (line: string) => process.stderr.write(`bench: ${line}\n`);

/** Generates once; a marker written last means a half-written cache (Ctrl-C) is never reused. */
async function cachedFixtures(name: string, make: (dir: string) => Promise<FixtureFile[]>): Promise<{ files: FixtureFile[]; seconds: number | null }> {
  const dir = join(CACHE, name);
  const marker = join(dir, "done.json");
  if (existsSync(marker)) return { files: JSON.parse(readFileSync(marker, "utf8")), seconds: null };
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const t0 = performance.now();
  const files = await make(dir);
  const seconds = (performance.now() - t0) / 1000;
  writeFileSync(marker, JSON.stringify(files));
  return { files, seconds };
}

interface ChildRun {
  code: number | null;
  wallSeconds: number;
  stdout: string;
  stderr: string;
  maxRssKb: number | null;
}

function runChild(args: string[], env: NodeJS.ProcessEnv, script = BIN): Promise<ChildRun> {
  const useTime = existsSync(GNU_TIME);
  const [cmd, argv] = useTime
    ? [GNU_TIME, ["-v", process.execPath, script, ...args]]
    : [process.execPath, [join(ROOT, "lib", "bench", "rss-wrapper.js"), script, ...args]];
  return new Promise((resolveRun, reject) => {
    const t0 = performance.now();
    const child = spawn(cmd, argv, { cwd: ROOT, env, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    child.on("error", reject);
    child.on("close", (code) => {
      const wallSeconds = (performance.now() - t0) / 1000;
      const rss = /Maximum resident set size \(kbytes\): (\d+)/.exec(stderr);
      resolveRun({ code, wallSeconds, stdout, stderr, maxRssKb: rss ? Number(rss[1]) : null });
    });
  });
}

interface Row {
  measure: string;
  value: string;
  target?: string;
}

async function benchIngest(args: Args, rows: Row[], json: Record<string, unknown>): Promise<void> {
  // Wednesday's weekly factor is 1.02: size the weekday so the day lands near the requested count.
  const perDay = Math.round(args.events / 1.02);
  // "-visits": the day has the shape of real exports (sources on landings only, returns); older caches do not.
  const { files, seconds } = await cachedFixtures(`day-${args.events}-visits`, (dir) =>
    generateFixtures({ outDir: dir, days: 1, eventsPerDay: perDay, end: BENCH_DS, seed: 1 }),
  );
  const file = files[0];
  const mb = statSync(file.path).size / 1e6;
  rows.push({ measure: "fixture day", value: `${file.events.toLocaleString("en-US")} events, ${mb.toFixed(0)} MB NDJSON` });
  if (seconds !== null) rows.push({ measure: "fixture generation", value: `${seconds.toFixed(1)} s (${Math.round(file.events / seconds).toLocaleString("en-US")} events/s)` });

  const tmp = mkdtempSync(join(tmpdir(), "guardrail-bench-"));
  try {
    log(`ingesting ${file.events.toLocaleString("en-US")} events in a child process…`);
    const run = await runChild(["ingest", file.path, "--json", "--db", join(tmp, "bench.db")], { ...process.env });
    if (run.code !== 0 && run.code !== 3) {
      rows.push({ measure: "ingest end to end", value: `failed (exit ${run.code}): ${run.stderr.trim().split("\n").filter((l) => !l.startsWith("\t")).pop() ?? ""}` });
      return;
    }
    let result: { rows_loaded?: number; published?: boolean; timings?: Record<string, number> } = {};
    try {
      result = JSON.parse(run.stdout);
    } catch {
      // A non-JSON stdout is reported below as missing rows.
    }
    const rate = file.events / run.wallSeconds;
    rows.push({ measure: "ingest end to end (child process)", value: `${run.wallSeconds.toFixed(2)} s, exit ${run.code}, published ${result.published ?? "?"}` });
    rows.push({ measure: "ingest throughput", value: `${Math.round(rate).toLocaleString("en-US")} events/s`, target: "≥ 400,000 events/s" });
    rows.push({ measure: "peak RSS of the ingest process", value: run.maxRssKb === null ? "n/a" : `${(run.maxRssKb / 1024).toFixed(0)} MB`, target: "≤ 350 MB" });
    // The ingest JSON's `timings` (milliseconds) split the wall time into phases.
    const t = result.timings;
    const phases: Record<string, number> = {};
    if (t) {
      for (const [k, v] of Object.entries(t)) phases[k.replace(/_ms$/, "")] = v / 1000;
      const inside = Object.values(phases).reduce((a, b) => a + b, 0);
      phases.process_start_and_exit = run.wallSeconds - inside;
      rows.push({ measure: "  read + parse + validate + stage + aggregate (streamed)", value: `${phases.read.toFixed(2)} s` });
      rows.push({ measure: "  raw-partition checks", value: `${phases.audit.toFixed(2)} s` });
      rows.push({ measure: "  aggregation + metrics after the stream", value: `${(phases.aggregate + phases.metrics).toFixed(2)} s`, target: "≤ 1 s" });
      rows.push({ measure: "  publish", value: `${phases.publish.toFixed(2)} s` });
      rows.push({ measure: "  process start + exit", value: `${phases.process_start_and_exit.toFixed(2)} s` });
    } else {
      rows.push({ measure: "  phase split", value: "n/a (no timings in the ingest JSON)" });
    }
    json.ingest = { events: file.events, bytes: statSync(file.path).size, wall_seconds: run.wallSeconds, events_per_second: rate, max_rss_kb: run.maxRssKb, exit: run.code, phases };
    if (!args.skipDuckdb) await benchDuckdb(file, run, rows, json);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

/**
 * DuckDB on the same file, in a child process each (peak RSS apart from
 * ours): the same job (load, then the query `guardrail sql --dialect duckdb`
 * prints), and a bare load-and-group. Ratios are Guardrail's wall time over DuckDB's.
 */
async function benchDuckdb(file: FixtureFile, ours: ChildRun, rows: Row[], json: Record<string, unknown>): Promise<void> {
  const script = join(ROOT, "lib", "bench", "duck-child.js");
  const out: Record<string, unknown> = {};
  for (const [mode, label] of [["same", "DuckDB, the same job (load + guardrail sql)"], ["bare", "DuckDB, bare load + group"]] as const) {
    log(`DuckDB ${mode} job in a child process…`);
    const run = await runChild([mode, file.path, file.ds], { ...process.env }, script);
    if (run.code !== 0) {
      rows.push({ measure: label, value: `failed (exit ${run.code}): ${run.stderr.trim().split("\n").filter((l) => !l.startsWith("\t")).slice(-1)[0] ?? ""}` });
      continue;
    }
    const r = JSON.parse(run.stdout) as { load_ms: number; query_ms: number; rows: number };
    const ratio = ours.wallSeconds / run.wallSeconds;
    rows.push({ measure: label, value: `${run.wallSeconds.toFixed(2)} s (load ${(r.load_ms / 1000).toFixed(2)} s, query ${(r.query_ms / 1000).toFixed(2)} s), peak RSS ${run.maxRssKb === null ? "n/a" : `${(run.maxRssKb / 1024).toFixed(0)} MB`}` });
    rows.push({ measure: `  Guardrail / ${mode === "same" ? "DuckDB same job" : "DuckDB bare"}`, value: ratio.toFixed(2), target: mode === "same" ? "≤ 0.5" : "< 1 (stretch)" });
    out[mode] = { wall_seconds: run.wallSeconds, load_ms: r.load_ms, query_ms: r.query_ms, rows: r.rows, max_rss_kb: run.maxRssKb, guardrail_ratio: ratio };
  }
  json.duckdb = out;
}

async function benchEvaluate(args: Args, rows: Row[], json: Record<string, unknown>): Promise<void> {
  // Imported lazily: the ingest bench must not depend on the evaluate code loading.
  const { openDb } = await import("../store/db.js");
  const { defaultDatasetConfig } = await import("../config/load.js");
  const { ingestFiles } = await import("../ingest/pipeline.js");
  const { evaluateDay } = await import("../evaluate/index.js");
  const cfg = defaultDatasetConfig();
  const last = BENCH_DS;
  // Bump the suffix when the generated history changes, so a stale cache is not reused.
  const name = `year-${args.yearDays}x${args.yearEvents}-b3`;
  const dbPath = join(CACHE, `${name}.db`);
  const marker = `${dbPath}.done`;
  if (!existsSync(marker)) {
    for (const p of [dbPath, `${dbPath}-wal`, `${dbPath}-shm`]) rmSync(p, { force: true });
    log(`building ${args.yearDays} days of history (${args.yearEvents} events per weekday), cached in ${dbPath}…`);
    const { files } = await cachedFixtures(name, (dir) =>
      generateFixtures({
        outDir: dir,
        days: args.yearDays,
        eventsPerDay: args.yearEvents,
        end: last,
        seed: 2,
        // A failing guardrail on the judged day, and two app versions, so the timing
        // includes localisation (segment ranking) and version mode, not just the happy path.
        // Site-wide and large: at a few thousand events a day a segment-only drop is too noisy to fail.
        versions: ["v1", "v2"],
        incidents: [{ ds: last, metric: "signup_conversion_rate", change: -0.6 }],
      }),
    );
    const db = openDb(dbPath);
    const t0 = performance.now();
    for (const f of files) await ingestFiles(db, cfg, [f.path], { ds: f.ds, now: new Date(dsToEpochMs(f.ds) + 36 * 3_600_000) });
    db.close();
    log(`history built in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    writeFileSync(marker, new Date().toISOString());
  }
  const db = openDb(dbPath);
  try {
    const now = new Date(dsToEpochMs(addDays(last, 1)) + 12 * 3_600_000);
    const times: number[] = [];
    let status = "";
    let verdicts = 0;
    evaluateDay(db, cfg, { ds: last, now, persist: false }); // warm-up: statement preparation, page cache
    for (let i = 0; i < args.runs; i++) {
      const t0 = performance.now();
      const e = evaluateDay(db, cfg, { ds: last, now, persist: false });
      times.push(performance.now() - t0);
      status = e.status;
      verdicts = e.verdicts.length;
    }
    times.sort((a, b) => a - b);
    const median = times[Math.floor(times.length / 2)];
    rows.push({ measure: `evaluate one day vs ${args.yearDays} days of history`, value: `${median.toFixed(1)} ms median of ${args.runs} (min ${times[0].toFixed(1)}, max ${times[times.length - 1].toFixed(1)}); ${verdicts} verdicts, status ${status}`, target: "≤ 100 ms" });
    json.evaluate = { history_days: args.yearDays, runs_ms: times, median_ms: median, verdicts, status };
  } finally {
    db.close();
  }
}

function printTable(rows: Row[]): string {
  const w0 = Math.max(7, ...rows.map((r) => r.measure.length));
  const w1 = Math.max(5, ...rows.map((r) => r.value.length));
  const line = (a: string, b: string, c: string) => `| ${a.padEnd(w0)} | ${b.padEnd(w1)} | ${c} |`;
  return [line("measure", "value", "target"), `|${"-".repeat(w0 + 2)}|${"-".repeat(w1 + 2)}|--------|`, ...rows.map((r) => line(r.measure, r.value, r.target ?? ""))].join("\n");
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  if (!existsSync(join(ROOT, "lib", "cli", "index.js"))) {
    process.stderr.write("bench: lib/ is missing; run `npm run bench` (it builds first).\n");
    process.exit(2);
  }
  const rows: Row[] = [];
  const json: Record<string, unknown> = { node: process.version, cpus: cpus().length, cpu_model: cpus()[0]?.model, quick: args.quick };
  const guard = async (what: string, fn: () => Promise<void>) => {
    try {
      await fn();
    } catch (err) {
      rows.push({ measure: what, value: `failed: ${(err as Error).message.split("\n")[0]}` });
    }
  };
  if (!args.skipIngest) await guard("ingest", () => benchIngest(args, rows, json));
  if (!args.skipEvaluate) await guard("evaluate", () => benchEvaluate(args, rows, json));
  if (args.json) {
    process.stdout.write(JSON.stringify({ ...json, rows }, null, 2) + "\n");
  } else {
    process.stdout.write(`Guardrail benchmark${args.quick ? " (quick)" : ""}: node ${process.version}, ${cpus().length} × ${cpus()[0]?.model ?? "cpu"}\n\n${printTable(rows)}\n`);
  }
}

await main();
