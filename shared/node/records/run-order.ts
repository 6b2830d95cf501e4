// The order runs are listed in: by start, whatever order they were recorded in.

/** A run's start in ms, or NaN when it is no date (a number an update set is no date, though Date.parse reads one). */
export function startTime(start: unknown): number {
  return typeof start === 'string' ? Date.parse(start) : NaN;
}

/**
 * `items` oldest first by their run's start (`startOf`). Stable: runs started at the same instant keep their order. A
 * start that is no date (a hand-edited line, an update that set it so) counts as oldest.
 */
export function byStart<T>(items: T[], startOf: (item: T) => unknown): T[] {
  const at = (item: T) => {
    const t = startTime(startOf(item));
    return Number.isNaN(t) ? -Infinity : t;
  };
  return items.map((f) => ({ f, at: at(f) })).sort((a, b) => (a.at === b.at ? 0 : a.at < b.at ? -1 : 1)).map(({ f }) => f);
}
