import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A throwaway certificate authority and one server certificate it signed. */
export interface TestPki {
  /** The CA certificate file (for NODE_EXTRA_CA_CERTS). */
  caFile: string;
  ca: string;
  key: string;
  cert: string;
  /** A self-signed certificate for the same names that nobody trusts (the TLS failure case). */
  untrusted: { key: string; cert: string };
}

const EC = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '2'];

/** Makes a CA and a server certificate for `names` (DNS names, and 127.0.0.1) with openssl. */
export function makeTestPki(names: readonly string[]): TestPki {
  const dir = mkdtempSync(join(process.env['CPW_TEST_ROOT'] ?? tmpdir(), 'pki-'));
  const f = (n: string) => join(dir, n);
  const san = `subjectAltName=${[...names.map((n) => `DNS:${n}`), 'IP:127.0.0.1'].join(',')}`;
  const run = (args: string[]) => execFileSync('openssl', args, { stdio: ['ignore', 'ignore', 'pipe'] });
  run(['req', '-x509', ...EC, '-keyout', f('ca.key'), '-out', f('ca.crt'), '-subj', '/CN=cpw-vault test CA']);
  run(['req', '-x509', ...EC, '-keyout', f('srv.key'), '-out', f('srv.crt'), '-subj', `/CN=${names[0]}`, '-CA', f('ca.crt'), '-CAkey', f('ca.key'), '-addext', san]);
  run(['req', '-x509', ...EC, '-keyout', f('self.key'), '-out', f('self.crt'), '-subj', `/CN=${names[0]}`, '-addext', san]);
  const read = (n: string) => readFileSync(f(n), 'utf8');
  return { caFile: f('ca.crt'), ca: read('ca.crt'), key: read('srv.key'), cert: read('srv.crt'), untrusted: { key: read('self.key'), cert: read('self.crt') } };
}
