// Path matching for one application: exact paths by hash lookup, then patterns with `:param` segments and an
// optional trailing `*` (captured as params['*']). Static segments beat parameters, which beat the wildcard.
import { RouteDefinitionError } from './errors.ts';

interface Pattern<T> {
  path: string;
  segments: string[];
  score: number;
  byMethod: Map<string, T>;
}

export type MatchResult<T> =
  | { kind: 'found'; entry: T; params: Record<string, string> }
  | { kind: 'wrong-method'; allow: string[] }
  | { kind: 'none' };

const NO_PARAMS: Record<string, string> = Object.freeze({}) as Record<string, string>;

export class RouteTable<T> {
  readonly #exact = new Map<string, Map<string, T>>();
  readonly #patterns: Pattern<T>[] = [];

  add(method: string, path: string, entry: T): void {
    const normalized = path.length > 1 && path.endsWith('/') ? path.slice(0, -1) : path;
    const segments = normalized.split('/').slice(1);
    const dynamic = segments.some((s) => s.startsWith(':') || s === '*');
    segments.forEach((s, i) => {
      if (s === '*' && i !== segments.length - 1) throw new RouteDefinitionError(`'*' must be the last segment of ${path}`);
      if (s === ':') throw new RouteDefinitionError(`a parameter needs a name in ${path}`);
    });
    let byMethod: Map<string, T> | undefined;
    if (!dynamic) {
      byMethod = this.#exact.get(normalized);
      if (!byMethod) this.#exact.set(normalized, (byMethod = new Map()));
    } else {
      let pattern = this.#patterns.find((p) => p.path === normalized);
      if (!pattern) {
        // Earlier static segments weigh more: /a/:x beats /:y/b for /a/b.
        const score = segments.reduce((acc, s) => acc * 3 + (s === '*' ? 0 : s.startsWith(':') ? 1 : 2), 0);
        pattern = { path: normalized, segments, score, byMethod: new Map() };
        this.#patterns.push(pattern);
        this.#patterns.sort((a, b) => b.segments.length - a.segments.length || b.score - a.score);
      }
      byMethod = pattern.byMethod;
    }
    if (byMethod.has(method)) throw new RouteDefinitionError(`two routes for ${method} ${path}`, { method, path });
    byMethod.set(method, entry);
  }

  match(method: string, path: string): MatchResult<T> {
    const normalized = path.length > 1 && path.endsWith('/') ? path.slice(0, -1) : path;
    const lookup = method === 'HEAD' ? 'GET' : method;
    const exact = this.#exact.get(normalized);
    let allow: Map<string, T> | undefined;
    if (exact) {
      const entry = exact.get(lookup);
      if (entry !== undefined) return { kind: 'found', entry, params: NO_PARAMS };
      allow = exact;
    }
    if (this.#patterns.length === 0) return allow ? { kind: 'wrong-method', allow: [...allow.keys()] } : { kind: 'none' };
    const parts = normalized.split('/').slice(1);
    for (const pattern of this.#patterns) {
      const params = matchSegments(pattern.segments, parts);
      if (!params) continue;
      const entry = pattern.byMethod.get(lookup);
      if (entry !== undefined) return { kind: 'found', entry, params };
      allow ??= pattern.byMethod;
    }
    return allow ? { kind: 'wrong-method', allow: [...allow.keys()] } : { kind: 'none' };
  }

  get size(): number {
    let n = 0;
    for (const m of this.#exact.values()) n += m.size;
    for (const p of this.#patterns) n += p.byMethod.size;
    return n;
  }
}

function matchSegments(segments: string[], parts: string[]): Record<string, string> | undefined {
  const wildcard = segments[segments.length - 1] === '*';
  if (wildcard ? parts.length < segments.length - 1 : parts.length !== segments.length) return undefined;
  const params: Record<string, string> = {};
  for (let i = 0; i < segments.length; i++) {
    const seg = segments[i]!;
    if (seg === '*') {
      params['*'] = parts.slice(i).map(safeDecode).join('/');
      return params;
    }
    const part = parts[i]!;
    if (seg.startsWith(':')) {
      if (part === '') return undefined;
      params[seg.slice(1)] = safeDecode(part);
    } else if (seg !== part) {
      return undefined;
    }
  }
  return params;
}

function safeDecode(s: string): string {
  if (!s.includes('%')) return s;
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}
