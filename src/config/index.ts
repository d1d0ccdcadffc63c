// The config layer's face: YAML configs checked against a JSON Schema, import paths, applications built with a
// config's overrides, and `troupe build`'s writer.
export { configSchema } from './schema.ts';
export { parseConfig, loadConfigFile, type LoadedConfig, type ConfigPath } from './load.ts';
export { buildApplications, machineCapacity, type BuiltApplication, type BuildOptions } from './build-apps.ts';
export { importApplication, parseImportPath, resolveModule, type ImportPath } from './import-path.ts';
export { applyOverrides, deploymentsOf } from './graph.ts';
export { writeConfig, type WriteConfigOptions } from './write-config.ts';
export { ConfigError, ImportPathError, UnknownDeploymentError, formatIssue, type ConfigIssue, type ImportProblem } from './errors.ts';
export { closest } from '../errors/index.ts';
export type { TroupeConfig, ApplicationConfig, DeploymentConfig, HttpConfig, AdminConfig, LoggingConfig } from './types.ts';
