/**
 * The process environment as a command reads it (CliIO.env): a record with
 * no prototype (an inherited name such as "constructor" is never taken for
 * a variable), each variable taken from the C library once, when first read
 * (list at 10,000 credentials looks up 10,000 names), and all of them only
 * when something lists them (`list`'s env rows, exec's child environment,
 * a spread).
 *
 * Not a copy taken at start: that made a string pair and a table entry of
 * every variable, ~270 bytes of heap each, 10-30 KB in a desktop session or
 * a CI job, for the handful a `get` reads; with the rest of a read's heap it
 * crossed the size at which V8 collects (~0.7 ms of the read). Read-only, as
 * the type says: a write, or making it non-extensible (Object.freeze), throws.
 */
export function processEnv(source: NodeJS.ProcessEnv = process.env): Readonly<Record<string, string | undefined>> {
  const known = new Map<string, string | undefined>();
  let listed: string[] | undefined;
  const read = (name: string): string | undefined => {
    if (known.has(name)) return known.get(name);
    const value = Object.hasOwn(source, name) ? source[name] : undefined;
    known.set(name, value);
    return value;
  };
  const names = (): string[] => (listed ??= Object.keys(source).filter((name) => read(name) !== undefined));
  const target = Object.create(null) as Record<string, string | undefined>;
  const readOnly = () => false;
  return new Proxy(target, {
    get: (_, name) => (typeof name === 'string' ? read(name) : undefined),
    has: (_, name) => typeof name === 'string' && read(name) !== undefined,
    ownKeys: () => names(),
    getOwnPropertyDescriptor: (_, name) => {
      const value = typeof name === 'string' ? read(name) : undefined;
      return value === undefined ? undefined : { value, writable: false, enumerable: true, configurable: true };
    },
    set: readOnly,
    defineProperty: readOnly,
    deleteProperty: readOnly,
    setPrototypeOf: readOnly,
    // Made non-extensible, the empty target could no longer report the variables it does not hold: every listing threw.
    preventExtensions: readOnly,
  });
}
