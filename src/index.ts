// troupe's public API. Nothing outside src/ imports a deeper path.
export { TroupeError } from './errors/index.ts';
