/**
 * Compiles src/ to lib/ once for the whole test run. Several tests run the
 * compiled code (worker threads, the CLI in a child process); each used to
 * run tsc itself, several at once writing the same files.
 */
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

export default function setup(): void {
  const root = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
  try {
    execFileSync("npx", ["tsc", "-p", "."], { cwd: root, stdio: "ignore" });
  } catch {
    // Type errors elsewhere do not stop tsc from emitting; the check below is what matters.
  }
  if (!existsSync(join(root, "lib/cli/index.js"))) throw new Error("npx tsc -p . did not produce lib/cli/index.js");
}
