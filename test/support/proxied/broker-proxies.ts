import { TcpProxy } from '../tcp-proxy.js';

/**
 * One TCP proxy per broker for one member, so a test can black-hole, cut or heal that member's
 * broker traffic alone. Pass `env()` and `brokers()` to `spawnConsumerApp` with
 * `setupModule: proxiedSetup` (./proxied-store-setup.ts).
 */
export class BrokerProxies {
  private readonly proxies = new Map<string, TcpProxy>();

  constructor(private readonly brokerAddresses: string[]) {}

  async start(): Promise<this> {
    for (const address of this.brokerAddresses) {
      const [host, port] = address.split(':');
      const proxy = new TcpProxy(host, Number(port));
      await proxy.start();
      this.proxies.set(address, proxy);
    }
    return this;
  }

  /** Bootstrap addresses: the proxies. */
  brokers(): string[] {
    return [...this.proxies.values()].map((p) => `127.0.0.1:${p.port}`);
  }

  env(): Record<string, string> {
    const map = Object.fromEntries([...this.proxies].map(([address, p]) => [address, `127.0.0.1:${p.port}`]));
    return { WORKER_PROXY_MAP: JSON.stringify(map) };
  }

  blackHole(): void {
    for (const p of this.proxies.values()) p.blackHole();
  }

  heal(): void {
    for (const p of this.proxies.values()) p.heal();
  }

  async stop(): Promise<void> {
    await Promise.all([...this.proxies.values()].map((p) => p.stop()));
  }
}
