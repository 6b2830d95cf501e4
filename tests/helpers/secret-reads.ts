import { spawn, spawnSync } from 'node:child_process';
import type { TempHome } from './temp';

/** One read the Secret Service was asked: by which connection (one per process), for which of its items. */
export interface SecretRead {
  sender: string;
  items: string[];
}

const SERVICE = "interface='org.freedesktop.Secret.Service',member='GetSecrets'";
const ITEM = "interface='org.freedesktop.Secret.Item',member='GetSecret'";

/** The object paths of the keychain items of `service`, asked of the Secret Service itself. */
function itemPaths(service: string): string[] {
  const r = spawnSync('gdbus', ['call', '--session', '--dest', 'org.freedesktop.secrets', '--object-path', '/org/freedesktop/secrets', '--method', 'org.freedesktop.Secret.Service.SearchItems', `{'service': '${service}'}`], { encoding: 'utf8' });
  return [...r.stdout.matchAll(/'(\/org\/freedesktop\/secrets\/collection\/[^']+)'/g)].map((m) => m[1]!);
}

/** dbus-monitor's text as reads: GetSecrets lists its items in its body, GetSecret is a call on the item. */
function parse(text: string): SecretRead[] {
  return text.split(/\n(?=\S)/).flatMap((block) => {
    const sender = /^method call .*?sender=(\S+)/.exec(block)?.[1];
    if (!sender) return [];
    if (/member=GetSecrets\b/.test(block)) return [{ sender, items: [...block.matchAll(/object path "(\/org\/freedesktop\/secrets\/collection\/[^"]+)"/g)].map((m) => m[1]!) }];
    const item = /path=(\/org\/freedesktop\/secrets\/collection\/[^;]+);.*member=GetSecret\b/.exec(block)?.[1];
    return item ? [{ sender, items: [item] }] : [];
  });
}

async function until(what: string, condition: () => boolean, ms = 30_000): Promise<void> {
  for (const end = Date.now() + ms; !condition(); await new Promise((r) => setTimeout(r, 20))) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
  }
}

/**
 * The reads of `home`'s keychain items (in the test session's real gnome-keyring) made while `run` runs, in the
 * order the bus passed them on, watched with dbus-monitor. Reads of other tests' items (the session is shared) are
 * left out. They are all in once a marker item's read, made after `run` by secret-tool, shows.
 */
export async function secretReads(home: TempHome, run: () => Promise<void>): Promise<SecretRead[]> {
  const ours = new Set(itemPaths(home.service));
  if (!ours.size) throw new Error('no keychain item of this home to watch');
  const markerService = `${home.service}-marker`;
  spawnSync('secret-tool', ['store', '--label=marker', 'service', markerService, 'account', 'marker'], { input: 'marker' });
  const [marker] = itemPaths(markerService);
  if (!marker) throw new Error('could not store the marker item');
  const monitor = spawn('dbus-monitor', ['--session', SERVICE, ITEM], { stdio: ['ignore', 'pipe', 'ignore'] });
  let text = '';
  monitor.stdout.setEncoding('utf8').on('data', (d: string) => (text += d));
  try {
    // A monitor is told it lost its own name once the bus made it one: from then on it sees every read.
    await until('dbus-monitor to start', () => text.includes('member=NameLost'));
    await run();
    spawnSync('secret-tool', ['lookup', 'service', markerService, 'account', 'marker']);
    await until("the marker's read", () => parse(text).some((r) => r.items.includes(marker)));
    return parse(text).filter((r) => r.items.some((i) => ours.has(i)));
  } finally {
    monitor.kill();
  }
}
