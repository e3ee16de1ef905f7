/**
 * A copy of a string that does not share memory with the text it was sliced
 * from: a key kept in a long-lived Map must not pin a whole chunk of the
 * input. (V8 gives `s.slice()` of a long string a view into it; flattening a
 * concatenation makes new storage.)
 */
export function ownCopy(v: string): string {
  return (" " + v).slice(1);
}
