import http from 'node:http';
import net, { type AddressInfo } from 'node:net';

/**
 * A loopback HTTP proxy for tests: it records every CONNECT (host:port) and
 * every byte that passes through it, and tunnels any host to one loopback
 * port (so the real provider names never reach DNS or the internet).
 */
export class ConnectProxy {
  readonly connects: string[] = [];
  /** Everything the client sent through the tunnels (it must be TLS: no key in the clear). */
  readonly bytes: Buffer[] = [];
  /** Plain (non-CONNECT) requests, which must not happen for https targets. */
  readonly plain: string[] = [];
  /** Answer CONNECT with this status instead of tunnelling (e.g. 407). */
  refuseWith: number | undefined;
  private readonly server = http.createServer((req, res) => {
    this.plain.push(`${req.method} ${req.url}`);
    res.writeHead(502).end();
  });
  private readonly sockets = new Set<net.Socket>();

  constructor(private readonly targetPort: number) {
    this.server.on('connect', (req, client: net.Socket, head: Buffer) => {
      this.connects.push(req.url ?? '');
      this.sockets.add(client);
      if (this.refuseWith) return void client.end(`HTTP/1.1 ${this.refuseWith} Refused\r\n\r\n`);
      const upstream = net.connect(this.targetPort, '127.0.0.1', () => {
        client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
        if (head.length) upstream.write(head);
        client.on('data', (d: Buffer) => this.bytes.push(Buffer.from(d)));
        client.pipe(upstream).pipe(client);
      });
      this.sockets.add(upstream);
      const close = () => [client, upstream].forEach((s) => s.destroy());
      upstream.on('error', close);
      client.on('error', close);
    });
  }

  /** Starts on 127.0.0.1; resolves to the proxy URL. */
  async start(): Promise<string> {
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise((r) => this.server.close(r));
  }
}
