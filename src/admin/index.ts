export { serve, type StartOptions, type ServeRunOptions } from './serve.ts';
export { AdminServer, isLoopback, DEFAULT_ADMIN_HOST, DEFAULT_ADMIN_PORT, type AdminServerOptions, type AdminHandler, type AdminRequest, type AdminReply } from './admin-server.ts';
export { Deployer, type AdminStatus, type DeployResult } from './deployer.ts';
export { DeployFailedError, AdminListenError, AdminExposedError, ServeNotStartedError } from './admin-errors.ts';
