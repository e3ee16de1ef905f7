import type { Command } from "commander";

/** A command adds itself to the program; `setExit` records the exit code of docs/cli.md. */
export type RegisterCommand = (program: Command, setExit: (code: number) => void) => void;
