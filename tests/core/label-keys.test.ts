// A label is free text: it names accounts, projects and regions, whose ids look random, and it can hold characters a
// name cannot. An outside pass found both sides: `Stripe acct_1NnQx2LkdIwHu7ix` refused as a key, and an AWS secret
// access key pasted into the label stored in plain text about 2 times in 3 (its "/" and "+" hid it).
import { describe, expect, it } from 'vitest';
import { labelHoldsKey } from '../../shared/core/label-keys';

const AWS_EXAMPLE = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';
const HEX = '8f3b2c1d9e7a4f6b8c0d2e4f6a8b0c1d';
const UUID = '279a2e9d-83b3-c416-7e2d-f721593e42a0';
const TWILIO_SID = 'AC0123456789abcdef0123456789abcdef';

/** `count` AWS-shaped secret keys (40 of base64's alphabet), the same every run. */
function awsSecretKeys(count: number): string[] {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
  let seed = 20_240_601;
  const next = () => { // xorshift32: a made-up key is the same on every run
    seed ^= seed << 13;
    seed ^= seed >>> 17;
    seed ^= seed << 5;
    return (seed >>> 0) >>> 8;
  };
  return Array.from({ length: count }, () => Array.from({ length: 40 }, () => alphabet[next() % 64]).join(''));
}

describe('labels that name accounts, projects, orgs, regions and models stay labels', () => {
  it.each([
    'Stripe acct_1NnQx2LkdIwHu7ix', 'acct_1NnQx2LkdIwHu7ix', 'Stripe price_1MoBy5LkdIwHu7ixZhnattbh', 'OpenAI org-AbC123dEf456GhI789jKl0',
    'OpenAI proj_AbC123dEf456GhI789jKl0', 'Vercel team_a1B2c3D4e5F6g7H8i9J0k1L2', 'us-east-1/prod', 'AWS 123456789012 eu-west-2',
    'arn:aws:iam::123456789012:role/x', 'arn:aws:iam::123456789012:role/service-role/AmazonSageMaker-ExecutionRole-20240101T123456',
    'Azure tenant 72f988bf-86f1-41af-91ab-2d7cd011db47', 'Firebase 1:123456789012:android:3f1a2b4c5d6e7f80', 'app 1:123456789012:web:3f1a2b4c5d6e7f8091a2b3',
    'claude-3-5-sonnet-20241022', 'gpt-4o-mini-2024-07-18', 'GCP my-project-123456',
    'projects/MyProject/secrets/DatabasePassword2024', 'CloudStorage/MediaPipeline/Bucket2024/Uploads', 'HuggingFaceWhisperLargeTurboModelWeights',
    'sites/MySharePointSite/Shared+Documents/Folder1', 'DeepL (work, 2024)', 'Azure OpenAI gpt4o eastus2', 'CUSTOM_SERVICE_1999_API_KEY',
    // Addresses, queries and sentences: split at "=", "?", "&", "#" and "/" they stay labels.
    'https://console.cloud.google.com/apis/credentials?project=my-project-123456', 'https://github.com/org/repo?tab=readme&ref=main#setup',
    'https://huggingface.co/settings/tokens?new=1', 'meta-llama/Llama-3.1-8B-Instruct', 'hf_transfer mirror.', 'HF_HOME=/data/hf_cache',
    'Azure sub 0b1c2d3e-4f5a-6b7c-8d9e-0f1a2b3c4d5e', 'DeepL free (fx)', 'ghcr.io/org/image:1.2.3', 'key-management team, 2024-06-01.',
    // Escapes and "+" of addresses: split there, their parts stay labels.
    'sites/MySharePointSite/Shared%20Documents/Folder1', 'https://x.io/search?q=media+pipeline+keys%3A+prod', 'C++ build 2024', 'projects%2FMyProject%2Fsecrets%2FDatabasePassword2024',
    // Encoded twice (AWS's console names a parameter so), and percent signs of prose: labels still.
    'https://eu-west-1.console.aws.amazon.com/systems-manager/parameters/%252Fprod%252Fopenai%252Fkey/description?region=eu-west-1', '100% of the budget', '50%OFF', '100%25 of the budget',
    'C:\\x64\\Release\\cpw', 'D:\\users\\ada\\keys',
  ])('%s', (label) => expect(labelHoldsKey(label)).toBe(false));
});

describe('a key pasted into a label is refused', () => {
  // Letters and digits in one run each: the random-token rule of names (digits and letters interleaving) missed these.
  it.each([
    `gsk_${'abcdefghijklmnopqrstuvwxyz'}0123456789${'ABCDEFGHIJKLMNOP'}`, `r8_AbCdEfGhIjKlMnOpQrStUvWxYz0123456789`,
    `sk-ant-api03-${'AbCdEfGhIj'.repeat(6)}-0123456789AA`, `sk_live_${'AbCdEfGhIjKlMnOpQrStUvWx'}01`, 'eyJhbGciOiJIUzI1NiJ9.e30.ZRrHA1JJJW8opsbCGfG_HACGpVUMN_a9IV7pAx_Zmeo',
    `Groq gsk_${'abcdefghijklmnopqrstuvwxyz'}0123456789`, `hf_${'AbCdEfGhIjKlMnOpQrSt'}0123456789xyz`,
  ])('by its provider\'s prefix: %s', (label) => expect(labelHoldsKey(label)).toBe(true));

  it.each([
    'sk-proj-abcdefghij0123456789klmnop', `AIzaSy${'D3xAmPlE'.repeat(4)}01`, `ghp_${'a1B2c3D4e5'.repeat(4)}`, `xoxb-1234567890-${'AbCdEf'.repeat(4)}`,
    'AKIAIOSFODNN7EXAMPLE', 'Zk3x9QvL2mN8pR4tY7wB1cD', '0123456789abcdef0123456789abcdef',
  ])('as a name refuses it: %s', (key) => {
    expect(labelHoldsKey(key)).toBe(true);
    expect(labelHoldsKey(`My tool (${key})`)).toBe(true);
  });

  // As a user pastes it: in a query or an assignment ("=", "?", "&"), at the end of a path or a sentence. Each was stored.
  it.each([
    `key=AIzaSyDaGmWKa4JsXZ-HjGw7ISLn_3namBGewQe`, `https://api.example.com/v1?key=AIzaSyDaGmWKa4JsXZ-HjGw7ISLn_3namBGewQe`,
    'OPENAI_API_KEY=rk_live_51H8xYzAbCdEfGhIjKlMnOpQrStUvWx', 'https://x.io/a?x=1&token=glpat-xZ8yR_abcDEF-12GhIjK', 'export AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE',
    'AZURE_OPENAI_API_KEY=8f3b2c1d9e7a4f6b8c0d2e4f6a8b0c1d', 'TWILIO_API_KEY=SK2a0747eba6abf96b7e3c3ff0b4530f6e', 'secret=c2VjcmV0LXRva2VuLTEyMzQ1Njc4OTA=',
    'https://x.io/hooks/hf_AbCdEfGhIjKlMnOpQrStUvWxYzabcdefgh', 'the key is hf_AbCdEfGhIjKlMnOpQrStUvWxYzabcdefgh.', 'https://x.io/hooks/xoxb-2534567890123-AbCdEfGhIjKlMnOp',
  ])('in a query, an assignment, a path or a sentence: %s', (label) => expect(labelHoldsKey(label)).toBe(true));

  // URL-encoded (copied from an address bar or a log): a quote's escape glued its hex to the key ("22sk_live_..."), a
  // "+" (a query's space) was one word with it, and an AWS key's "/" as %2F cut it in pieces too short to see. Each was stored.
  it.each([
    '%22sk_live_51H8xYzAbCdEfGhIjKlMnOpQrStUvWx%22', 'x+sk_live_51H8xYzAbCdEfGhIjKlMnOpQrStUvWx', 'https://x.io/?q=my+key+hf_AbCdEfGhIjKlMnOpQrStUvWxYzabcdefgh',
    'https://x.io/?q=token%3Dghp_a1B2c3D4e5a1B2c3D4e5a1B2c3D4e5a1B2c3D4e5', 'wJalrXUtnFEMI%2FK7MDENG%2FbPxRfiCYEXAMPLEKEY', 'key%3AAKIAIOSFODNN7EXAMPLE',
  ])('URL-encoded: %s', (label) => expect(labelHoldsKey(label)).toBe(true));

  // Encoded twice (an address inside a query, a log of a redirect): the "%25" broke the word and left the escape's hex
  // glued to the key ("22sk_live_..."), or the "2F" inside an AWS key's pieces. Each was stored.
  it.each(['%2522sk_live_51H8xYzAbCdEfGhIjKlMnOpQrStUvWx%2522', 'wJalrXUtnFEMI%252FK7MDENG%252FbPxRfiCYEXAMPLEKEY', 'q%3D%252522hf_AbCdEfGhIjKlMnOpQrStUvWxYzabcdefgh'])(
    'URL-encoded twice or more: %s',
    (label) => expect(labelHoldsKey(label)).toBe(true),
  );

  // A JSON or shell escape of a quote (a log line's {\u0022key\u0022:...}, bash's $'\x22...'): its hex glued to the key.
  it.each(['{\\u0022key\\u0022:\\u0022sk_live_51H8xYzAbCdEfGhIjKlMnOpQrStUvWx\\u0022}', "$'\\x27AKIAIOSFODNN7EXAMPLE\\x27'"])('escaped as in JSON or a shell: %s', (label) => expect(labelHoldsKey(label)).toBe(true));

  // Copied from a chat or a document, or typed after a word: punctuation no list of breaks named hid each of these.
  it.each([
    '“sk_live_51H8xYzAbCdEfGhIjKlMnOpQrStUvWx”', '‘AKIAIOSFODNN7EXAMPLE’', '«gsk_abcdefghijklmnopqrstuvwxyz0123456789»', 'key：hf_AbCdEfGhIjKlMnOpQrStUvWxYzabcdefgh',
    'key\u200bglpat-xZ8yR_abcDEF-12GhIjK', 'AIzaSyDaGmWKa4JsXZ-HjGw7ISLn_3namBGewQe!', 'prod—AKIAIOSFODNN7EXAMPLE', '*sk_live_51H8xYzAbCdEfGhIjKlMnOpQrStUvWx*',
    'C:\\keys\\hf_AbCdEfGhIjKlMnOpQrStUvWxYzabcdefgh', 'ci@gsk_abcdefghijklmnopqrstuvwxyz0123456789', 'AKIAIOSFODNN7EXAMPLE…',
  ])('in quotes or after punctuation of any kind: %s', (label) => expect(labelHoldsKey(label)).toBe(true));

  it.each(['Zürich prod 2024', 'Проект: ключ для CI', '東京-1 チーム', 'José’s key (staging)', 'me@example.com — work', '~/keys/deepl.txt', 'C:\\Users\\me\\keys'])(
    'a label in other scripts and punctuation stays one: %s', (label) => expect(labelHoldsKey(label)).toBe(false));

  it('a DeepL key (a UUID and ":fx"), bare, quoted or after "key:", where a UUID alone is an id', () => {
    const deepl = '279a2e9d-83b3-c416-7e2d-f721593e42a0:fx';
    for (const label of [deepl, `"${deepl}"`, `key: ${deepl}`, `DEEPL_AUTH_KEY=${deepl}`, `the key is ${deepl}.`]) expect(labelHoldsKey(label), label).toBe(true);
    expect(labelHoldsKey('279a2e9d-83b3-c416-7e2d-f721593e42a0')).toBe(false);
  });

  // Each was stored in plain text: a 32-hex key where an address puts its key, a DeepL Pro key (a bare UUID) named as
  // a key or beside DeepL's name, a Twilio auth token in a URL's user part.
  it.each([
    `https://api.x.com/v1/${HEX}`, `https://mainnet.infura.io/v3/${HEX}`, `api.x.com/v1/${HEX}/`, `https://x.io/v1/${HEX}?format=json`,
    `DEEPL_AUTH_KEY=${UUID}`, `api_key: "${UUID}"`, `APIKEY=${UUID}`, `accessToken: ${UUID}`, `clientSecret=${UUID}`, `DeepL Pro ${UUID}`, `deepl (work) – ${UUID}`, `HEROKU_API_KEY=${UUID}`,
    `https://${TWILIO_SID}:${HEX}@api.twilio.com/2010-04-01/Accounts`, `Twilio ${TWILIO_SID} ${HEX}`,
  ])('a 32-hex key at a path\'s end, a UUID named as a key or DeepL\'s, a Twilio auth token: %s', (label) => expect(labelHoldsKey(label)).toBe(true));

  // Ids, not keys: Twilio's Account SID names the account (as Stripe's acct_ does; it was refused for its interleaving
  // letters and digits), a UUID named as an id, a 32-hex id inside a path, a commit's 40 hex digits at a path's end.
  it.each([
    TWILIO_SID, `Twilio ${TWILIO_SID}`, `https://api.twilio.com/2010-04-01/Accounts/${TWILIO_SID}/Messages.json`, `AZURE_TENANT_ID=${UUID}`,
    `https://dash.cloudflare.com/${HEX}/workers`, 'https://github.com/org/repo/commit/1a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d', `tenant ${UUID}`,
    `Turkey: ${UUID}`, `Monkey=${UUID}`, `Hotkey: ${UUID}`,
  ])('stays a label: %s', (label) => expect(labelHoldsKey(label)).toBe(false));

  it('an AWS secret access key, "/" and "+" and all: the documentation\'s example, and 3,000 made up, all but at most one in a thousand', () => {
    expect(labelHoldsKey(AWS_EXAMPLE)).toBe(true);
    expect(labelHoldsKey(`AWS prod ${AWS_EXAMPLE}`)).toBe(true);
    const keys = awsSecretKeys(3000);
    expect(keys.filter((k) => /[/+]/.test(k)).length).toBeGreaterThan(2000); // the ones the random-token rule never saw
    expect(keys.filter((k) => !labelHoldsKey(`AWS prod ${k}`)).length).toBeLessThanOrEqual(3);
  });

  it('a public id\'s prefix does not shelter a key: a Stripe client secret, a key after "acct_", an org- of a key\'s length, a 32-hex key as a Firebase app id', () => {
    for (const label of ['pi_3MtwBwLkdIwHu7ix28a3tqPa_secret_YrKJUKribcBjcG8HVhfZluoGH', `acct_${AWS_EXAMPLE}`, `org-${'a1B2c3D4e5'.repeat(4)}`, '1:123456789012:web:8f3b2c1d9e7a4f6b8c0d2e4f6a8b0c1d']) {
      expect(labelHoldsKey(label), label).toBe(true);
    }
  });
});
