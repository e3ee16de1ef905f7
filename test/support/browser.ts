import { existsSync } from "node:fs";
import { delimiter, join } from "node:path";
import { chromium, type Browser } from "playwright-core";

// Flags for a headless Chromium on a closed network: without the background-networking
// ones, Chromium keeps trying (and failing) to reach Google's hosts.
const QUIET_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"];

/** Where the browser came from, so a failing test can say which one it drove. */
export interface LaunchedBrowser {
  browser: Browser;
  source: "system" | "npm";
}

/**
 * Launches a headless Chromium for the browser tests. Debian's `chromium` is used where it
 * is installed (CI installs it); otherwise the one inside the `@sparticuz/chromium` npm
 * package, whose tarball carries the binary, so `npm ci && npm test` works on a machine
 * with no browser and no download step. `GUARDRAIL_CHROMIUM` names another binary.
 */
export async function launchBrowser(): Promise<LaunchedBrowser> {
  const system = process.env.GUARDRAIL_CHROMIUM ?? onPath("chromium");
  if (system && existsSync(system)) {
    return { browser: await chromium.launch({ executablePath: system, args: QUIET_FLAGS }), source: "system" };
  }
  const packaged = (await import("@sparticuz/chromium")).default;
  const executablePath = await packaged.executablePath();
  // The package's own flag list is tuned for one page per Lambda (`--single-process`, which
  // hangs the second page of a test); the quiet flags are enough for a desktop-like run.
  return { browser: await chromium.launch({ executablePath, args: QUIET_FLAGS }), source: "npm" };
}

/** The first `name` on PATH (Debian installs its browser as `chromium`), or null. */
function onPath(name: string): string | null {
  for (const dir of (process.env.PATH ?? "").split(delimiter)) {
    const candidate = join(dir, name);
    if (dir && existsSync(candidate)) return candidate;
  }
  return null;
}
