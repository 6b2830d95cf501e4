import { createHash } from 'node:crypto';
import { spawn } from 'node:child_process';
import { lstatSync, mkdirSync, rmSync, symlinkSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { agentSocketFor, agentSocketNames } from '../../shared/node/agent/socket-dir';
import { makeTempHome } from '../helpers/temp';

const servers: Server[] = [];
afterEach(() => {
  for (const s of servers.splice(0)) s.close();
});
const listen = (path: string) => new Promise<void>((resolve) => servers.push(createServer().listen(path, resolve)));
const nameOf = (path: string) => `agent-${createHash('sha256').update(path).digest('hex').slice(0, 16)}.sock`;

describe("the unlock agent's socket name", () => {
  it('is the real folder\'s for a profile reached through a link, and an older agent under the spelled name is still found', async () => {
    const t = makeTempHome();
    const real = join(t.root, 'real');
    mkdirSync(real);
    symlinkSync(real, join(t.root, 'link'));
    const runtime = join(t.root, 'run');
    mkdirSync(join(runtime, 'cpw-vault'), { recursive: true, mode: 0o700 });
    const env = { XDG_RUNTIME_DIR: runtime };
    const viaLink = join(t.root, 'link', 'user.profile.identity.age');
    const viaReal = join(real, 'user.profile.identity.age');
    // One vault, one name, whichever way it is spelled.
    expect(agentSocketFor(viaLink, env).path).toBe(agentSocketFor(viaReal, env).path);
    expect(agentSocketFor(viaReal, env).path).toBe(join(runtime, 'cpw-vault', nameOf(viaReal)));
    expect(agentSocketNames(viaLink)).toEqual([nameOf(viaReal), nameOf(viaLink)]);
    // A file a killed older agent left under the spelled name is not one: the real name stays (unlock started the new
    // agent under the old name, and reads through the real path found the vault locked).
    const stale = join(runtime, 'cpw-vault', nameOf(viaLink));
    const holder = spawn(process.execPath, ['-e', `require('net').createServer().listen(${JSON.stringify(stale)})`], { stdio: 'ignore' });
    while (!lstatSync(stale, { throwIfNoEntry: false })?.isSocket()) await new Promise((r) => setTimeout(r, 20));
    holder.kill('SIGKILL');
    await new Promise((r) => holder.once('exit', r));
    expect(lstatSync(stale).isSocket()).toBe(true);
    expect(agentSocketFor(viaLink, env).path).toBe(join(runtime, 'cpw-vault', nameOf(viaReal)));
    rmSync(join(runtime, 'cpw-vault', nameOf(viaLink)));
    // An agent an older cpw-vault started through the link listens under the spelled name: reads go there.
    await listen(join(runtime, 'cpw-vault', nameOf(viaLink)));
    expect(agentSocketFor(viaLink, env).path).toBe(join(runtime, 'cpw-vault', nameOf(viaLink)));
    // Once one listens under the real name, that one.
    await listen(join(runtime, 'cpw-vault', nameOf(viaReal)));
    expect(agentSocketFor(viaLink, env).path).toBe(join(runtime, 'cpw-vault', nameOf(viaReal)));
  });
});
