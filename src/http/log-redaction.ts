/**
 * Credentials never reach the log. Under `npm start` (`probot run`) Probot's
 * request logger writes every request's URL, and with LOG_FORMAT=json its
 * headers too: the bearer tokens, the `guardrail_token` cookie and signed
 * dashboard links (`sig`) would all be in the log (docs/operations.md#logs).
 * Probot gives the app no handle on that logger, but pino loggers share their
 * root's output stream, so the app wraps that stream once and every line, of
 * every format, is redacted before it is written or pretty-printed.
 */

const SECRET_HEADER = /"(authorization|proxy-authorization|cookie|set-cookie|x-hub-signature(?:-256)?)"\s*:\s*(?:"(?:[^"\\]|\\.)*"|\[(?:[^\]"\\]|"(?:[^"\\]|\\.)*")*\])/gi;
const SIG_PARAM = /([?&](?:amp;)?sig=)[^&#"\s\\]*/gi;
const BEARER = /\b(Bearer\s+)[A-Za-z0-9._~+/=-]+/g;
const TOKEN_COOKIE = /(guardrail_token=)[^;"\s\\]*/g;

/** The text with credential headers, `sig=` values, bearer tokens and the token cookie masked. */
export function redactSecrets(text: string): string {
  return text
    .replace(SECRET_HEADER, '"$1":"[redacted]"')
    .replace(SIG_PARAM, "$1[redacted]")
    .replace(BEARER, "$1[redacted]")
    .replace(TOKEN_COOKIE, "$1[redacted]");
}

interface Writable {
  write(chunk: string): unknown;
}

const wrapped = new WeakSet<object>();

/**
 * Wraps the output stream of `logger`'s pino root so every line is redacted.
 * Returns false when the logger is not a pino logger (nothing to wrap).
 */
export function redactLoggerOutput(logger: object | null | undefined): boolean {
  for (let o: any = logger; o && o !== Object.prototype; o = Object.getPrototypeOf(o)) {
    const sym = Object.getOwnPropertySymbols(o).find((s) => s.description === "pino.stream");
    if (!sym) continue;
    const stream = o[sym] as Writable | undefined;
    if (!stream || typeof stream.write !== "function") return false;
    if (wrapped.has(stream)) return true;
    const proxy = new Proxy(stream as object, {
      get(target, prop, receiver) {
        if (prop === "write") return (chunk: unknown, ...rest: unknown[]) => (target as any).write(typeof chunk === "string" ? redactSecrets(chunk) : chunk, ...rest);
        const v = Reflect.get(target, prop, target);
        return typeof v === "function" ? v.bind(target) : v;
      },
    });
    wrapped.add(proxy);
    o[sym] = proxy;
    return true;
  }
  return false;
}
