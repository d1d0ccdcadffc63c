// Resolve hook for troupe run from its repository: package.json's exports map sends 'troupe' to src/index.ts
// under the "troupe-source" condition (to dist/ otherwise), so examples and tests use the sources they sit beside.
export async function resolve(specifier, context, next) {
  if (context.conditions.includes('troupe-source')) return next(specifier, context);
  return next(specifier, { ...context, conditions: [...context.conditions, 'troupe-source'] });
}
