// The keychain reads of a command share the time from the store's opening to the command's deadline. A store opened
// after the deadline (the command waited 10 s for a lock a killed writer left) still gets MIN_READ_MS: before, its
// first read failed at once with KEYCHAIN_TIMEOUT, the keychain never asked (found as a flaky pid-namespace test).
import { describe, expect, it } from 'vitest';
import { MIN_READ_MS, ReadClock } from '../../shared/node/secrets/read-clock';

const timeout = () => new Error('KEYCHAIN_TIMEOUT');

describe('ReadClock', () => {
  it('a store opened past the command deadline still reads (within MIN_READ_MS)', async () => {
    const clock = new ReadClock(Date.now() - 1_000);
    await expect(clock.batch(timeout, async () => 'read')).resolves.toBe('read');
  });

  it('and gives up a read that takes longer than that', async () => {
    const clock = new ReadClock(Date.now() - 1_000);
    const started = Date.now();
    await expect(clock.batch(timeout, () => new Promise<string>(() => {}))).rejects.toThrow('KEYCHAIN_TIMEOUT');
    expect(Date.now() - started).toBeGreaterThanOrEqual(MIN_READ_MS - 50);
  });

  it('a store opened in time keeps the deadline it was given, and its reads share it', async () => {
    const clock = new ReadClock(Date.now() + MIN_READ_MS + 400);
    const started = Date.now();
    await expect(clock.batch(timeout, () => new Promise<string>(() => {}))).rejects.toThrow('KEYCHAIN_TIMEOUT');
    expect(Date.now() - started).toBeGreaterThanOrEqual(MIN_READ_MS + 350);
    // The time is spent: the next read fails at once.
    await expect(clock.batch(timeout, async () => 'read')).rejects.toThrow('KEYCHAIN_TIMEOUT');
  });
});
