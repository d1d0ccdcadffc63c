// The proxy's loggers live in src/observability/ (layer 0); this file keeps the names src/http/ always exported.
export { jsonLinesLogger, silentLogger, textLinesLogger, defaultHttpLogger } from '../observability/index.ts';
