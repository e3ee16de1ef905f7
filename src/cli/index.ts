/**
 * `guardrail` command line (docs/cli.md). Each command lives in its own file
 * under commands/; this file wires them and maps errors to exit codes:
 * a UserError prints its one sentence, anything else is a bug and says so.
 */
import { Command, CommanderError } from "commander";
import { isUserError, describeError } from "../shared/errors.js";
import { COMMANDS } from "./commands/index.js";
import { readFileSync } from "node:fs";

/** The package's version; src/cli and lib/cli are both two levels below package.json. */
export function packageVersion(): string {
  return (JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as { version: string }).version;
}

export async function main(argv: string[]): Promise<number> {
  const program = new Command("guardrail")
    .description("Guardrail: audit daily website events, judge the business metrics, and gate code on GitHub.")
    .version(packageVersion(), "-V, --version", "print the version of guardrail")
    .showHelpAfterError("(run guardrail --help for usage)")
    .exitOverride();
  let exitCode = 0;
  for (const register of COMMANDS) {
    register(program, (code) => {
      exitCode = code;
    });
  }
  try {
    await program.parseAsync(argv);
    return exitCode;
  } catch (err) {
    if (err instanceof CommanderError) {
      // Help and version are successes; everything else commander rejects is a usage error.
      if (err.code === "commander.helpDisplayed" || err.code === "commander.version" || err.code === "commander.help") return 0;
      // Commander's own code is 1; a command may set its usage-error code (gate: 3, docs/cli.md).
      return err.exitCode > 1 ? err.exitCode : 2;
    }
    if (isUserError(err)) {
      process.stderr.write(`guardrail: ${err.message}\n`);
      return err.exitCode;
    }
    process.stderr.write(`guardrail: unexpected error: ${describeError(err)}\n`);
    if (process.env.GUARDRAIL_DEBUG) process.stderr.write(`${(err as Error).stack}\n`);
    return 2;
  }
}
