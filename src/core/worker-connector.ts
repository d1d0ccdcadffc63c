// How a worker thread reaches other actors: it asks the main thread for a direct MessagePort to the
// actor, then talks to it without a relay. A peer that dies drops its link; the next call asks again
// (and reaches the restarted actor, or fails fast if it is gone).
import type { MessagePort } from 'node:worker_threads';
import { fromErrorRecord } from '../errors/index.ts';
import { Connection, type CallOptions } from './connection.ts';
import { ActorDiedError } from './errors.ts';
import { lazyIterator } from './iterators.ts';
import type { Connector } from './handle.ts';
import type { ActorAddress, ConnectControl, ConnectedControl, MainToWorker, PeerDiedControl } from './protocol.ts';
import { deliver } from './topics.ts';

export class WorkerConnector implements Connector {
  #send: (message: ConnectControl) => void;
  #links = new Map<number, Promise<Connection>>();
  /** Links that are up, by actor id (the same ones #links resolves to). */
  #open = new Map<number, Connection>();
  #requests = new Map<number, (reply: ConnectedControl) => void>();
  #nextReq = 1;

  constructor(send: (message: ConnectControl) => void) {
    this.#send = send;
  }

  call(address: ActorAddress, method: string, args: unknown[], options?: CallOptions): Promise<unknown> {
    // An open link takes the call at once; only the first call to a peer (or one after it died) waits.
    const open = this.#open.get(address.actorId);
    if (open && !open.failed) return open.call(method, args, options);
    return this.#link(address).then(link => link.call(method, args, options));
  }

  stream(address: ActorAddress, method: string, args: unknown[], options?: CallOptions): AsyncIterableIterator<unknown> {
    return lazyIterator(async () => (await this.#link(address)).stream(method, args, options));
  }

  /** Asks the main thread for a link to an actor by name (getActor inside a worker). */
  async lookup(name: string): Promise<ActorAddress> {
    const reply = await this.#request({ name });
    reply.port?.close();
    if (reply.error) throw fromErrorRecord(reply.error);
    return reply.actor!;
  }

  /** Handles a control message from the main thread meant for this thread's links and topics; false for others. */
  onControl(message: MainToWorker): boolean {
    if (message.t === 'connected') this.onConnected(message);
    else if (message.t === 'peer-died') this.onPeerDied(message);
    else if (message.t === 'publish') deliver(message.topic, message.value);
    else return false;
    return true;
  }

  onConnected(reply: ConnectedControl): void {
    const resolve = this.#requests.get(reply.req);
    this.#requests.delete(reply.req);
    resolve?.(reply);
  }

  onPeerDied(message: PeerDiedControl): void {
    const link = this.#links.get(message.actorId);
    if (!link) return;
    this.#links.delete(message.actorId);
    this.#open.delete(message.actorId);
    const cause = fromErrorRecord(message.error);
    void link.then(
      c => c.fail(delivered => new ActorDiedError(c.label, cause.message, { cause, delivered })),
      () => {},
    );
  }

  #link(address: ActorAddress): Promise<Connection> {
    let link = this.#links.get(address.actorId);
    if (!link) {
      link = this.#request({ actorId: address.actorId }).then(reply => {
        if (reply.error || !reply.port) throw fromErrorRecord(reply.error!);
        const connection = new Connection(reply.port as MessagePort, `${address.className} ${address.name}`);
        this.#open.set(address.actorId, connection);
        return connection;
      });
      link.catch(() => this.#links.delete(address.actorId));
      this.#links.set(address.actorId, link);
    }
    return link.then(c => {
      if (c.failed) {
        if (this.#links.get(address.actorId) === link) this.#links.delete(address.actorId);
        return this.#link(address);
      }
      return c;
    });
  }

  #request(target: { actorId?: number; name?: string }): Promise<ConnectedControl> {
    const req = this.#nextReq++;
    return new Promise(resolve => {
      this.#requests.set(req, resolve);
      this.#send({ t: 'connect', req, ...target });
    });
  }
}
