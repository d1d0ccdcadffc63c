// A no-op actor that can CPU-profile its own thread (node:inspector inside the worker), so that the
// actor's side of a call shows up in a profile: --cpu-prof does not reach the runtime's workers.
import { Session } from 'node:inspector/promises';
import { actor } from '../../src/index.ts';

@actor()
export class ProfiledNoop {
  #session: Session | undefined;
  noop(): void {}
  async startProfile(): Promise<void> {
    this.#session = new Session();
    this.#session.connect();
    await this.#session.post('Profiler.enable');
    await this.#session.post('Profiler.setSamplingInterval', { interval: 100 });
    await this.#session.post('Profiler.start');
  }
  /** The profile, as the JSON text of a .cpuprofile file. */
  async stopProfile(): Promise<string> {
    const { profile } = await this.#session!.post('Profiler.stop');
    this.#session!.disconnect();
    return JSON.stringify(profile);
  }
}
