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

/**
 * Where a call for a model goes when no replica with room holds it: the least loaded replica with room, and
 * among equally loaded ones the one holding the fewest models (its cache has the most room, so loading one
 * more there evicts the least), the rest of a tie broken at random (so that routers in different threads do
 * not all pile onto the first). -1 when every replica is full.
 */
export function chooseFallback(inFlight: readonly number[], modelCounts: readonly number[], limit: number, random: () => number = Math.random): number {
  let best = -1;
  let ties = 0;
  for (let i = 0; i < inFlight.length; i++) {
    if (inFlight[i] >= limit) continue;
    const better = best < 0 || inFlight[i] < inFlight[best] || (inFlight[i] === inFlight[best] && modelCounts[i] < modelCounts[best]);
    if (better) {
      best = i;
      ties = 1;
    } else if (inFlight[i] === inFlight[best] && modelCounts[i] === modelCounts[best] && random() * ++ties < 1) {
      best = i; // reservoir sampling: each of the tied replicas ends up chosen with the same chance
    }
  }
  return best;
}
