/** Probot's pino logger as the one `Log` (src/shared/log.ts): pino takes the fields first, the message second. */
import type { Log } from "../shared/log.js";

interface Pino {
  info(obj: unknown, msg?: string): void;
  warn(obj: unknown, msg?: string): void;
  error(obj: unknown, msg?: string): void;
}

export function fromPino(log: Pino): Log {
  const at = (level: keyof Pino) => (msg: string, context?: Record<string, unknown>) => (context ? log[level](context, msg) : log[level](msg));
  return { info: at("info"), warn: at("warn"), error: at("error") };
}
