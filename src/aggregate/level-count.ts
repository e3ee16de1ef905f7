/**
 * One aggregation level's counts from events sorted by visitor (see
 * aggregator.ts): a single pass that gives every slice its events and exact
 * distinct visitors, then a pass over the events with a user, sorted by user,
 * for exact distinct users. Pure and allocation-light, so the aggregator can
 * run it for some levels on a second thread (level-thread.ts) over shared memory.
 */

/** Above this many possible keys a level maps keys to slots with a Map instead of a table. */
const DIRECT_TABLE_MAX = 1 << 22;

/** The events in visitor order: one column per GROUP_COLUMNS entry, and who did each. */
export interface SortedEvents {
  columns: Uint16Array[];
  visitors: Int32Array;
  /** User of each event, -1 when none. */
  users: Int32Array;
  /** Positions (in visitor order) of the events with a user, sorted by user. */
  userOrder: Int32Array;
  /** 1 where a visit starts (see visits.ts). */
  starts: Uint8Array;
}

/** A level: the indexes of its columns and the number of distinct values of each. */
export interface LevelJob {
  cols: number[];
  radix: number[];
}

/** Per slice (in ascending key order): its key (mixed radix over the columns) and its counts. */
export interface LevelCounts {
  keys: Float64Array;
  events: Int32Array;
  visitors: Int32Array;
  users: Int32Array;
  visits: Int32Array;
}

/** `slotOf` is scratch space of one Int32 per event (reused across levels). */
export function countLevel(job: LevelJob, data: SortedEvents, slotOf: Int32Array): LevelCounts {
  const { cols, radix } = job;
  const sorted = data.columns;
  const vis = data.visitors;
  const stride: number[] = [];
  let total = 1;
  for (const r of radix) {
    stride.push(total);
    total *= r;
  }
  const n = vis.length;
  const table = total <= DIRECT_TABLE_MAX ? new Int32Array(total).fill(-1) : null;
  const map = table ? null : new Map<number, number>();
  const keys: number[] = [];
  const events: number[] = [];
  const visitors: number[] = [];
  const visits: number[] = [];
  const starts = data.starts;
  const lastVisitor: number[] = [];

  // Up to four columns take the unrolled path; unused ones multiply by 0.
  const zero = sorted[0];
  const a = [0, 1, 2, 3].map((k) => (k < cols.length ? sorted[cols[k]] : zero));
  const s = [0, 1, 2, 3].map((k) => (k < cols.length ? stride[k] : 0));
  const [a0, a1, a2, a3] = a;
  const [s0, s1, s2, s3] = s;
  const extra = cols.slice(4);
  const newSlot = (key: number): number => {
    const slot = keys.length;
    keys.push(key);
    events.push(0);
    visitors.push(0);
    visits.push(0);
    lastVisitor.push(-1);
    return slot;
  };
  for (let j = 0; j < n; j++) {
    let key = a0[j] * s0 + a1[j] * s1 + a2[j] * s2 + a3[j] * s3;
    if (extra.length) for (let k = 0; k < extra.length; k++) key += sorted[extra[k]][j] * stride[4 + k];
    let slot: number;
    if (table) {
      slot = table[key];
      if (slot < 0) table[key] = slot = newSlot(key);
    } else {
      slot = map!.get(key) ?? -1;
      if (slot < 0) map!.set(key, (slot = newSlot(key)));
    }
    slotOf[j] = slot;
    events[slot]++;
    visits[slot] += starts[j];
    const v = vis[j];
    if (lastVisitor[slot] !== v) {
      lastVisitor[slot] = v;
      visitors[slot]++;
    }
  }

  const slots = keys.length;
  const usersPerSlot = new Int32Array(slots);
  const lastUser = new Int32Array(slots).fill(-1);
  const { users, userOrder } = data;
  for (let k = 0; k < userOrder.length; k++) {
    const j = userOrder[k];
    const slot = slotOf[j];
    const u = users[j];
    if (lastUser[slot] !== u) {
      lastUser[slot] = u;
      usersPerSlot[slot]++;
    }
  }

  const order = keys.map((_, i) => i).sort((x, y) => keys[x] - keys[y]);
  const out: LevelCounts = {
    keys: new Float64Array(slots),
    events: new Int32Array(slots),
    visitors: new Int32Array(slots),
    users: new Int32Array(slots),
    visits: new Int32Array(slots),
  };
  order.forEach((slot, i) => {
    out.keys[i] = keys[slot];
    out.events[i] = events[slot];
    out.visitors[i] = visitors[slot];
    out.users[i] = usersPerSlot[slot];
    out.visits[i] = visits[slot];
  });
  return out;
}
