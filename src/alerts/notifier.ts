/**
 * Fire-and-forget delivery to a chat incoming webhook, with retries and a
 * per-attempt timeout. The webhook URL is a secret (whoever has it can post to
 * the channel): it never appears in a log line or an error, only "chat webhook".
 */
import { stderrLog, type Log as AlertLog } from "../shared/log.js";

export { stderrLog };
import { chatDeliveries } from "../shared/telemetry.js";

export interface NotifierOptions {
  /** Total tries per message (default 3). */
  attempts?: number;
  /** Wait before retry n (ms); exponential by default: 500, 2000. */
  delaysMs?: number[];
  /** Abort an attempt after this long (default 5000 ms). */
  timeoutMs?: number;
  log?: AlertLog;
}

export interface DeliveryResult {
  ok: boolean;
  attempts: number;
  /** Host-less reason of the last failure: "HTTP 500", "timeout", "network error (ECONNREFUSED)". */
  error?: string;
  /** What the message was about, for logs ("breach notice for dataset default"). */
  label: string;
}

/** A reason that cannot leak the URL: status codes and error codes only. */
function failureReason(err: unknown): string {
  if (err instanceof Error && (err.name === "TimeoutError" || err.name === "AbortError")) return "timeout";
  const cause = (err as { cause?: { code?: unknown } } | null)?.cause;
  const code = cause && typeof cause.code === "string" ? cause.code : null;
  return code ? `network error (${code})` : "network error";
}

/** Retry on server trouble and rate limits; other 4xx (revoked hook, bad payload) will not get better. */
function retryable(status: number): boolean {
  return status >= 500 || status === 429 || status === 408;
}

export class Notifier {
  private readonly attempts: number;
  private readonly delaysMs: number[];
  private readonly timeoutMs: number;
  private readonly log: AlertLog;
  private readonly pending = new Set<Promise<DeliveryResult>>();
  /** Every finished delivery, newest last (kept short: the service runs for months). */
  readonly history: DeliveryResult[] = [];

  constructor(opts: NotifierOptions = {}) {
    this.attempts = Math.max(1, opts.attempts ?? 3);
    this.delaysMs = opts.delaysMs ?? [500, 2000];
    this.timeoutMs = opts.timeoutMs ?? 5000;
    this.log = opts.log ?? stderrLog;
  }

  /** Starts the delivery and returns at once; the promise never rejects. */
  send(url: string, payload: unknown, label = "notification"): Promise<DeliveryResult> {
    const p = this.deliver(url, JSON.stringify(payload), label).then((r) => {
      chatDeliveries.inc({ outcome: r.ok ? "delivered" : "failed" });
      this.pending.delete(p);
      this.history.push(r);
      if (this.history.length > 100) this.history.shift();
      return r;
    });
    this.pending.add(p);
    return p;
  }

  /** Resolves when every delivery started so far has finished (tests, CLI exit). */
  async flush(): Promise<DeliveryResult[]> {
    return Promise.all([...this.pending]);
  }

  private async deliver(url: string, body: string, label: string): Promise<DeliveryResult> {
    let error = "";
    for (let attempt = 1; attempt <= this.attempts; attempt++) {
      try {
        const res = await fetch(url, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body,
          signal: AbortSignal.timeout(this.timeoutMs),
        });
        await res.arrayBuffer().catch(() => undefined); // free the socket
        if (res.ok) {
          this.log.info(`chat webhook: delivered ${label}${attempt > 1 ? ` (attempt ${attempt})` : ""}`);
          return { ok: true, attempts: attempt, label };
        }
        error = `HTTP ${res.status}`;
        if (!retryable(res.status)) {
          this.log.warn(`chat webhook: ${label} refused (${error}); not retrying — check the webhook configuration`);
          return { ok: false, attempts: attempt, error, label };
        }
      } catch (err) {
        error = failureReason(err);
      }
      if (attempt < this.attempts) {
        const wait = this.delaysMs[Math.min(attempt - 1, this.delaysMs.length - 1)] ?? 0;
        this.log.warn(`chat webhook: ${label} attempt ${attempt}/${this.attempts} failed (${error}); retrying in ${wait} ms`);
        await new Promise((r) => setTimeout(r, wait));
      }
    }
    this.log.warn(`chat webhook: ${label} not delivered after ${this.attempts} attempts (${error})`);
    return { ok: false, attempts: this.attempts, error, label };
  }
}

/** The notifier of the running process (the service and the CLI share one per process). */
let shared: Notifier | null = null;
export function defaultNotifier(): Notifier {
  return (shared ??= new Notifier());
}

/** Waits for pending chat deliveries of the process-wide notifier (call before a CLI exits). */
export function flushNotifications(): Promise<DeliveryResult[]> {
  return shared ? shared.flush() : Promise.resolve([]);
}
