// STUB — owner: aggregate/metrics helper. Signature is the contract the ingest pipeline codes against.
import type { AggRow, EventRow } from "../shared/types.js";
import { DEFAULT_LEVELS, type LevelDef } from "./levels.js";

/** One pass over the events builds every level with exact distinct counts. */
export class Aggregator {
  constructor(readonly levels: LevelDef[] = DEFAULT_LEVELS) {}
  /** `channel` is the derived dim_channel of the event. */
  add(_e: EventRow, _channel: string): void {
    throw new Error("not implemented");
  }
  rows(_ds: string): AggRow[] {
    throw new Error("not implemented");
  }
}
