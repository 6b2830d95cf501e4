// doctor's keychain calls, on the real gnome-keyring of the test session: what issue 16's P3 (doctor <= 1.3x `get`)
// is paid in. Its census counted the namespace and then listed it, asking the collection and searching twice; its
// status then asked the collection, the provider's pid and our own pid one after another: nine round trips in a row
// where five do. Each round trip is ~0.5 ms of an idle machine, ~2 ms of a loaded one.
import { describe, expect, it } from 'vitest';
import { runDoctor, type DoctorSubject } from '../../shared/node/doctor';
import { createProfileTemplate } from '../../shared/core/profile-schema';
import { SecretServiceStore } from '../../shared/node/secrets/secret-service';
import type { DbusCall, DbusMessage } from '../../shared/node/secrets/dbus/connection';
import { makeTempHome } from '../helpers/temp';

type Event = { at: 'sent' | 'answered'; member: string };

/** A store of `service` whose calls are logged as they are sent and as they are answered. */
function watched(service: string): { store: SecretServiceStore; events: Event[] } {
  const store = new SecretServiceStore({ service, env: process.env, timeoutMs: 10_000 });
  const events: Event[] = [];
  const inner = store as unknown as { call(c: DbusCall): Promise<DbusMessage> };
  const call = inner.call.bind(store);
  inner.call = async (c) => {
    events.push({ at: 'sent', member: c.member });
    try {
      return await call(c);
    } finally {
      events.push({ at: 'answered', member: c.member });
    }
  };
  return { store, events };
}

/** How many times the caller waited for an answer before sending again: the round trips in a row. */
function inARow(events: Event[]): number {
  let rows = 0;
  let waiting = false;
  for (const e of events) {
    if (e.at === 'sent' && !waiting) {
      rows++;
      waiting = true;
    }
    if (e.at === 'answered') waiting = false;
  }
  return rows;
}

describe("doctor's keychain round trips", () => {
  it('the census asks the collection and searches once, then reads the attributes: three round trips in a row', async () => {
    const t = makeTempHome();
    const seed = new SecretServiceStore({ service: t.service, env: process.env, timeoutMs: 10_000 });
    await seed.set('huggingface.token', `hf_${'RoundTrip1'.repeat(4)}`);
    await seed.set('tmdb.api_key', '0123456789abcdef0123456789abcdef');
    seed.close();
    const { store, events } = watched(t.service);
    try {
      expect(await store.census(2)).toEqual(['huggingface.token', 'tmdb.api_key']);
      const sent = events.filter((e) => e.at === 'sent').map((e) => e.member);
      expect(sent.filter((m) => m === 'ReadAlias')).toHaveLength(1);
      expect(sent.filter((m) => m === 'SearchItems')).toHaveLength(1);
      expect(inARow(events)).toBe(3);
      // Another count than expected: nothing listed, the caller repairs.
      events.length = 0;
      expect(await store.census(3)).toBeUndefined();
      expect(events.filter((e) => e.at === 'sent').map((e) => e.member)).toEqual(['ReadAlias', 'Get', 'SearchItems']);
    } finally {
      store.close();
    }
  });

  it("the status, once the keychain has answered, asks the collection and both pids at once: one round trip", async () => {
    const t = makeTempHome();
    const { store, events } = watched(t.service);
    try {
      await store.count();
      events.length = 0;
      const status = await store.status();
      expect(status.ok).toBe(true);
      expect(status.backend).toContain('provider: gnome-keyring');
      expect(events.filter((e) => e.at === 'sent').map((e) => e.member).sort()).toEqual(['Get', 'GetConnectionUnixProcessID', 'GetConnectionUnixProcessID', 'ReadAlias']);
      expect(inARow(events)).toBe(1);
    } finally {
      store.close();
    }
  });

  it('the status as the first call of a store still names the provider (asked once the collection answered)', async () => {
    const t = makeTempHome();
    const { store, events } = watched(t.service);
    try {
      const status = await store.status();
      expect(status.ok).toBe(true);
      expect(status.backend).toContain('provider: gnome-keyring');
      expect(inARow(events)).toBe(2);
    } finally {
      store.close();
    }
  });

  it("exec's repair count then its values: the collection is asked once (the read does not check it again)", async () => {
    const t = makeTempHome();
    const seed = new SecretServiceStore({ service: t.service, env: process.env, timeoutMs: 10_000 });
    await seed.set('huggingface.token', `hf_${'RoundTrip2'.repeat(4)}`);
    seed.close();
    const { store, events } = watched(t.service);
    try {
      // As exec asks them: the count first (its repair check), the values once the index is read.
      expect(await store.count()).toBe(1);
      const values = await store.getMany(['huggingface.token', 'tmdb.api_key']);
      expect(values.get('huggingface.token')).toBe(`hf_${'RoundTrip2'.repeat(4)}`);
      expect(values.get('tmdb.api_key')).toBeUndefined();
      const sent = events.filter((e) => e.at === 'sent').map((e) => e.member);
      expect(sent.filter((m) => m === 'ReadAlias')).toHaveLength(1);
      expect(sent.filter((m) => m === 'Get')).toHaveLength(1);
    } finally {
      store.close();
    }
  });

  it("asks the status before it reads and checks the profile: the status's round trip is answered while the profile is parsed", async () => {
    const t = makeTempHome();
    const order: string[] = [];
    const subject = {
      profilePath: t.profile,
      getProfile: () => (order.push('profile read'), { kind: 'none', path: t.profile, profile: createProfileTemplate(new Date()) }),
      keychainStatus: async () => (order.push('status asked'), { ok: true, backend: 'test' }),
      validateAll: async () => [],
      unfinishedChanges: () => [],
    } as unknown as DoctorSubject;
    const report = await runDoctor(subject);
    expect(report.keychain.ok).toBe(true);
    expect(order).toEqual(['status asked', 'profile read']);
  });
});
