/**
 * Last-answer-wins, the wrong way round: two loads of one list in flight (a screen mounted twice quickly, a save
 * that reloads while the screen's first load is still pending, a filter changed on every arrow key) and the older
 * answer arriving last replaced the newer one. Each load takes a ticket when it starts and lands only while its
 * ticket is still the newest; a dropped load leaves the loading flag to the newer one, which clears it.
 */
export interface NewestLoad {
  /** Starts a load (or a write whose answer supersedes loads in flight): true from the returned check while nothing newer started. */
  start(): () => boolean;
}

/** One counter per list: loads of different lists do not drop each other. */
export function newestLoad(): NewestLoad {
  let newest = 0;
  return {
    start() {
      const mine = ++newest;
      return () => mine === newest;
    },
  };
}
