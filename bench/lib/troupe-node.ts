// How the benches start Node for a troupe server: with the flags bin/troupe.js's first line gives Node when
// `troupe run` is run as a command (that file says why), since a bench starts it as `node bin/troupe.js`.
export const TROUPE_NODE_FLAGS = ['--min-semi-space-size=8'];
