/**
 * `guardrail gate --repo O/R --sha SHA [--url URL] [--token T] [--fail-on-unknown]`
 * (docs/cli.md): asks a running bot whether a deploy may go. Exit 0 open,
 * 1 blocked, 2 unknown (`--fail-on-unknown`: 1), 3 error — the outcomes of the
 * action in action.yml, so "let unknown through" never lets an error through.
 */
import { CommanderError } from "commander";
import type { RegisterCommand } from "./types.js";
import { acceptUnusedOptions, addJsonOption, parseAsOf, toJson } from "../common.js";
import { UserError } from "../../shared/errors.js";
import { parseGateQuery, GATE_PATH } from "../../http/gate-route.js";
import type { GateAnswer } from "../../shared/types.js";
import { metricsOfWords } from "../../present/decision.js";

interface GateCliOptions {
  repo?: string;
  sha?: string;
  url?: string;
  token?: string;
  failOnUnknown?: boolean;
  timeout: string;
  json?: boolean;
  asOf?: string;
}

const STATES = new Set(["open", "blocked", "unknown"]);

/** Auth, unreachable, timeout, a malformed answer or a bad flag: never mistaken for "unknown" (2). */
export const GATE_ERROR_EXIT = 3;

/** A gate failure: one sentence, exit 3. */
const gateError = (message: string) => new UserError(message, GATE_ERROR_EXIT);

export function exitCodeFor(state: GateAnswer["state"], failOnUnknown: boolean): number {
  if (state === "open") return 0;
  if (state === "blocked") return 1;
  return failOnUnknown ? 1 : 2;
}

function gateUrl(base: string, repo: string, sha: string): URL {
  let url: URL;
  try {
    url = new URL(base);
  } catch {
    throw gateError(`--url "${base}": expected the bot's base URL, e.g. https://guardrail.example.com.`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") throw gateError(`--url "${base}": expected an http:// or https:// URL.`);
  url.pathname = url.pathname.replace(/\/+$/, "") + GATE_PATH;
  url.search = new URLSearchParams({ repo, sha }).toString();
  return url;
}

/** Calls the HTTP gate; every failure becomes one sentence (exit 3). */
export async function fetchGate(base: string, token: string, repo: string, sha: string, timeoutMs: number, asOf?: Date): Promise<GateAnswer> {
  const url = gateUrl(base, repo, sha);
  if (asOf) url.searchParams.set("as_of", asOf.toISOString());
  const where = `${url.origin}${url.pathname}`;
  let res: Response;
  try {
    res = await fetch(url, { headers: { authorization: `Bearer ${token}`, accept: "application/json" }, signal: AbortSignal.timeout(timeoutMs) });
  } catch (err) {
    const e = err as Error & { cause?: { code?: string; message?: string } };
    const why = e.name === "TimeoutError" ? `no answer within ${timeoutMs / 1000} s` : (e.cause?.code ?? e.cause?.message ?? e.message);
    throw gateError(`cannot reach the Guardrail gate at ${where} (${why}).`);
  }
  const text = await res.text().catch(() => "");
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw gateError(`the Guardrail gate at ${where} answered HTTP ${res.status} with something that is not JSON; is --url the Guardrail service?`);
  }
  const message = (body as { error?: unknown })?.error;
  if (res.status === 401) throw gateError(`the Guardrail gate at ${where} refused the token (HTTP 401): pass the read token with --token or $GUARDRAIL_READ_TOKEN.`);
  if (!res.ok) throw gateError(`the Guardrail gate at ${where} answered HTTP ${res.status}${typeof message === "string" ? `: ${message}` : "."}`);
  const answer = body as GateAnswer;
  if (!answer || !STATES.has(answer.state) || !Array.isArray(answer.reasons))
    throw gateError(`the Guardrail gate at ${where} answered JSON without a state of open, blocked or unknown.`);
  return answer;
}

export function renderGate(answer: GateAnswer): string {
  const lines = [`${answer.state.toUpperCase()}${answer.ds ? ` (${metricsOfWords(answer)})` : ""}`];
  for (const r of answer.reasons) lines.push(`  - ${r}`);
  if (answer.details_url) lines.push(`  details: ${answer.details_url}`);
  return lines.join("\n") + "\n";
}

export const gate: RegisterCommand = (program, setExit) => {
  const cmd = program
    .command("gate")
    .description("ask a running Guardrail bot whether a commit may be deployed (exit 0 open, 1 blocked, 2 unknown, 3 error)")
    .option("--repo <owner/name>", "the repository, e.g. acme/web")
    .option("--sha <sha>", "the full commit SHA to deploy")
    .option("--url <url>", "the bot's base URL (default $GUARDRAIL_URL)")
    .option("--token <token>", "the read token (default $GUARDRAIL_READ_TOKEN)")
    .option("--fail-on-unknown", "exit 1 instead of 2 when there is no verdict")
    .option("--timeout <seconds>", "give up after this many seconds", "30")
    .option("--as-of <timestamp>", "decide as of this time (staleness and which days had ended); default now");
  acceptUnusedOptions(addJsonOption(cmd), ["db", "dataset", "config"]);
  // A usage error here (an unknown flag, a missing value) is an error of the gate: exit 3, not 2 (unknown).
  cmd.exitOverride((err) => {
    throw err.exitCode === 0 ? err : new CommanderError(GATE_ERROR_EXIT, err.code, err.message);
  });
  cmd.action(async (opts: GateCliOptions) => {
    const parsed = parseGateQuery({ repo: opts.repo ?? "", sha: opts.sha ?? "" });
    if ("error" in parsed) throw gateError(parsed.error.replace(/^query parameter "(\w+)"/, "--$1"));
    const url = opts.url ?? process.env.GUARDRAIL_URL;
    if (!url) throw gateError("no gate URL: pass --url or set $GUARDRAIL_URL to the bot's base URL.");
    const token = opts.token ?? process.env.GUARDRAIL_READ_TOKEN;
    if (!token) throw gateError("no read token: pass --token or set $GUARDRAIL_READ_TOKEN.");
    const timeout = Number(opts.timeout);
    if (!Number.isFinite(timeout) || timeout <= 0) throw gateError(`--timeout "${opts.timeout}": expected a positive number of seconds.`);
    let asOf: Date | undefined;
    try {
      asOf = parseAsOf(opts.asOf);
    } catch (err) {
      throw gateError((err as Error).message);
    }
    const answer = await fetchGate(url, token, parsed.repo, parsed.sha, timeout * 1000, asOf);
    process.stdout.write(opts.json ? toJson(answer) + "\n" : renderGate(answer));
    setExit(exitCodeFor(answer.state, !!opts.failOnUnknown));
  });
};
