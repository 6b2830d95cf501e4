import { spawn, type ChildProcess } from 'node:child_process';
import { copyFileSync, cpSync, mkdirSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { createRequire } from 'node:module';
import { extname, join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { chromium, type Browser, type Page } from 'playwright-core';
import { CHANNELS } from '../../shared/core/ipc-contract';
import { fixture } from '../helpers/children';
import { inPrivateSessionSpawn } from '../helpers/private-session';
import type { TempHome } from '../helpers/temp';

const ROOT = resolve(import.meta.dirname, '../..');
const TYPES: Record<string, string> = { '.html': 'text/html', '.js': 'text/javascript', '.css': 'text/css' };

/** Serves the built renderer from a temp copy, with the app's CSP, on 127.0.0.1. */
export async function serveRenderer(t: TempHome): Promise<{ server: Server; origin: string }> {
  const dir = join(t.root, 'renderer');
  cpSync(join(ROOT, 'dist/app/renderer'), dir, { recursive: true });
  // axe-core served from the same origin, so the strict CSP (script-src 'self') can stay on.
  copyFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), join(dir, 'axe.min.js'));
  const { CONTENT_SECURITY_POLICY } = await import('../../electron/main/window');
  const server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    if (path === '/favicon.ico') return void res.writeHead(204).end(); // Chromium asks; the app has none to serve
    const file = join(dir, path === '/' ? 'index.html' : path);
    try {
      const body = readFileSync(file);
      res.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream', 'content-security-policy': CONTENT_SECURITY_POLICY });
      res.end(body);
    } catch {
      res.writeHead(404).end();
    }
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const address = server.address();
  return { server, origin: `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}` };
}

/** The IPC handler process (real Vault, real keychain) the page talks to. */
export class MainProcess {
  private next = 1;
  private pending = new Map<number, (r: unknown) => void>();
  private listeners: Array<() => void> = [];
  readonly ready: Promise<void>;

  constructor(readonly child: ChildProcess) {
    let resolveReady!: () => void;
    this.ready = new Promise((r) => (resolveReady = r));
    child.stderr?.on('data', () => {});
    createInterface({ input: child.stdout! }).on('line', (line) => {
      const msg = JSON.parse(line) as { id?: number; result?: unknown; ready?: boolean; event?: string };
      if (msg.ready) resolveReady();
      else if (msg.event === 'profileChanged') this.listeners.forEach((l) => l());
      else if (msg.id) this.pending.get(msg.id)?.(msg.result);
    });
  }

  call(method: string, args: unknown[]): Promise<unknown> {
    const id = this.next++;
    return new Promise((resolveCall) => {
      this.pending.set(id, resolveCall);
      this.child.stdin!.write(`${JSON.stringify({ id, method, args })}\n`);
    });
  }

  onProfileChanged(listener: () => void): void {
    this.listeners.push(listener);
  }

  stop(): void {
    this.child.stdin?.end();
  }
}

/** Starts the handler process: in this test's keyring, or in a private session whose keyring is locked. */
export function startMain(t: TempHome, options: { locked?: boolean; pick?: string } = {}): MainProcess {
  const env = { HOME: t.home, CPW_KEYCHAIN_SERVICE: t.service, CPW_E2E_CWD: t.cwd, ...(options.pick ? { CPW_E2E_PICK: options.pick } : {}) };
  const argv = [process.execPath, fixture('ipc-server')];
  const child = options.locked
    ? inPrivateSessionSpawn('locked', argv, { home: t, env })
    : spawn(argv[0]!, argv.slice(1), { cwd: t.cwd, env: { ...process.env, ...env }, stdio: ['pipe', 'pipe', 'inherit'] });
  return new MainProcess(child);
}

export const CHROMIUM_FLAGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'];

export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_FLAGS, headless: true });
}

/**
 * Opens the app in a page whose `window.vault` forwards every call to the
 * handler process through page.exposeBinding — the role the preload and
 * Electron's IPC play in the real app.
 */
export async function openApp(browser: Browser, origin: string, main: MainProcess, colorScheme: 'light' | 'dark' = 'light'): Promise<Page> {
  const page = await browser.newPage({ viewport: { width: 1200, height: 900 }, colorScheme });
  // A page error (a crash of the React tree, a CSP violation) fails the scenario at its next snapshot.
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('console', (m) => void (m.type() === 'error' && errors.push(m.text())));
  pageErrors.set(page, errors);
  await page.exposeBinding('__cpwCall', async (source, method: string, args: unknown[]) => {
    if (new URL(source.frame.url()).origin !== origin) return { ok: false, error: { code: 'IPC_FORBIDDEN', message: 'wrong frame', fix: '' } };
    return main.call(method, args);
  });
  await page.exposeBinding('__cpwSubscribe', async (source) => {
    main.onProfileChanged(() => void source.page.evaluate(() => (window as unknown as { __cpwChanged?: () => void }).__cpwChanged?.()).catch(() => {}));
  });
  await page.addInitScript((methods: string[]) => {
    const w = window as unknown as Record<string, unknown> & { __cpwCall: (m: string, a: unknown[]) => Promise<unknown>; __cpwSubscribe: () => Promise<void> };
    const vault: Record<string, unknown> = {};
    for (const m of methods) vault[m] = (...args: unknown[]) => w.__cpwCall(m, args);
    vault['onProfileChanged'] = (fn: () => void) => {
      w['__cpwChanged'] = fn;
      void w.__cpwSubscribe();
      return () => (w['__cpwChanged'] = undefined);
    };
    vault['pathForFile'] = () => '';
    w['vault'] = vault;
  }, Object.keys(CHANNELS));
  await page.goto(`${origin}/index.html`);
  return page;
}

const pageErrors = new WeakMap<Page, string[]>();

/** Errors the page reported so far (uncaught exceptions, console errors such as CSP violations). */
export function errorsOf(page: Page): string[] {
  return pageErrors.get(page) ?? [];
}

/** axe-core scan; returns the serious and critical violations. */
export async function axeViolations(page: Page): Promise<Array<{ id: string; impact: string; nodes: number }>> {
  await page.addScriptTag({ url: '/axe.min.js' });
  return page.evaluate(async () => {
    const axe = (window as unknown as { axe: { run: (ctx: Document, o: object) => Promise<{ violations: Array<{ id: string; impact: string; nodes: unknown[] }> }> } }).axe;
    const r = await axe.run(document, { resultTypes: ['violations'] });
    return r.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => ({ id: v.id, impact: v.impact, nodes: v.nodes.length }));
  });
}

export const SCREENSHOTS = join(ROOT, 'docs/screenshots');
mkdirSync(SCREENSHOTS, { recursive: true });
