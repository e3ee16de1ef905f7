// The Guardrail deploy gate as a GitHub Action (action.yml; docs/deploy-gate.md).
// Plain Node 20 with no dependencies, so the runner executes it straight from the checkout of this
// repository: nothing is installed, nothing fetched but the service's answer.
//
// It asks GET /api/guardrail/gate?repo=&sha= and turns the answer into the step's outcome:
// open passes, blocked fails, unknown fails unless on-unknown is pass, and every error
// (401, unreachable, timeout, an answer that is not the gate's JSON, a bad input) fails.
import { appendFileSync } from "node:fs";
import { randomUUID } from "node:crypto";
import { pathToFileURL } from "node:url";

const GATE_PATH = "/api/guardrail/gate";
const STATES = new Set(["open", "blocked", "unknown"]);

/** A failure the step reports in one sentence (state "error"). */
class GateError extends Error {
  constructor(message, { timedOut = false } = {}) {
    super(message);
    this.timedOut = timedOut;
  }
}

/** The runner passes input `on-unknown` as INPUT_ON-UNKNOWN (upper case, spaces as underscores). */
export function input(env, name) {
  return (env[`INPUT_${name.replace(/ /g, "_").toUpperCase()}`] ?? "").trim();
}

export function readInputs(env) {
  const url = input(env, "url");
  const token = input(env, "token");
  const repository = input(env, "repository") || (env.GITHUB_REPOSITORY ?? "").trim();
  const sha = input(env, "sha") || (env.GITHUB_SHA ?? "").trim();
  const onUnknown = input(env, "on-unknown") || "fail";
  const timeoutText = input(env, "timeout") || "30";
  const waitText = (input(env, "wait") || "false").toLowerCase();
  const intervalText = input(env, "poll-interval") || "15";
  if (!url) throw new GateError('input "url" is empty: expected the Guardrail service\'s base URL, e.g. https://guardrail.example.com.');
  let base;
  try {
    base = new URL(url);
  } catch {
    throw new GateError(`input "url" is "${url.slice(0, 200)}": expected the service's base URL, e.g. https://guardrail.example.com.`);
  }
  if (base.protocol !== "http:" && base.protocol !== "https:") throw new GateError(`input "url" is "${url.slice(0, 200)}": expected an http:// or https:// URL.`);
  if (!token) throw new GateError('input "token" is empty: pass the read token from a secret, e.g. token: ${{ secrets.GUARDRAIL_READ_TOKEN }}.');
  if (!repository) throw new GateError('input "repository" is empty and GITHUB_REPOSITORY is not set: expected owner/name.');
  if (!sha) throw new GateError('input "sha" is empty and GITHUB_SHA is not set: expected the full commit SHA.');
  if (onUnknown !== "fail" && onUnknown !== "pass") throw new GateError(`input "on-unknown" is "${onUnknown.slice(0, 50)}": expected fail or pass.`);
  const timeout = Number(timeoutText);
  if (!Number.isFinite(timeout) || timeout <= 0) throw new GateError(`input "timeout" is "${timeoutText.slice(0, 50)}": expected a positive number of seconds.`);
  if (waitText !== "true" && waitText !== "false") throw new GateError(`input "wait" is "${waitText.slice(0, 50)}": expected true or false.`);
  const interval = Number(intervalText);
  if (!Number.isFinite(interval) || interval <= 0) throw new GateError(`input "poll-interval" is "${intervalText.slice(0, 50)}": expected a positive number of seconds.`);
  base.pathname = base.pathname.replace(/\/+$/, "") + GATE_PATH;
  base.search = new URLSearchParams({ repo: repository, sha }).toString();
  return { gateUrl: base, token, repository, sha, onUnknown, timeoutMs: timeout * 1000, wait: waitText === "true", intervalMs: interval * 1000 };
}

/** One question to the gate; every way it can go wrong becomes a GateError sentence. */
export async function askGate(gateUrl, token, timeoutMs) {
  const where = `${gateUrl.origin}${gateUrl.pathname}`;
  let res;
  let text;
  try {
    const signal = AbortSignal.timeout(Math.max(1, Math.round(timeoutMs)));
    res = await fetch(gateUrl, { headers: { authorization: `Bearer ${token}`, accept: "application/json" }, signal });
    text = await res.text();
  } catch (err) {
    const timedOut = err?.name === "TimeoutError";
    const why = timedOut ? `no answer within ${Math.round(timeoutMs) / 1000} s` : (err?.cause?.code ?? err?.cause?.message ?? err?.message);
    throw new GateError(`cannot reach the Guardrail gate at ${where} (${why}).`, { timedOut });
  }
  if (res.status === 401) throw new GateError(`the Guardrail gate at ${where} refused the token (HTTP 401): pass the service's read token (GUARDRAIL_READ_TOKEN) as input "token".`);
  let body;
  try {
    body = JSON.parse(text);
  } catch {
    throw new GateError(`the Guardrail gate at ${where} answered HTTP ${res.status} with something that is not JSON; is input "url" the Guardrail service?`);
  }
  if (!res.ok) {
    const message = typeof body?.error === "string" ? `: ${body.error}` : ".";
    throw new GateError(`the Guardrail gate at ${where} answered HTTP ${res.status}${message}`);
  }
  if (!body || typeof body !== "object" || !STATES.has(body.state) || !Array.isArray(body.reasons) || !body.reasons.every((r) => typeof r === "string"))
    throw new GateError(`the Guardrail gate at ${where} answered JSON without a state of open, blocked or unknown and a list of reasons.`);
  return body;
}

/**
 * Asks once, or with `wait` until the answer is not unknown or the time is up. Then the last unknown
 * stands: a later question cut off by the deadline does not turn the service's honest "unknown" into an
 * error (any other failure of a later question still does).
 */
export async function decide(inputs, now = () => Date.now()) {
  const deadline = now() + inputs.timeoutMs;
  let last = null;
  for (;;) {
    let answer;
    try {
      answer = await askGate(inputs.gateUrl, inputs.token, Math.max(deadline - now(), 1));
    } catch (err) {
      if (last && err instanceof GateError && err.timedOut) return last;
      throw err;
    }
    if (answer.state !== "unknown" || !inputs.wait || deadline - now() <= inputs.intervalMs) return answer;
    last = answer;
    await new Promise((resolve) => setTimeout(resolve, inputs.intervalMs));
  }
}

/** Text that came from the service goes into Markdown as text: no HTML, links, tables or emphasis. */
export function escapeMarkdown(text) {
  return String(text)
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/[\\`*_{}[\]()#+\-.!|~]/g, (c) => `\\${c}`)
    .replace(/\r?\n/g, " ");
}

/** The link as an http(s) URL, or "" for anything else (a javascript: link never reaches an output). */
export function httpUrl(url) {
  if (typeof url !== "string" || !url) return "";
  let parsed;
  try {
    parsed = new URL(url);
  } catch {
    return "";
  }
  return parsed.protocol === "http:" || parsed.protocol === "https:" ? parsed.href : "";
}

/** Only an http(s) link goes into the summary, and nothing in it can close the Markdown link. */
export function safeLink(url) {
  const href = httpUrl(url);
  return href ? href.replace(/\(/g, "%28").replace(/\)/g, "%29") : null;
}

const HEADLINE = {
  open: "open: this commit may be deployed",
  blocked: "blocked: a guardrail is failing",
  unknown: "unknown: no verdict for this commit yet",
  error: "error: the gate could not be asked",
};

export function summary(outcome, inputs) {
  const lines = [`### Guardrail deploy gate: ${HEADLINE[outcome.state]}`, ""];
  if (inputs) lines.push(`Repository ${escapeMarkdown(inputs.repository)} at ${escapeMarkdown(inputs.sha.slice(0, 12))}${outcome.ds ? `, metrics of ${escapeMarkdown(outcome.ds)}` : ""}.`, "");
  for (const r of outcome.reasons) lines.push(`- ${escapeMarkdown(r)}`);
  if (outcome.reasons.length) lines.push("");
  if (outcome.state === "unknown") lines.push(outcome.passed ? "on-unknown is pass: the step passes." : "on-unknown is fail: the step fails.", "");
  const link = safeLink(outcome.detailsUrl);
  if (link) lines.push(`[Open the dashboard](${link})`, "");
  return lines.join("\n") + "\n";
}

/** `name<<DELIMITER` form, so a value with new lines stays one output. */
function outputEntry(name, value) {
  let delimiter = `ghadelimiter_${randomUUID()}`;
  while (value.includes(delimiter)) delimiter = `ghadelimiter_${randomUUID()}`;
  return `${name}<<${delimiter}\n${value}\n${delimiter}\n`;
}

/** Workflow commands take their data on one line, with %, CR and LF escaped. */
function command(name, message) {
  const data = message.replace(/%/g, "%25").replace(/\r/g, "%0D").replace(/\n/g, "%0A");
  return `::${name}::${data}\n`;
}

/** Runs the step with the environment the runner sets; returns the exit code. */
export async function run(env = process.env, out = process.stdout) {
  let inputs;
  let outcome;
  try {
    inputs = readInputs(env);
    const answer = await decide(inputs);
    const passed = answer.state === "open" || (answer.state === "unknown" && inputs.onUnknown === "pass");
    outcome = { state: answer.state, reasons: answer.reasons, detailsUrl: httpUrl(answer.details_url), ds: answer.ds ?? null, passed };
  } catch (err) {
    if (!(err instanceof GateError)) throw err;
    outcome = { state: "error", reasons: [err.message], detailsUrl: "", ds: null, passed: false };
  }
  if (env.GITHUB_OUTPUT)
    appendFileSync(env.GITHUB_OUTPUT, outputEntry("state", outcome.state) + outputEntry("reasons", outcome.reasons.join("\n")) + outputEntry("details-url", outcome.detailsUrl));
  if (env.GITHUB_STEP_SUMMARY) appendFileSync(env.GITHUB_STEP_SUMMARY, summary(outcome, inputs));
  // The runner reads every stdout line that starts with "::" as a command: what the service sent stays on its own line.
  const oneLine = (text) => String(text).replace(/[\r\n]+/g, " ");
  out.write(`Guardrail gate: ${HEADLINE[outcome.state]}\n`);
  for (const r of outcome.reasons) out.write(`  - ${oneLine(r)}\n`);
  if (outcome.detailsUrl) out.write(`  details: ${oneLine(outcome.detailsUrl)}\n`);
  if (outcome.state === "error") out.write(command("error", `Guardrail gate: ${outcome.reasons[0]}`));
  else if (outcome.state === "blocked") out.write(command("error", `Guardrail gate: blocked. ${outcome.reasons.join(" ")}`));
  else if (outcome.state === "unknown") out.write(command(outcome.passed ? "warning" : "error", `Guardrail gate: unknown (on-unknown: ${inputs.onUnknown}). ${outcome.reasons.join(" ")}`));
  return outcome.passed ? 0 : 1;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  run().then(
    (code) => {
      process.exitCode = code;
    },
    (err) => {
      // Not a GateError: a bug in this file. Say so in one line and fail the step.
      process.stdout.write(command("error", `Guardrail gate: internal error in the action: ${err?.message ?? err}`));
      process.exitCode = 1;
    },
  );
}
