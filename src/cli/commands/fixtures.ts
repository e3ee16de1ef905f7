/**
 * `guardrail fixtures` (docs/cli.md): realistic daily exports with weekly and
 * hourly seasonality, funnel rates and optional incidents. Never opens the store.
 */
import { acceptUnusedOptions, addJsonOption, toJson } from "../common.js";
import { UserError } from "../../shared/errors.js";
import { generateFixtures, parseCanary, parseIncident } from "../../fixtures/generate.js";
import type { RegisterCommand } from "./types.js";

interface FixturesFlags {
  out?: string;
  days?: string;
  eventsPerDay?: string;
  seed?: string;
  end?: string;
  incident: string[];
  format?: string;
  gzip?: boolean;
  versions?: string;
  canary: string[];
  json?: boolean;
}

/** A whole number from a flag, or one sentence naming the flag. */
export function intFlag(name: string, text: string | undefined, fallback?: number): number {
  if (text === undefined) {
    if (fallback !== undefined) return fallback;
    throw new UserError(`${name} is required.`);
  }
  if (!/^-?\d+$/.test(text.trim())) throw new UserError(`${name}: expected a whole number, got "${text}".`);
  return Number(text);
}

export const fixtures: RegisterCommand = (program, setExit) => {
  acceptUnusedOptions(addJsonOption(
    program
      .command("fixtures")
      .description("Write realistic daily exports (one file per day under OUT/ds=YYYY-MM-DD/) with weekly and hourly seasonality.")
      .option("--out <dir>", "output folder")
      .option("--days <n>", "number of days, ending at --end")
      .option("--events-per-day <n>", "events on an ordinary weekday (weekends get about 35 % fewer)")
      .option("--seed <n>", "random seed; the same seed gives byte-identical files", "1")
      .option("--end <ds>", "last day (default: yesterday, UTC)")
      .option("--incident <spec>", "D:METRIC:CHANGE[:DIM=VALUE], e.g. 2026-11-05:signup_conversion_rate:-0.4:dim_device_brand=iPhone (repeatable)", (v: string, acc: string[]) => [...acc, v], [] as string[])
      .option("--format <format>", "ndjson or csv", "ndjson")
      .option("--gzip", "gzip each file")
      .option("--versions <list>", "comma-separated app_version values to spread traffic over, e.g. v1,v2")
      .option(
        "--canary <spec>",
        "D:VERSION:SHARE[:FROM-TO]: serve build VERSION to SHARE of the visitors of hours FROM..TO-1 on day D, e.g. 2026-11-05:3f2a9c1:0.1:10-16 (repeatable)",
        (v: string, acc: string[]) => [...acc, v],
        [] as string[],
      ),
  ), ["db", "dataset", "config"]).action(async (flags: FixturesFlags) => {
    if (!flags.out) throw new UserError("--out is required: the folder to write the daily files into.");
    if (flags.format !== "ndjson" && flags.format !== "csv") throw new UserError(`--format: expected ndjson or csv, got "${flags.format}".`);
    const files = await generateFixtures({
      outDir: flags.out,
      days: intFlag("--days", flags.days),
      eventsPerDay: intFlag("--events-per-day", flags.eventsPerDay),
      seed: intFlag("--seed", flags.seed, 1),
      end: flags.end,
      incidents: flags.incident.map(parseIncident),
      format: flags.format,
      gzip: flags.gzip ?? false,
      versions: flags.versions ? flags.versions.split(",").map((v) => v.trim()).filter(Boolean) : undefined,
      canaries: flags.canary.map(parseCanary),
      onDay: (f) => {
        if (!flags.json && process.stderr.isTTY) process.stderr.write(`wrote ${f.ds} (${f.events} events)\n`);
      },
    });
    const total = files.reduce((s, f) => s + f.events, 0);
    if (flags.json) {
      process.stdout.write(toJson({ out: flags.out, days: files.length, events: total, files }) + "\n");
    } else {
      const lines = files.map((f) => `${f.ds}  ${String(f.events).padStart(9)}  ${f.path}`);
      process.stdout.write(`${lines.join("\n")}\n${files.length} files, ${total} events in ${flags.out}\n`);
    }
    setExit(0);
  });
};
