export { closest } from './suggest.ts';
export { TroupeError, registerError, catalogEntries, toErrorRecord, fromErrorRecord, type ErrorRecord } from './troupe-error.ts';
