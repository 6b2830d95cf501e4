import { spawn, type ChildProcess } from 'node:child_process';
import { copyFileSync, cpSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
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

type MainMessage = { id?: number; result?: unknown; ready?: boolean; event?: string; payload?: unknown; kind?: string; paths?: string[]; title?: string; body?: string; url?: string };

/** The IPC handler process (real Vault, real keychain) the page talks to. Records main's dialogs and notifications. */
export class MainProcess {
  private next = 1;
  private pending = new Map<number, (r: unknown) => void>();
  private listeners: Array<(event: string, payload: unknown) => void> = [];
  readonly ready: Promise<void>;
  readonly dialogs: Array<{ kind: string; paths: string[] }> = [];
  readonly notifications: Array<{ title: string; body: string }> = [];
  /** Pages main opened in the browser (its external port). */
  readonly opened: string[] = [];

  constructor(readonly child: ChildProcess) {
    let resolveReady!: () => void;
    this.ready = new Promise((r) => (resolveReady = r));
    child.stderr?.on('data', () => {});
    createInterface({ input: child.stdout! }).on('line', (line) => {
      const msg = JSON.parse(line) as MainMessage;
      if (msg.ready) resolveReady();
      else if (msg.event === 'dialog') this.dialogs.push({ kind: msg.kind!, paths: msg.paths! });
      else if (msg.event === 'notification') this.notifications.push({ title: msg.title!, body: msg.body! });
      else if (msg.event === 'openExternal') this.opened.push(msg.url!);
      else if (msg.event) this.listeners.forEach((l) => l(msg.event!, msg.payload));
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

  /** How main's native dialogs will answer from now on. */
  answerDialogs(answers: { pick?: string | null; confirmSource?: boolean; confirmRemove?: boolean }): void {
    this.child.stdin!.write(`${JSON.stringify({ control: 'dialogs', answers })}\n`);
  }

  onEvent(listener: (event: string, payload: unknown) => void): void {
    this.listeners.push(listener);
  }

  stop(): void {
    this.child.stdin?.end();
  }
}

/**
 * Starts the handler process: in this test's keyring, or in a private session (after `setup` ran there) whose
 * keyring is locked (`locked`) or open (`own`: a keyring daemon of its own, which the test may stop with
 * SIGSTOP without touching other tests' keyring; see keyringDaemon); `env` adds to its environment (e.g. provider endpoints).
 */
export function startMain(t: TempHome, options: { locked?: boolean; own?: boolean; pick?: string; team?: string; setup?: string; env?: Record<string, string> } = {}): MainProcess {
  const env = { HOME: t.home, CPW_KEYCHAIN_SERVICE: t.service, CPW_E2E_CWD: t.cwd, ...(options.pick ? { CPW_E2E_PICK: options.pick } : {}), ...(options.team ? { CPW_E2E_TEAM: options.team } : {}), ...options.env };
  const argv = [process.execPath, fixture('ipc-server')];
  const child = options.locked || options.own
    ? inPrivateSessionSpawn(options.locked ? 'locked' : 'unlocked', argv, { home: t, env, ...(options.setup ? { setup: options.setup } : {}) })
    : spawn(argv[0]!, argv.slice(1), { cwd: t.cwd, env: { ...process.env, ...env }, stdio: ['pipe', 'pipe', 'inherit'] });
  return new MainProcess(child);
}

export const CHROMIUM_FLAGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'];

export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_FLAGS, headless: true });
}

/** The window size the screens are designed and checked at. */
export const LARGE = { width: 1280, height: 800 };
export const SMALL = { width: 800, height: 600 };

/**
 * Opens the app in a page whose `window.vault` forwards every call to the
 * handler process through page.exposeBinding — the role the preload and
 * Electron's IPC play in the real app. Like the preload, migrationDrop turns
 * a dropped File into the path "webUtils" gives it: here, the path the test
 * registered for that file name in `window.__cpwDropped` ("" otherwise).
 * Returns the page once the first screen's title is shown, and how long that took.
 */
export async function openApp(browser: Browser, origin: string, main: MainProcess, colorScheme: 'light' | 'dark' = 'light'): Promise<Page> {
  const page = await browser.newPage({ viewport: LARGE, colorScheme });
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('console', (m) => void (m.type() === 'error' && errors.push(m.text())));
  pageErrors.set(page, errors);
  await page.exposeBinding('__cpwCall', async (source, method: string, args: unknown[]) => {
    if (new URL(source.frame.url()).origin !== origin) return { ok: false, error: { code: 'IPC_FORBIDDEN', message: 'wrong frame', fix: '' } };
    return main.call(method, args);
  });
  main.onEvent((event, payload) => void page.evaluate(([e, p]) => (window as unknown as { __cpwEmit?: (e: string, p: unknown) => void }).__cpwEmit?.(e as string, p), [event, payload] as const).catch(() => {}));
  await page.addInitScript((methods: string[]) => {
    type W = Record<string, unknown> & { __cpwCall: (m: string, a: unknown[]) => Promise<unknown>; __cpwDropped?: Record<string, string> };
    const w = window as unknown as W;
    const listeners = new Map<string, Set<(p: unknown) => void>>();
    const vault: Record<string, unknown> = {};
    for (const m of methods) vault[m] = (...args: unknown[]) => w.__cpwCall(m, args);
    vault['migrationDrop'] = (file: { name: string }) => w.__cpwCall('migrationDrop', [w.__cpwDropped?.[file.name] ?? '']);
    vault['on'] = (event: string, fn: (p: unknown) => void) => {
      if (!listeners.has(event)) listeners.set(event, new Set());
      listeners.get(event)!.add(fn);
      return () => listeners.get(event)?.delete(fn);
    };
    w['__cpwEmit'] = (event: string, payload: unknown) => listeners.get(event)?.forEach((fn) => fn(payload));
    w['vault'] = vault;
  }, Object.keys(CHANNELS));
  const started = performance.now();
  await page.goto(`${origin}/index.html`);
  await page.locator('#screen-title').waitFor();
  timings.set(page, performance.now() - started);
  return page;
}

const pageErrors = new WeakMap<Page, string[]>();
const timings = new WeakMap<Page, number>();

/** Milliseconds from navigation to the first screen's title. */
export function firstScreenMs(page: Page): number {
  return timings.get(page) ?? NaN;
}

/** Errors the page reported so far (uncaught exceptions, console errors such as CSP violations). */
export function errorsOf(page: Page): string[] {
  return pageErrors.get(page) ?? [];
}

/** axe-core scan of the page as it is; every violation, whatever its impact. */
export async function axeViolations(page: Page): Promise<Array<{ id: string; impact: string; nodes: string[] }>> {
  if (!(await page.evaluate(() => 'axe' in window))) await page.addScriptTag({ url: '/axe.min.js' });
  return page.evaluate(async () => {
    const axe = (window as unknown as { axe: { run: (ctx: Document, o: object) => Promise<{ violations: Array<{ id: string; impact: string; nodes: Array<{ target: string[] }> }> }> } }).axe;
    const r = await axe.run(document, { resultTypes: ['violations'] });
    return r.violations.map((v) => ({ id: v.id, impact: v.impact, nodes: v.nodes.slice(0, 3).map((n) => n.target.join(' ')) }));
  });
}

/** The folder `npm run screenshots` writes to (CPW_SCREENSHOTS); unset in `npm test`, so a test run never rewrites the PNGs. */
export const SCREENSHOTS = process.env['CPW_SCREENSHOTS'] ? resolve(ROOT, process.env['CPW_SCREENSHOTS']) : undefined;
if (SCREENSHOTS) mkdirSync(SCREENSHOTS, { recursive: true });

/**
 * The pid of the gnome-keyring-daemon of `t`'s private session (startMain with `own`): the one process whose
 * environment names this test's own runtime folder. Only that process is ever signalled.
 */
export function keyringDaemon(t: TempHome): number {
  const runtime = `XDG_RUNTIME_DIR=${join(t.root, 'xdg-run')}`;
  for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    try {
      if (!readFileSync(`/proc/${pid}/comm`, 'utf8').startsWith('gnome-keyring')) continue;
      if (readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0').includes(runtime)) return Number(pid);
    } catch {
      // gone, or not ours to read
    }
  }
  throw new Error(`no gnome-keyring-daemon runs for ${t.root}`);
}
