import { createConnection, createServer, type Server, type Socket } from 'node:net';

interface Conditions {
  blackHoled: boolean;
  latencyMs: number;
}

/**
 * Moves the bytes of one direction of a connection, in order: each chunk waits `latencyMs` from
 * its arrival; nothing moves while black-holed (the source is paused, so the kernel holds the
 * rest). A clean end is passed on after the held bytes, even once the source socket has closed (a
 * client that sent its last bytes and hung up while black-holed); an abrupt close destroys the
 * other side. Done once the other side was ended or destroyed, or closed by its peer.
 */
class Forwarder {
  private readonly held: Array<{ chunk: Buffer; due: number }> = [];
  private timer: NodeJS.Timeout | null = null;
  private ended = false;
  private done = false;

  constructor(
    private readonly from: Socket,
    private readonly to: Socket,
    private readonly conditions: Conditions,
    private readonly onDone: (forwarder: Forwarder) => void,
  ) {
    from.on('data', (chunk: Buffer) => {
      const last = this.held.at(-1)?.due ?? 0;
      this.held.push({ chunk, due: Math.max(Date.now() + conditions.latencyMs, last) });
      this.flush();
    });
    from.on('end', () => {
      this.ended = true;
      this.flush();
    });
    from.on('close', () => {
      if (!this.ended) this.finish(() => to.destroy());
    });
    to.on('drain', () => this.flush());
    to.on('close', () => this.finish());
  }

  flush(): void {
    this.cancel();
    if (this.done) return;
    if (this.conditions.blackHoled) {
      this.from.pause();
      return;
    }
    while (this.held.length > 0) {
      const wait = this.held[0].due - Date.now();
      if (wait > 0) {
        this.timer = setTimeout(() => this.flush(), wait);
        return;
      }
      if (!this.to.write(this.held.shift()!.chunk)) {
        this.from.pause(); // 'drain' flushes again
        return;
      }
    }
    if (this.ended) this.finish(() => this.to.end());
    else this.from.resume();
  }

  cancel(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  private finish(action?: () => void): void {
    if (this.done) return;
    this.done = true;
    this.cancel();
    this.held.length = 0;
    action?.();
    this.onDone(this);
  }
}

/**
 * A TCP proxy in front of a real server (PostgreSQL, Redis) that a test can take down and bring
 * back on the same port: `stop()` closes the port and cuts every connection, as an outage does.
 * `blackHole()` instead keeps every connection open and stops forwarding bytes, as a network that
 * drops packets does (no RST, no FIN); `heal()` forwards again, what was held included.
 * `delay(ms)` holds every chunk `ms` in each direction (a round trip takes twice that), as a slow
 * network or an overloaded server does.
 */
export class TcpProxy {
  private server: Server | null = null;
  private readonly sockets = new Set<Socket>();
  private readonly forwarders = new Set<Forwarder>();
  /** Connections accepted while black-holed: connected upstream on heal. */
  private readonly waiting = new Set<Socket>();
  private readonly conditions: Conditions = { blackHoled: false, latencyMs: 0 };
  port = 0;

  constructor(
    private readonly upstreamHost: string,
    private readonly upstreamPort: number,
  ) {}

  async start(): Promise<number> {
    const server = createServer((client) => {
      this.track(client);
      // While black-holed a new connection is accepted and then hears nothing.
      if (this.conditions.blackHoled) {
        client.pause();
        this.waiting.add(client);
        client.on('close', () => this.waiting.delete(client));
      } else {
        this.connect(client);
      }
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', () => resolve());
    });
    this.port = (server.address() as { port: number }).port;
    this.server = server;
    return this.port;
  }

  /** Stops forwarding in both directions without closing anything: every request goes unanswered. */
  blackHole(): void {
    this.conditions.blackHoled = true;
    for (const forwarder of this.forwarders) forwarder.flush();
  }

  /** Forwards again: held bytes flow on, connections accepted meanwhile reach the server. */
  heal(): void {
    this.conditions.blackHoled = false;
    for (const client of this.waiting) this.connect(client);
    this.waiting.clear();
    for (const forwarder of this.forwarders) forwarder.flush();
  }

  /** Holds every chunk received from now on `ms` before forwarding it (0: none), in both directions. */
  delay(ms: number): void {
    this.conditions.latencyMs = ms;
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = null;
    this.conditions.blackHoled = false;
    this.conditions.latencyMs = 0;
    for (const forwarder of this.forwarders) forwarder.cancel();
    for (const socket of this.sockets) socket.destroy();
    this.sockets.clear();
    this.forwarders.clear();
    this.waiting.clear();
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private connect(client: Socket): void {
    const upstream = createConnection({ host: this.upstreamHost, port: this.upstreamPort });
    this.track(upstream);
    const done = (forwarder: Forwarder) => this.forwarders.delete(forwarder);
    this.forwarders.add(new Forwarder(client, upstream, this.conditions, done));
    this.forwarders.add(new Forwarder(upstream, client, this.conditions, done));
    client.resume();
  }

  private track(socket: Socket): void {
    this.sockets.add(socket);
    socket.on('close', () => this.sockets.delete(socket));
    socket.on('error', () => undefined);
  }
}
