// A real OpenID provider (the certified `oidc-provider` package) for the identity specs and the bench.
// ESM-only, so it runs as a child process: it listens on a free port and prints one JSON line
// `{"issuer","kid"}`. It issues RS256 JWT access tokens through the client-credentials grant with a
// resource indicator (the token's `aud`); the test client may set the token's subject and extra claims
// (`sub`, `claims` as JSON, `exp_offset` seconds) in the token request. Commands on stdin, one per line,
// each answered with one JSON line: `rotate` (new signing key, the old one leaves the JWKS) and `stats`
// (how many times the JWKS was fetched).
import http from 'node:http';
import readline from 'node:readline';
import { exportJWK, generateKeyPair } from 'jose';
import Provider from 'oidc-provider';

const TEST_CLIENT = { id: 'tenantql-test', secret: 'tenantql-test-secret-0123456789abcdef' };

let jwksFetches = 0;
let keyNumber = 0;
let handler = (_req, res) => res.writeHead(503).end();
const server = http.createServer((req, res) => {
  if (req.url?.startsWith('/jwks')) jwksFetches += 1;
  handler(req, res);
});
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
const issuer = `http://127.0.0.1:${server.address().port}`;

async function signingKey() {
  const { privateKey } = await generateKeyPair('RS256', { extractable: true });
  const jwk = await exportJWK(privateKey);
  keyNumber += 1;
  return { ...jwk, kid: `test-key-${keyNumber}`, alg: 'RS256', use: 'sig' };
}

async function start() {
  const key = await signingKey();
  const provider = new Provider(issuer, {
    jwks: { keys: [key] },
    clients: [
      {
        client_id: TEST_CLIENT.id,
        client_secret: TEST_CLIENT.secret,
        grant_types: ['client_credentials'],
        redirect_uris: [],
        response_types: [],
      },
    ],
    features: {
      devInteractions: { enabled: false },
      clientCredentials: { enabled: true },
      resourceIndicators: {
        enabled: true,
        useGrantedResource: () => true,
        getResourceServerInfo: (_ctx, resource) => ({
          scope: 'api',
          audience: resource,
          accessTokenFormat: 'jwt',
          accessTokenTTL: 300,
          jwt: { sign: { alg: 'RS256' } },
        }),
      },
    },
    formats: {
      customizers: {
        // What a user's session token carries at Clerk, Auth0 or Keycloak: subject, email, organization claims.
        jwt: (ctx, _token, jwt) => {
          const body = ctx.oidc.body ?? {};
          if (body.sub) jwt.payload.sub = body.sub;
          if (body.claims) Object.assign(jwt.payload, JSON.parse(body.claims));
          if (body.exp_offset) jwt.payload.exp = Math.floor(Date.now() / 1000) + Number(body.exp_offset);
        },
      },
    },
  });
  provider.on('server_error', (_ctx, error) => process.stderr.write(`${error.stack}\n`));
  handler = provider.callback();
  return key.kid;
}

const reply = (value) => process.stdout.write(`${JSON.stringify(value)}\n`);
reply({ issuer, kid: await start() });
readline.createInterface({ input: process.stdin }).on('line', async (line) => {
  if (line === 'rotate') reply({ kid: await start() });
  else if (line === 'stats') reply({ jwksFetches });
  else reply({ error: `unknown command ${line}` });
});
process.stdin.on('end', () => server.close(() => process.exit(0)));
