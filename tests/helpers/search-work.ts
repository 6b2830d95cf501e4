/** Array methods that search: inside a loop over n items, each is n steps, and the loop n². */
const SEARCHES = ['includes', 'indexOf', 'lastIndexOf', 'some', 'every', 'find', 'findIndex', 'findLast', 'findLastIndex'] as const;

/**
 * Runs `fn` and counts the array elements its searches could walk (the
 * length of every array searched, summed): a measure of the work with no
 * clock in it, so a test can bound it on a loaded machine. A linear pass
 * over n items counts about n; an `includes` inside a loop over them n².
 * Synchronous work only; the methods are restored before it returns.
 */
export function searchWork<T>(fn: () => T): { result: T; elements: number } {
  const proto = Array.prototype as unknown as Record<string, (...args: unknown[]) => unknown>;
  const originals = SEARCHES.map((name) => [name, proto[name]!] as const);
  let elements = 0;
  for (const [name, original] of originals) {
    proto[name] = function (this: unknown[], ...args: unknown[]) {
      elements += this.length;
      return original.apply(this, args);
    };
  }
  try {
    return { result: fn(), elements };
  } finally {
    for (const [name, original] of originals) proto[name] = original;
  }
}
