// The config layer's errors: a config that cannot be applied (each problem with the file, line, column and field
// it is about), and an import path that does not give an application.
import { TroupeError, registerError } from '../errors/index.ts';

/** One problem in a config file: where it is and what to do about it. */
export interface ConfigIssue {
  /** The file as the user named it (or `<request>` for a config sent to the admin API). */
  file: string;
  /** 1-based; absent when the problem has no place in the text (the file is empty). */
  line?: number;
  column?: number;
  /** The field, as a dotted path: `applications[0].deployments[1].numReplicas`; '' for the whole file. */
  path: string;
  message: string;
  /** The code of the error behind the issue where it came from one (TROUPE_ERR_IMPORT_PATH, ...). */
  code?: string;
}

/** `file:line:column: path: message`, the form editors and terminals turn into a link. */
export function formatIssue(issue: ConfigIssue): string {
  const where = issue.line === undefined ? issue.file : `${issue.file}:${issue.line}:${issue.column ?? 1}`;
  return issue.path ? `${where}: ${issue.path}: ${issue.message}` : `${where}: ${issue.message}`;
}

export class ConfigError extends TroupeError {
  readonly issues: ConfigIssue[];

  constructor(issues: ConfigIssue[]) {
    const head = issues.length === 1 ? 'the config cannot be applied:' : `the config cannot be applied (${issues.length} problems):`;
    super('TROUPE_ERR_CONFIG', `${head}\n${issues.map(i => `  ${formatIssue(i)}`).join('\n')}`, { details: { issues } });
    this.issues = issues;
  }
}
registerError('ConfigError', ConfigError);

export type ImportProblem = 'syntax' | 'module' | 'export' | 'not-application' | 'args' | 'builder';

/** An import path (`module:export`) that does not lead to an application. */
export class ImportPathError extends TroupeError {
  readonly problem: ImportProblem;

  constructor(importPath: string, problem: ImportProblem, message: string, cause?: unknown) {
    super('TROUPE_ERR_IMPORT_PATH', message, { cause, details: { importPath, problem } });
    this.problem = problem;
  }
}
registerError('ImportPathError', ImportPathError);

/** A config names a deployment its application does not have. */
export class UnknownDeploymentError extends TroupeError {
  constructor(application: string, deployment: string, known: string[], guess: string | undefined) {
    super(
      'TROUPE_ERR_UNKNOWN_DEPLOYMENT',
      `application "${application}" has no deployment "${deployment}"${guess ? `; did you mean ${guess}?` : ''} (its deployments: ${known.join(', ')})`,
      { details: { application, deployment, known } },
    );
  }
}
registerError('UnknownDeploymentError', UnknownDeploymentError);
