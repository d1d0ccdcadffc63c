// Power of two choices: sample two replicas that have room, send to the less loaded one.
// Pure: the router passes counts in and gets an index out.

/**
 * Picks a replica index among those with in-flight < limit, or -1 when all are full.
 * `random` is injectable so tests can be exact.
 */
export function chooseReplica(inFlight: readonly number[], limit: number, random: () => number = Math.random): number {
  const open: number[] = [];
  for (let i = 0; i < inFlight.length; i++) if (inFlight[i] < limit) open.push(i);
  if (open.length === 0) return -1;
  if (open.length === 1) return open[0];
  // Two distinct positions in `open`, uniformly.
  const i = Math.floor(random() * open.length);
  let j = Math.floor(random() * (open.length - 1));
  if (j >= i) j++;
  const a = open[i];
  const b = open[j];
  return inFlight[b] < inFlight[a] ? b : a;
}
