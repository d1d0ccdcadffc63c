export { closest } from './suggest.ts';
export { TroupeError, registerError, toErrorRecord, fromErrorRecord, type ErrorRecord } from './troupe-error.ts';
export { InvalidArgumentError } from './invalid-argument.ts';
export { ERROR_CATALOG, catalogEntry, renderErrorList, type CatalogEntry } from './catalog.ts';
