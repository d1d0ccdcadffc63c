import { callerModule, setLocation } from './locate.ts';

/**
 * Marks a class as an actor class: records the module it is defined in, so that a worker thread can
 * load it. The class must be exported from that module.
 */
export function actor(options: { module?: string | URL; exportName?: string } = {}) {
  const module = options.module ? String(options.module) : callerModule();
  return function <C extends abstract new (...args: any[]) => any>(cls: C, _context?: ClassDecoratorContext<C>): C {
    if (module) setLocation(cls, { module, exportName: options.exportName });
    return cls;
  };
}
