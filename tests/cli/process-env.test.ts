import { describe, expect, it } from 'vitest';
import { processEnv } from '../../shared/cli/process-env';

/** A stand-in for process.env that counts how often each name is asked for. */
function countingSource(vars: Record<string, string>): { source: NodeJS.ProcessEnv; asked: Map<string, number> } {
  const asked = new Map<string, number>();
  const count = (name: string | symbol) => {
    if (typeof name === 'string') asked.set(name, (asked.get(name) ?? 0) + 1);
  };
  const source = new Proxy({ ...vars } as NodeJS.ProcessEnv, {
    get: (t, name) => (count(name), Reflect.get(t, name)),
    getOwnPropertyDescriptor: (t, name) => (count(name), Reflect.getOwnPropertyDescriptor(t, name)),
  });
  return { source, asked };
}

describe('the environment a command reads', () => {
  it('reads each variable from the process once, when first asked, and no other', () => {
    const { source, asked } = countingSource({ HOME: '/home/u', HF_TOKEN: 'hf_x', EMPTY: '' });
    const env = processEnv(source);
    expect(asked.size).toBe(0);
    for (let i = 0; i < 3; i++) {
      expect(env['HF_TOKEN']).toBe('hf_x');
      expect(env['NOT_SET']).toBeUndefined();
      expect(env['EMPTY']).toBe('');
    }
    expect([...asked.keys()].sort()).toEqual(['EMPTY', 'HF_TOKEN', 'NOT_SET']);
    expect(Math.max(...asked.values())).toBeLessThanOrEqual(2); // hasOwn, then the value
  });

  it('answers no inherited name as a variable (a record with no prototype)', () => {
    const env = processEnv({ PATH: '/bin' });
    for (const name of ['constructor', 'toString', '__proto__', 'hasOwnProperty', 'valueOf']) {
      expect(env[name], name).toBeUndefined();
      expect(name in env, name).toBe(false);
    }
    expect(Object.getPrototypeOf(env)).toBeNull();
  });

  it('lists, spreads and iterates exactly the variables set, empty ones included', () => {
    const vars = { B: '2', A: '1', EMPTY: '' };
    const env = processEnv({ ...vars });
    expect(Object.keys(env).sort()).toEqual(['A', 'B', 'EMPTY']);
    expect({ ...env }).toEqual(vars);
    const seen: string[] = [];
    for (const name in env) seen.push(name);
    expect(seen.sort()).toEqual(['A', 'B', 'EMPTY']);
    expect(JSON.parse(JSON.stringify(env))).toEqual(vars);
    expect(Object.entries(env).sort()).toEqual(Object.entries(vars).sort());
    expect('A' in env).toBe(true);
    expect('C' in env).toBe(false);
    expect(Object.hasOwn(env, 'A')).toBe(true);
    expect(Object.hasOwn(env, 'C')).toBe(false);
  });

  it('is read-only: a write, a delete or a definition throws and changes nothing', () => {
    const source: NodeJS.ProcessEnv = { A: '1' };
    const env = processEnv(source) as Record<string, string | undefined>;
    expect(() => {
      env['A'] = '2';
    }).toThrow(TypeError);
    expect(() => {
      delete env['A'];
    }).toThrow(TypeError);
    expect(() => Object.defineProperty(env, 'B', { value: '3' })).toThrow(TypeError);
    expect(() => Object.setPrototypeOf(env, {})).toThrow(TypeError);
    expect(env['A']).toBe('1');
    expect(source).toEqual({ A: '1' });
  });

  // Object.preventExtensions and Object.freeze went through to the Proxy's empty target, which then could not report
  // the variables it does not hold: every later listing (a spread, Object.keys, exec's child environment) threw.
  it('refuses to be made non-extensible or frozen, and still lists its variables after', () => {
    const env = processEnv({ A: '1' });
    expect(() => Object.preventExtensions(env)).toThrow(TypeError);
    expect(() => Object.freeze(env)).toThrow(TypeError);
    expect(() => Object.seal(env)).toThrow(TypeError);
    expect(Object.isExtensible(env)).toBe(true);
    expect(Object.keys(env)).toEqual(['A']);
    expect({ ...env }).toEqual({ A: '1' });
  });

  it('reads the real process.env by default', () => {
    const env = processEnv();
    expect(env['PATH']).toBe(process.env['PATH']);
    expect(Object.keys(env).sort()).toEqual(Object.keys(process.env).sort());
  });
});
