// Errors of the admin side: a deploy that failed while it ran (and what was put back), an admin server that may
// not or cannot listen.
import { TroupeError, registerError } from '../errors/index.ts';

export class DeployFailedError extends TroupeError {
  constructor(application: string, cause: unknown, restored: string) {
    super(
      'TROUPE_ERR_DEPLOY_FAILED',
      `deploying application "${application}" failed: ${(cause as Error)?.message ?? String(cause)}. ${restored}`,
      { cause, details: { application } },
    );
  }
}
registerError('DeployFailedError', DeployFailedError);

export class AdminListenError extends TroupeError {
  constructor(host: string, port: number, cause: unknown) {
    const code = (cause as NodeJS.ErrnoException)?.code;
    const why = code === 'EADDRINUSE' ? 'the port is in use (another troupe server, or Ray\'s dashboard?)' : (cause as Error)?.message ?? String(cause);
    super('TROUPE_ERR_ADMIN_LISTEN', `the admin API cannot listen on ${host}:${port}: ${why}. Pick another port (--admin-port, admin.port) or turn it off (--no-admin, admin: false).`, {
      cause,
      details: { host, port, errno: code },
    });
  }
}
registerError('AdminListenError', AdminListenError);

export class AdminExposedError extends TroupeError {
  constructor(host: string) {
    super(
      'TROUPE_ERR_ADMIN_EXPOSED',
      `the admin API may deploy code, so it binds a host other than loopback (${host}) only with a token: set admin.token in the config or TROUPE_ADMIN_TOKEN, or keep admin.host at 127.0.0.1.`,
      { details: { host } },
    );
  }
}
registerError('AdminExposedError', AdminExposedError);

export class ServeNotStartedError extends TroupeError {
  constructor() {
    super('TROUPE_ERR_SERVE_NOT_STARTED', 'serve has not been started: call serve.run(app) (or serve.start()) first.');
  }
}
registerError('ServeNotStartedError', ServeNotStartedError);
