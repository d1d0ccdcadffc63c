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

/**
 * Gaps of a Poisson process over a window of `windowMs` given its count: round(rate x window)
 * arrivals at uniformly random times (what a Poisson process's arrivals are, given how many
 * there are), sorted; then Infinity. A run of a few seconds
 * at a low rate then gets the offered number of requests instead of what a handful of
 * exponential gaps happen to add up to (4 arrivals in 3 s at 0.2/s, say), which made a step's
 * throughput look several times the offered rate.
 */
export function fixedCountArrivals(rate: number, windowMs: number, random: () => number): () => number {
  const n = Math.max(1, Math.round((rate * windowMs) / 1000));
  // The first arrival is due at the start (as with the other schedules): times are offsets from it.
  const times = Array.from({ length: n - 1 }, () => random() * windowMs).sort((a, b) => a - b);
  let i = 0;
  let last = 0;
  return () => {
    if (i >= times.length) return Infinity;
    const gap = times[i++] - last;
    last += gap;
    return gap;
  };
}
