/**
 * Groups rows by a numeric key, keeping their order: the second half of loading one
 * relation for a whole page of parents in a single query (no query per parent).
 */
export function groupRows<R, V>(
  rows: readonly R[],
  keyOf: (row: R) => number,
  valueOf: (row: R) => V,
): Map<number, V[]> {
  const groups = new Map<number, V[]>();
  for (const row of rows) {
    const key = keyOf(row);
    const group = groups.get(key);
    if (group === undefined) {
      groups.set(key, [valueOf(row)]);
    } else {
      group.push(valueOf(row));
    }
  }

  return groups;
}
