// A deployment's version: what, when it changes, needs new replicas (Ray's "heavyweight" options): the class's
// code and module, its constructor arguments and its actor options. Everything else (numReplicas, autoscaling,
// userConfig, request limits, health options) is applied to live replicas in place.
import { createHash } from 'node:crypto';
import { deploymentAddressOf, isDeploymentHandle } from '../handle.ts';
import type { DeploymentDef } from '../deployment.ts';
import type { ResolvedOptions } from '../options.ts';

export function versionOf(def: DeploymentDef, args: readonly unknown[], options: ResolvedOptions): string {
  const hash = createHash('sha1');
  hash.update(def.location.module ?? '');
  hash.update('\0');
  hash.update(def.cls.toString());
  hash.update('\0');
  hash.update(stableText(args));
  hash.update('\0');
  hash.update(stableText(options.actorOptions));
  return hash.digest('hex').slice(0, 12);
}

/** The user config's own version: reconfigure() runs on live replicas when it changes. */
export function configText(userConfig: unknown): string {
  return stableText(userConfig);
}

function stableText(value: unknown): string {
  try {
    return stableJson(value);
  } catch {
    // A value JSON cannot walk (a cycle): treated as changed on every deploy, so replicas are replaced.
    return `unversioned:${Math.random()}`;
  }
}

function stableJson(value: unknown): string {
  return JSON.stringify(value, (_key, v) => {
    if (typeof v === 'bigint') return `bigint:${v}`;
    if (typeof v === 'function') return `function:${v.toString()}`;
    if (v && typeof v === 'object') {
      if (isDeploymentHandle(v)) return `handle:${deploymentAddressOf(v).deploymentId}`;
      if (ArrayBuffer.isView(v)) return `bytes:${createHash('sha1').update(new Uint8Array(v.buffer, v.byteOffset, v.byteLength)).digest('hex')}`;
      if (v instanceof ArrayBuffer || (typeof SharedArrayBuffer !== 'undefined' && v instanceof SharedArrayBuffer)) {
        return `bytes:${createHash('sha1').update(new Uint8Array(v)).digest('hex')}`;
      }
      if (v instanceof Map) return { map: [...v.entries()] };
      if (v instanceof Set) return { set: [...v.values()] };
      if (!Array.isArray(v) && Object.getPrototypeOf(v) === Object.prototype) {
        return Object.fromEntries(Object.keys(v).sort().map(k => [k, v[k]]));
      }
    }
    return v;
  }) ?? 'undefined';
}
