/**
 * An Aho-Corasick automaton over bytes, built once per set of values to
 * mask. Bytes that occur in no pattern share one input class, so the
 * transition table is states x (distinct pattern bytes + 1).
 */

/** Bytes of a pattern's start searched with indexOf to skip text that cannot begin a match. */
const NEEDLE = 4;

/** Largest dense transition table (entries) before the automaton walks failure links instead. */
const DENSE_LIMIT = 8 * 1024 * 1024;

/** The automaton's tables (read by the StreamMasker's inner loop). */
export interface Automaton {
  /** Input class of each byte value (0: in no pattern). */
  readonly classOf: Uint16Array;
  readonly classes: number;
  /** Longest pattern ending at each state (0: none): the match to mask when the state is reached. */
  readonly matchLen: Int32Array;
  /** Length of the longest pattern prefix each state stands for. */
  readonly depth: Int32Array;
  /** Next state for (state, class), or null when the table would be too large (then use `step`). */
  readonly dense: Int32Array | null;
  /** 1 for the first byte of a pattern (the only bytes that leave the start state), else 0. */
  readonly startsPattern: Uint8Array;
  /** The distinct first (up to) 4 bytes of the patterns: where a match can begin, found with indexOf. */
  readonly needles: readonly Buffer[];
  /** Next state for (state, byte class), walking failure links. */
  step(state: number, cls: number): number;
}

interface Trie {
  edges: Map<number, number>;
  fail: Int32Array;
  depth: Int32Array;
  ownLen: Int32Array;
  states: number;
}

function classify(patterns: readonly Uint8Array[]): { classOf: Uint16Array; classes: number } {
  const classOf = new Uint16Array(256);
  let classes = 1;
  for (const p of patterns) for (const b of p) if (!classOf[b]) classOf[b] = classes++;
  return { classOf, classes };
}

function buildTrie(patterns: readonly Uint8Array[], classOf: Uint16Array, classes: number): Trie {
  const total = patterns.reduce((n, p) => n + p.length, 1);
  const edges = new Map<number, number>();
  const depth = new Int32Array(total);
  const ownLen = new Int32Array(total);
  let states = 1;
  for (const p of patterns) {
    let s = 0;
    for (const b of p) {
      const key = s * classes + classOf[b]!;
      let next = edges.get(key);
      if (next === undefined) {
        next = states++;
        edges.set(key, next);
        depth[next] = depth[s]! + 1;
      }
      s = next;
    }
    ownLen[s] = p.length;
  }
  return { edges, fail: new Int32Array(states), depth: depth.subarray(0, states), ownLen: ownLen.subarray(0, states), states };
}

/** Breadth-first failure links and the longest match per state. */
function link(trie: Trie, classes: number): Int32Array {
  const { edges, fail, ownLen } = trie;
  const matchLen = new Int32Array(trie.states);
  const children: number[][] = Array.from({ length: trie.states }, () => []);
  for (const [key, child] of edges) children[Math.floor(key / classes)]!.push(key % classes, child);
  const queue: number[] = [0];
  for (let head = 0; head < queue.length; head++) {
    const s = queue[head]!;
    matchLen[s] = Math.max(ownLen[s]!, s ? matchLen[fail[s]!]! : 0);
    const list = children[s]!;
    for (let i = 0; i < list.length; i += 2) {
      const c = list[i]!;
      const child = list[i + 1]!;
      if (s) {
        let f = fail[s]!;
        while (f && !edges.has(f * classes + c)) f = fail[f]!;
        fail[child] = edges.get(f * classes + c) ?? 0;
      }
      queue.push(child);
    }
  }
  return matchLen;
}

/** Builds the automaton for `patterns` (empty ones are ignored). */
export function buildAutomaton(patterns: readonly Uint8Array[]): Automaton {
  const list = patterns.filter((p) => p.length > 0);
  const { classOf, classes } = classify(list);
  const trie = buildTrie(list, classOf, classes);
  const matchLen = link(trie, classes);
  const { edges, fail } = trie;
  const step = (state: number, cls: number): number => {
    let s = state;
    for (;;) {
      const next = cls ? edges.get(s * classes + cls) : undefined;
      if (next !== undefined) return next;
      if (s === 0) return 0;
      s = fail[s]!;
    }
  };
  let dense: Int32Array | null = null;
  if (trie.states * classes <= DENSE_LIMIT) {
    dense = new Int32Array(trie.states * classes);
    // States in breadth-first order have their failure state's row filled first.
    const order = [...Array(trie.states).keys()].sort((a, b) => trie.depth[a]! - trie.depth[b]!);
    for (const s of order) {
      for (let c = 1; c < classes; c++) {
        const next = edges.get(s * classes + c);
        dense[s * classes + c] = next ?? (s ? dense[fail[s]! * classes + c]! : 0);
      }
    }
  }
  const startsPattern = new Uint8Array(256);
  for (const p of list) startsPattern[p[0]!] = 1;
  const needles = new Map(list.map((p) => [Buffer.from(p.subarray(0, NEEDLE)).toString('latin1'), Buffer.from(p.subarray(0, NEEDLE))]));
  return { classOf, classes, matchLen, depth: trie.depth, dense, step, startsPattern, needles: [...needles.values()] };
}
