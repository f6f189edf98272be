// Turns of Node's event loop shared by the virtual boards of one thread. A board that yields (after writing to a
// socket, or every few ms of real time) waits here for its turn; boards resume one per turn, so the loop polls its
// sockets between any two of them. With a setImmediate each, every waiting board resumed in one turn: 50 boards of
// a fleet's thread ran ~80 ms back to back while their broker's answers sat unread in the sockets.
const waiting: (() => void)[] = [];

function nextTurn(): void {
  const resume = waiting.shift();
  if (waiting.length > 0) setImmediate(nextTurn);
  resume?.();
}

/** Resolves in a later turn of the event loop, after the boards that yielded before this one. */
export function yieldTurn(): Promise<void> {
  return new Promise((resolve) => {
    waiting.push(resolve);
    if (waiting.length === 1) setImmediate(nextTurn);
  });
}
