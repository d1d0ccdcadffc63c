// Which version of a model an infer or metadata request gets, and the protocol's errors when none can serve:
// the same from the V2Server ingress and from a start-up model's own route on its ModelHost.
import { V2RequestError } from './errors.ts';
import type { ModelDescription } from './protocol.ts';
import type { ModelVersionSpec } from './scan.ts';

export const unloadedModel = (name: string) =>
  new V2RequestError(400, `model "${name}" is unloaded: POST /v2/repository/models/${name}/load to serve it again`);

/**
 * The version named (404 when the model has no such version), or else the first READY one of `versions`
 * (highest first); 400 when the chosen one is not ready.
 */
export async function resolveVersion(
  name: string, versions: readonly ModelVersionSpec[], version: string | undefined, describe: (v: ModelVersionSpec) => Promise<ModelDescription>,
): Promise<{ model: ModelDescription; chosen: ModelVersionSpec }> {
  let chosen = versions[0]!;
  let model: ModelDescription | undefined;
  if (version !== undefined) {
    const v = versions.find((x) => x.version === version);
    if (!v) throw new V2RequestError(404, `model "${name}" has no version ${version}; its versions are ${versions.map((x) => x.version).join(', ')}`);
    chosen = v;
  } else {
    for (const v of versions) {
      const d = await describe(v);
      if (d.state === 'READY') {
        chosen = v;
        model = d;
        break;
      }
    }
  }
  model ??= await describe(chosen);
  if (model.state !== 'READY') {
    throw new V2RequestError(400, `model "${name}" version ${chosen.version} is not ready: ${model.reason}; fix ${chosen.path} and POST /v2/repository/models/${name}/load`);
  }
  return { model, chosen };
}
