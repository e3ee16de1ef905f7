/** `guardrail mark --ds D --reason "…"` (docs/verdicts.md, "Known special days"): a day that is not ordinary. */
import type { RegisterCommand } from "./types.js";
import { addGlobalOptions, makeContext, type GlobalOptions } from "../common.js";
import { UserError } from "../../shared/errors.js";
import { isValidDs, DS_BOUNDS } from "../../shared/dates.js";
import { markDay } from "../../store/marks.js";

export const mark: RegisterCommand = (program, setExit) => {
  addGlobalOptions(
    program
      .command("mark")
      .description("mark a day special (a holiday, a campaign, an outage outside the code): never a baseline day, never failing by itself")
      .requiredOption("--ds <date>", "the day, YYYY-MM-DD")
      .requiredOption("--reason <text>", 'why the day is special, e.g. "Black Friday"'),
  ).action((o: GlobalOptions & { ds: string; reason: string }) => {
    if (!isValidDs(o.ds)) throw new UserError(`--ds: expected a date as YYYY-MM-DD ${DS_BOUNDS}, got "${o.ds}".`);
    const reason = o.reason.trim();
    if (!reason) throw new UserError(`--reason: say why ${o.ds} is special, e.g. --reason "Black Friday".`);
    const ctx = makeContext(o);
    markDay(ctx.db(), ctx.dataset.name, o.ds, reason);
    ctx.out(
      `Marked ${o.ds} special for dataset ${ctx.dataset.name}: ${reason}. It is no longer a baseline day, and on its own it warns instead of failing.`,
      { dataset: ctx.dataset.name, ds: o.ds, reason },
    );
    setExit(0);
  });
};
