// The config file's shape, as the schema (schema.ts) checks it.
import type { DeploymentOptions } from '../serve/index.ts';

export interface HttpConfig {
  host?: string;
  port?: number;
  requestTimeoutMs?: number;
  maxBodyBytes?: number;
}

export interface AdminConfig {
  host?: string;
  port?: number;
  token?: string;
}

export interface LoggingConfig {
  encoding?: 'json' | 'text';
  level?: 'debug' | 'info' | 'warn' | 'error';
  accessLog?: boolean;
}

/** One deployment's overrides: a field given here wins over the code's. */
export interface DeploymentConfig extends Omit<DeploymentOptions, 'name' | 'autoscalingConfig'> {
  name: string;
  autoscalingConfig?: Omit<NonNullable<DeploymentOptions['autoscalingConfig']>, 'policy'>;
}

export interface ApplicationConfig {
  /** Default 'default'. */
  name?: string;
  /** Default '/'. */
  routePrefix?: string;
  /** `module:export`: an application, or a builder function called with `args`. */
  importPath: string;
  args?: Record<string, unknown>;
  deployments?: DeploymentConfig[];
}

export interface TroupeConfig {
  http?: HttpConfig;
  /** false: no admin server. */
  admin?: AdminConfig | boolean;
  logging?: LoggingConfig;
  applications: ApplicationConfig[];
}
