// Runs graphql-http's server audit, the GraphQL over HTTP spec's MUST, SHOULD and MAY items,
// against a GraphQL URL; prints each result and the totals, and exits 1 unless every MUST and
// SHOULD passes (2 on a usage or fatal error).
//
//   LICENSING_API_KEY=<key> node audit.mjs http://127.0.0.1:8080/graphql
//
// LICENSING_API_KEY, when set, goes on every request as "Authorization: Bearer <key>"; it is
// never printed. Each request gives up after AUDIT_TIMEOUT_MS (default 10000, at most 60000).
import { auditServer } from 'graphql-http';

const LEVELS = ['MUST', 'SHOULD', 'MAY'];

function fail(msg) {
  console.error(`audit.mjs: ${msg}`);
  process.exit(2);
}

function parseArgs() {
  const [target, ...rest] = process.argv.slice(2);
  if (!target || rest.length > 0) fail('usage: node audit.mjs <graphql url>  (env LICENSING_API_KEY: API key)');
  let url;
  try {
    url = new URL(target);
  } catch {
    fail(`not a URL: ${target}`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') fail(`not an http(s) URL: ${target}`);
  const timeout = Number(process.env.AUDIT_TIMEOUT_MS || 10000);
  if (!Number.isInteger(timeout) || timeout < 1 || timeout > 60000) fail('AUDIT_TIMEOUT_MS must be 1 to 60000');
  return { url: url.href, key: process.env.LICENSING_API_KEY || '', timeout };
}

// authenticated wraps fetch: the key on every request, and a timeout.
function authenticated(key, timeout) {
  return (input, init = {}) => {
    const headers = new Headers(init.headers);
    if (key) headers.set('authorization', `Bearer ${key}`);
    return fetch(input, { ...init, headers, signal: AbortSignal.timeout(timeout) });
  };
}

// describe says what the server answered to a failed audit: status, media type, body start.
async function describe(res) {
  if (!res) return '';
  let body = '';
  try {
    body = await res.clone().text();
  } catch {
    body = '(body already read)';
  }
  const type = res.headers.get('content-type') || 'no content-type';
  return `${res.status} ${type} ${body.replace(/\s+/g, ' ').slice(0, 300)}`;
}

const { url, key, timeout } = parseArgs();
let results;
try {
  results = await auditServer({ url, fetchFn: authenticated(key, timeout) });
} catch (err) {
  fail(`the audit stopped: ${err && err.message ? err.message : err}`);
}

const totals = Object.fromEntries(LEVELS.map((l) => [l, { ok: 0, all: 0 }]));
for (const r of results) {
  const level = r.name.split(' ')[0];
  totals[level].all++;
  if (r.status === 'ok') {
    totals[level].ok++;
    console.log(`ok     ${r.id} ${r.name}`);
  } else {
    console.log(`${r.status.padEnd(6)} ${r.id} ${r.name}\n         ${r.reason}; got: ${await describe(r.response)}`);
  }
}
console.log('\n' + LEVELS.map((l) => `${l} ${totals[l].ok}/${totals[l].all}`).join(', '));
const passed = totals.MUST.ok === totals.MUST.all && totals.SHOULD.ok === totals.SHOULD.all;
console.log(passed ? 'every MUST and SHOULD passes' : 'FAIL: some MUST or SHOULD items do not pass');
process.exit(passed ? 0 : 1);
