/** A small seeded PRNG (mulberry32), so an open-loop schedule can be replayed. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Gaps between arrivals in ms: exponential (a Poisson process) or constant, averaging 1000/rate. */
export function interArrival(rate: number, kind: 'poisson' | 'uniform', random: () => number): () => number {
  const mean = 1000 / rate;
  if (kind === 'uniform') return () => mean;
  return () => -Math.log(1 - random()) * mean;
}
