// The README's curl walkthrough through a typed client generated from openapi.yaml
// (openapi-typescript + openapi-fetch, pinned in package.json). tests/client.sh type-checks it
// (tsc --noEmit, strict) and runs it against the test daemon; against `make run`:
//
//   npx openapi-typescript openapi.yaml --default-non-nullable false -o build/client/api.d.ts
//   TOKEN=koop_... KOOP_URL=http://127.0.0.1:8080 npx tsx docs/client/example.mts
//
// Every call checks the status it expects and stops with the problem+json it got otherwise.
import createClient from 'openapi-fetch';
import type { paths } from '../../build/client/api.js';

const baseUrl = process.env.KOOP_URL ?? 'http://127.0.0.1:8080';
const token = process.env.TOKEN;
if (!token) {
  console.error('example: set TOKEN to an admin token (make run prints one)');
  process.exit(2);
}
// lists in a query are comma-separated (types=a,b), as openapi.yaml says (style form, explode false)
const querySerializer = { array: { style: 'form', explode: false } } as const;
const api = createClient<paths>({ baseUrl, querySerializer, headers: { Authorization: `Bearer ${token}` } });
const run = Date.now().toString(36); // keeps the example's own records apart between runs

type Answer<T> = { data?: T; error?: unknown; response: Response };
function expect<T>(r: Answer<T>, status: number, what: string): T {
  if (r.response.status !== status) {
    throw new Error(`${what}: wanted ${status}, got ${r.response.status} ${JSON.stringify(r.error)}`);
  }
  console.log(`${what}: ${status}`);
  return r.data as T;
}

const me = expect(await api.GET('/v1/me'), 200, 'GET /v1/me');
console.log(`  signed in as ${me.user.name} (${me.user.role})`);

// the partnership, searched without diacritics, 5 per page (follow next_cursor)
let cursor: string | undefined;
let seen = 0;
do {
  const page = expect(
    await api.GET('/v1/partners', { params: { query: { q: 'osrodek', limit: 5, cursor } } }),
    200,
    'GET /v1/partners?q=osrodek',
  );
  seen += page.items.length;
  cursor = page.next_cursor ?? undefined;
} while (cursor);
console.log(`  ${seen} partners match "osrodek"`);
expect(await api.GET('/v1/partners', { params: { query: { sector: 'education', status: 'active' } } }), 200,
  'GET /v1/partners?sector=education&status=active');

// add a partner; a retry with the same Idempotency-Key replays the first answer
const body = {
  name: `Poradnia Psychologiczno-Pedagogiczna (${run})`,
  sector: 'education' as const,
  identifiers: { nip: '6471000008' },
  address: { city: 'Wodzisław Śląski', postal_code: '44-300' },
};
const key = `example-${run}`;
const created = await api.POST('/v1/partners', { body, params: { header: { 'Idempotency-Key': key } } });
const partner = expect(created, 201, 'POST /v1/partners');
const replay = expect(await api.POST('/v1/partners', { body, params: { header: { 'Idempotency-Key': key } } }),
  201, 'POST /v1/partners (replayed)');
if (replay.id !== partner.id) throw new Error('the replay made a second partner');
const etag = created.response.headers.get('ETag') ?? '';

// change it: JSON merge patch with the ETag held
const patched = expect(
  await api.PATCH('/v1/partners/{partner_id}', {
    params: { path: { partner_id: partner.id }, header: { 'If-Match': etag } },
    body: { declaration: { signed_on: '2026-11-23', certificate_number: `PZK/2026/${run}` } },
  }),
  200,
  'PATCH /v1/partners/{id}',
);
console.log(`  version ${patched.version}`);

// its accession: invited → declared → active
for (const to of ['declared', 'active'] as const) {
  expect(await api.POST('/v1/partners/{partner_id}/transitions', {
    params: { path: { partner_id: partner.id } }, body: { to },
  }), 200, `POST /v1/partners/{id}/transitions → ${to}`);
}

// an agreement and an entry in the register of mutual benefits
expect(await api.POST('/v1/partners/{partner_id}/agreements', {
  params: { path: { partner_id: partner.id } },
  body: { title: 'Porozumienie o współpracy', signed_on: '2026-11-23' },
}), 201, 'POST /v1/partners/{id}/agreements');
expect(await api.POST('/v1/partners/{partner_id}/benefits', {
  params: { path: { partner_id: partner.id } },
  body: { description: 'Wspólne dyżury dla rodzin', recorded_on: '2026-11-23' },
}), 201, 'POST /v1/partners/{id}/benefits');

// the basket: search as people type, free places only, and keep free places current
expect(await api.GET('/v1/services', { params: { query: { q: 'uzaleznien' } } }), 200, 'GET /v1/services?q=uzaleznien');
const open = expect(await api.GET('/v1/services', { params: { query: { has_capacity: true, status: 'active' } } }),
  200, 'GET /v1/services?has_capacity=true');
const service = open.items[0];
if (service) {
  expect(await api.PATCH('/v1/services/{service_id}/capacity', {
    params: { path: { service_id: service.id } },
    body: { available: service.capacity.available ?? 0 },
  }), 200, 'PATCH /v1/services/{id}/capacity');
}
expect(await api.GET('/v1/services/export/hsds'), 200, 'GET /v1/services/export/hsds');

// families (every read is audited), their members, consents and GDPR export
const families = expect(await api.GET('/v1/families'), 200, 'GET /v1/families');
const family = families.items[0];
if (family) {
  const path = { family_id: family.id };
  expect(await api.GET('/v1/families/{family_id}/members', { params: { path } }), 200, 'GET …/members');
  expect(await api.GET('/v1/families/{family_id}/consents', { params: { path } }), 200, 'GET …/consents');
  expect(await api.GET('/v1/families/{family_id}/export', { params: { path } }), 200, 'GET …/export');
  const teams = expect(await api.GET('/v1/task-teams', { params: { query: { family_id: family.id } } }), 200,
    'GET /v1/task-teams?family_id=');
  const team = teams.items[0];
  if (team) {
    const tp = { team_id: team.id };
    expect(await api.GET('/v1/task-teams/{team_id}/actions', { params: { path: tp } }), 200, 'GET …/actions');
    expect(await api.GET('/v1/task-teams/{team_id}/timeline', { params: { path: tp } }), 200, 'GET …/timeline');
  }
}
expect(await api.GET('/v1/referrals', { params: { query: { status: 'referred' } } }), 200, 'GET /v1/referrals?status=referred');

// reports, and what changed: the feed and the audit log
expect(await api.GET('/v1/reports/referrals', { params: { query: { from: '2026-01-01', to: '2026-12-31' } } }), 200,
  'GET /v1/reports/referrals');
const feed = expect(await api.GET('/v1/events', { params: { query: { after: 0, types: ['partner.created', 'partner.active'] } } }),
  200, 'GET /v1/events');
console.log(`  ${feed.items.length} events, next_after ${feed.next_after}`);
expect(await api.GET('/v1/audit-events', { params: { query: { resource: 'partner', resource_id: partner.id } } }), 200,
  'GET /v1/audit-events?resource=partner');

// a coordinator with a token of their own (the secret is shown once)
const user = expect(await api.POST('/v1/users', {
  body: { name: 'Koordynator PZK', email: `koordynator-${run}@mops.example`, role: 'coordinator' },
}), 201, 'POST /v1/users');
const minted = expect(await api.POST('/v1/users/{user_id}/tokens', {
  params: { path: { user_id: user.id } }, body: { name: 'laptop', expires_in_days: 30 },
}), 201, 'POST /v1/users/{id}/tokens');
const coordinator = createClient<paths>({ baseUrl, querySerializer, headers: { Authorization: `Bearer ${minted.token}` } });
const who = expect(await coordinator.GET('/v1/me'), 200, 'GET /v1/me as the coordinator');
if (who.user.role !== 'coordinator') throw new Error(`the new token is a ${who.user.role}`);

// the public basket needs no token
const pub = createClient<paths>({ baseUrl });
const teryt = process.env.TERYT;
if (teryt) {
  expect(await pub.GET('/public/v1/{teryt}/services', { params: { path: { teryt }, query: { q: 'asystent' } } }),
    200, 'GET /public/v1/{teryt}/services?q=asystent');
}
console.log('example: the walkthrough ran through the typed client');
