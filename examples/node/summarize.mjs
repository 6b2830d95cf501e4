#!/usr/bin/env node
// A Node pipeline stage using the cpw-vault library directly (no subprocess).
//   node examples/node/summarize.mjs
import { getCredential, requireWorkflow, isVaultError } from 'cpw-vault';

try {
  const status = await requireWorkflow('summarize'); // throws VaultError listing what is missing
  const [service] = status.uses[0].split('.');
  const { value, source } = await getCredential(service, 'api_key');
  for (const w of status.warnings) console.error(`[summarize.mjs] warning: ${w}`);
  const from = source.kind === 'keychain' && source.store === 'file' ? 'vault file' : source.kind; // a host with no keychain
  console.log(`[summarize.mjs] ${service} API key loaded: ${value ? 'yes' : 'no'} (from ${from})`);
} catch (err) {
  if (!isVaultError(err)) throw err;
  console.error(`[summarize.mjs] cannot run: [${err.code}] ${err.message}\nfix: ${err.fix}`);
  // 4 when the secret store cannot be used: a keychain's problem, or a vault file that is locked or missing (as the CLI).
  const storeProblem = err.code.startsWith('KEYCHAIN_') || err.code === 'VAULT_LOCKED' || err.code === 'VAULT_NOT_FOUND';
  process.exit(err.code === 'WORKFLOW_NOT_READY' || err.code === 'CREDENTIAL_MISSING' ? 3 : storeProblem ? 4 : 1);
}
