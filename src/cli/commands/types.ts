import type { Command } from "commander";

/** A command adds itself to the program; `setExit` records the exit code of DESIGN §11. */
export type RegisterCommand = (program: Command, setExit: (code: number) => void) => void;
