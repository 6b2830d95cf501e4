import { spawn } from 'node:child_process';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A loopback git smart-HTTP server (git http-backend behind HTTP Basic
 * auth), standing in for a private repository on the Hub: every request
 * without the right password gets 401, as the Hub answers git.
 */
export class GitHttpServer {
  /** The Authorization headers git sent (to check what travelled). */
  readonly authorizations: string[] = [];
  private readonly server: http.Server;

  constructor(private readonly projectRoot: string, private readonly password: string) {
    this.server = http.createServer((req, res) => this.handle(req, res));
  }

  async start(): Promise<string> {
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise((r) => this.server.close(r));
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const auth = req.headers.authorization ?? '';
    if (auth) this.authorizations.push(auth);
    const [, user, pass] = /^Basic (.+)$/.exec(auth) ? /^([^:]*):(.*)$/.exec(Buffer.from(auth.slice(6), 'base64').toString()) ?? [] : [];
    if (pass !== this.password) return void res.writeHead(401, { 'www-authenticate': 'Basic realm="Authentication required"' }).end('Invalid username or password.');
    const url = new URL(req.url ?? '/', 'http://git');
    const cgi = spawn('git', ['http-backend'], {
      env: {
        PATH: process.env['PATH'] ?? '/usr/bin:/bin', GIT_PROJECT_ROOT: this.projectRoot, GIT_HTTP_EXPORT_ALL: '1', REMOTE_USER: user ?? '',
        REQUEST_METHOD: req.method ?? 'GET', PATH_INFO: url.pathname, QUERY_STRING: url.search.slice(1), CONTENT_TYPE: req.headers['content-type'] ?? '',
        ...(req.headers['content-encoding'] ? { HTTP_CONTENT_ENCODING: req.headers['content-encoding'] } : {}),
      },
      stdio: ['pipe', 'pipe', 'ignore'],
    });
    req.pipe(cgi.stdin);
    const out: Buffer[] = [];
    cgi.stdout.on('data', (d: Buffer) => out.push(d));
    cgi.on('close', () => {
      const all = Buffer.concat(out);
      const split = all.indexOf('\r\n\r\n');
      const head = all.subarray(0, split).toString().split('\r\n');
      const headers: Record<string, string> = {};
      let status = 200;
      for (const line of head) {
        const [k, ...v] = line.split(': ');
        if (k?.toLowerCase() === 'status') status = Number.parseInt(v.join(': '), 10);
        else if (k) headers[k] = v.join(': ');
      }
      res.writeHead(status, headers).end(all.subarray(split + 4));
    });
  }
}
