#!/usr/bin/env node
// tests/oidc-provider.mjs — a real OpenID provider (panva's oidc-provider, pinned in package.json)
// for the OIDC tests (tests/http/oidc*.c), started by tests/run.sh beside the test daemon.
//
//   node tests/oidc-provider.mjs PORT AUDIENCE
//
// Issuer http://127.0.0.1:PORT, JWKS at /jwks with an RS256 and an ES256 key it generates at start.
// Clients register themselves (RFC 7591, POST /reg) with the grant client_credentials and koop_*
// metadata that become claims of their JWT access tokens (POST /token, RFC 9068 via resource
// indicators): koop_role → realm_access.koop_role (nested, as Keycloak puts realm roles),
// koop_teryt, koop_partner, koop_email / koop_email_verified → email / email_verified, koop_name →
// name; koop_alg picks RS256 or ES256, koop_ttl the lifetime in seconds. A token request may ask
// for the scopes read, partners:read, partners:write and no-such:scope (the `scope` claim). The token's sub is the
// client_id, so each registration is one identity; PUT /reg/CLIENT_ID (RFC 7592, with the
// registration_access_token) changes its claims, for the same subject.
//
// Test controls (not OIDC): POST /_test/rotate makes a new provider with new keys (new kids; the
// old keys are gone, as after a provider restarted with fresh keys) and keeps the registered
// clients; POST /_test/jwks?fail=1 makes /jwks answer 503 until POST /_test/jwks?fail=0.
// Prints "ready" on stdout once listening.
import http from 'node:http';
import crypto from 'node:crypto';
import Provider from 'oidc-provider';

const port = Number(process.argv[2]);
const defaultAudience = process.argv[3] || 'https://kooperacje.test';
const issuer = `http://127.0.0.1:${port}`;
let generation = 0;
let jwksFails = false;

function keys() {
  generation += 1;
  const tag = `${generation}-${crypto.randomBytes(4).toString('hex')}`;
  const rsa = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ format: 'jwk' });
  const ec = crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ format: 'jwk' });
  return [
    { ...rsa, kid: `rsa-${tag}`, alg: 'RS256', use: 'sig' },
    { ...ec, kid: `ec-${tag}`, alg: 'ES256', use: 'sig' },
  ];
}

function make() {
  const provider = new Provider(issuer, {
    jwks: { keys: keys() },
    cookies: { keys: [crypto.randomBytes(16).toString('hex')] },
    routes: { jwks: '/jwks', registration: '/reg', token: '/token' },
    features: {
      devInteractions: { enabled: false },
      clientCredentials: { enabled: true },
      registration: { enabled: true },
      registrationManagement: { enabled: true, rotateRegistrationAccessToken: false },
      resourceIndicators: {
        enabled: true,
        defaultResource: () => defaultAudience,
        useGrantedResource: () => true,
        getResourceServerInfo: (ctx, resourceIndicator, client) => ({
          scope: 'read partners:read partners:write no-such:scope',
          audience: resourceIndicator,
          accessTokenTTL: Number(client.koop_ttl) || 300,
          accessTokenFormat: 'jwt',
          jwt: { sign: { alg: client.koop_alg === 'ES256' ? 'ES256' : 'RS256' } },
        }),
      },
    },
    extraClientMetadata: {
      properties: ['koop_role', 'koop_teryt', 'koop_partner', 'koop_email', 'koop_email_verified',
        'koop_name', 'koop_alg', 'koop_ttl'],
    },
    extraTokenClaims: (ctx, token) => {
      const c = ctx.oidc.client;
      if (!c) return undefined;
      const claims = {};
      if (c.koop_role !== undefined) claims.realm_access = { koop_role: c.koop_role };
      if (c.koop_teryt !== undefined) claims.koop_teryt = c.koop_teryt;
      if (c.koop_partner !== undefined) claims.koop_partner = c.koop_partner;
      if (c.koop_email !== undefined) claims.email = c.koop_email;
      if (c.koop_email_verified !== undefined) claims.email_verified = c.koop_email_verified === true;
      if (c.koop_name !== undefined) claims.name = c.koop_name;
      return claims;
    },
  });
  return provider.callback();
}

let handler = make();

const server = http.createServer((req, res) => {
  const url = new URL(req.url, issuer);
  if (req.method === 'POST' && url.pathname === '/_test/rotate') {
    handler = make();
    res.writeHead(204).end();
    return;
  }
  if (req.method === 'POST' && url.pathname === '/_test/jwks') {
    jwksFails = url.searchParams.get('fail') === '1';
    res.writeHead(204).end();
    return;
  }
  if (jwksFails && url.pathname === '/jwks') {
    res.writeHead(503, { 'content-type': 'text/plain' }).end('down for the test');
    return;
  }
  handler(req, res);
});
server.listen(port, '127.0.0.1', () => process.stdout.write('ready\n'));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
