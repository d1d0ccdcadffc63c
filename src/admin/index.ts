export { serve, type StartOptions, type ServeRunOptions } from './serve.ts';
