// A real OpenID Connect provider (panva/oidc-provider) that poses as an eHerkenning broker for the
// portal's login tests (tests/portaal/test_oidc.py). Usage: node provider.mjs CONFIG.json
//
// CONFIG: {"client": {client_id, client_secret, redirect_uris, post_logout_redirect_uris},
//          "accounts": {"<sub>": {"acr": "...", "claims": {"<claim name>": value, ...}}},
//          "claimNames": ["<every eHerkenning claim name>", ...]}
//
// It listens on 127.0.0.1 on a free port and prints one JSON line {"issuer": "http://127.0.0.1:PORT"}.
// The login is a form (GET /interaction/:uid) whose POST names the account: a test drives it with
// an HTTP client, as a person would pick a means of login. Consent is granted for every requested
// scope (the portal is a first-party client of the broker).
//
// For the tests of the portal's ID-token checks, POST /_test/fout {"fout": MODE} makes the token
// endpoint hand out a doctored ID token until it is reset with {"fout": null}:
//   handtekening  the signature no longer matches
//   nonce, aud, iss, verlopen   that claim is wrong (re-signed with the provider's real key)
//   userinfo      the eHerkenning claims are left out of the ID token (re-signed), so that the
//                 portal has to fetch them from the userinfo endpoint
import { generateKeyPairSync } from 'node:crypto';
import { readFileSync } from 'node:fs';
import http from 'node:http';

import { SignJWT, decodeJwt, decodeProtectedHeader, importJWK } from 'jose';
import Provider from 'oidc-provider';

const config = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const accounts = config.accounts;

const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const jwk = { ...privateKey.export({ format: 'jwk' }), kid: 'knooppunt-test', use: 'sig', alg: 'RS256' };
const sleutel = await importJWK(jwk, 'RS256');

let fout = null;

async function leesFormulier(req) {
  const delen = [];
  for await (const deel of req) delen.push(deel);
  const tekst = Buffer.concat(delen).toString('utf8');
  if ((req.headers['content-type'] || '').startsWith('application/json')) return JSON.parse(tekst || '{}');
  return Object.fromEntries(new URLSearchParams(tekst));
}

function html(tekst) {
  return String(tekst).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

async function doctor(idToken) {
  if (fout === 'handtekening') {
    const [kop, inhoud, handtekening] = idToken.split('.');
    const anders = handtekening[0] === 'A' ? 'B' : 'A';
    return `${kop}.${inhoud}.${anders}${handtekening.slice(1)}`;
  }
  const claims = decodeJwt(idToken);
  const kop = decodeProtectedHeader(idToken);
  if (fout === 'nonce') claims.nonce = 'een-andere-nonce';
  if (fout === 'aud') {
    // Meant for another client, though naming ours as authorized party: still not for us.
    claims.aud = 'een-andere-client';
    claims.azp = config.client.client_id;
  }
  if (fout === 'iss') claims.iss = 'https://nep-makelaar.example';
  if (fout === 'verlopen') {
    claims.iat -= 7200;
    claims.exp = claims.iat + 600;
  }
  if (fout === 'userinfo') {
    for (const naam of config.claimNames) delete claims[naam];
  }
  return new SignJWT(claims).setProtectedHeader(kop).sign(sleutel);
}

const server = http.createServer();
await new Promise((klaar) => server.listen(0, '127.0.0.1', klaar));
const issuer = `http://127.0.0.1:${server.address().port}`;

const acrs = [...new Set(Object.values(accounts).map((a) => a.acr).filter(Boolean))];

const provider = new Provider(issuer, {
  clients: [config.client],
  jwks: { keys: [jwk] },
  cookies: { keys: ['knooppunt-test-cookies-zijn-niet-geheim'] },
  acrValues: acrs,
  claims: {
    acr: null,
    auth_time: null,
    iss: null,
    sid: null,
    // acr and auth_time in every ID token, as brokers do (oidc-provider adds them on request only).
    openid: ['sub', 'acr', 'auth_time', ...config.claimNames],
    profile: ['name'],
  },
  // Real brokers put the eHerkenning attributes in the ID token; mode "userinfo" takes them out.
  conformIdTokenClaims: false,
  pkce: { required: () => true },
  features: {
    devInteractions: { enabled: false },
    // Pages without anything from elsewhere (the defaults load web fonts from the internet).
    rpInitiatedLogout: {
      enabled: true,
      logoutSource(ctx, form) {
        ctx.body = `<!doctype html><html lang="nl"><title>Uitloggen bij de testmakelaar</title>
          <h1>Uitloggen bij de testmakelaar?</h1>${form}
          <button type="submit" form="op.logoutForm" value="yes" name="logout">Ja, uitloggen</button>
          <button type="submit" form="op.logoutForm">Nee</button></html>`;
      },
      postLogoutSuccessSource(ctx) {
        ctx.body = '<!doctype html><html lang="nl"><title>Uitgelogd</title><p>Uitgelogd.</p></html>';
      },
    },
  },
  interactions: { url: (ctx, interaction) => `/interaction/${interaction.uid}` },
  async findAccount(ctx, sub) {
    const account = accounts[sub];
    if (!account) return undefined;
    return { accountId: sub, claims: async () => ({ sub, ...account.claims }) };
  },
  async loadExistingGrant(ctx) {
    const grantId = ctx.oidc.result?.consent?.grantId
      || ctx.oidc.session.grantIdFor(ctx.oidc.client.clientId);
    if (grantId) return ctx.oidc.provider.Grant.find(grantId);
    const grant = new ctx.oidc.provider.Grant({
      clientId: ctx.oidc.client.clientId,
      accountId: ctx.oidc.session.accountId,
    });
    grant.addOIDCScope([...ctx.oidc.requestParamScopes].join(' '));
    await grant.save();
    return grant;
  },
  renderError(ctx, out) {
    ctx.type = 'json';
    ctx.body = out;
  },
});

provider.use(async (ctx, next) => {
  if (ctx.path === '/_test/fout' && ctx.method === 'POST') {
    fout = (await leesFormulier(ctx.req)).fout ?? null;
    ctx.body = { fout };
    return;
  }
  const interactie = ctx.path.match(/^\/interaction\/([\w-]+)(\/login)?$/);
  if (interactie && ctx.method === 'GET' && !interactie[2]) {
    const details = await provider.interactionDetails(ctx.req, ctx.res);
    const keuzes = Object.keys(accounts)
      .map((sub) => `<option value="${html(sub)}">${html(sub)}</option>`)
      .join('');
    ctx.type = 'html';
    ctx.body = `<!doctype html><html lang="nl"><title>Testmakelaar</title>
      <form method="post" action="/interaction/${html(details.uid)}/login">
      <label for="account">Inloggen als</label> <select id="account" name="account">${keuzes}</select>
      <button type="submit">Inloggen</button></form></html>`;
    return;
  }
  if (interactie && ctx.method === 'POST' && interactie[2]) {
    const { account } = await leesFormulier(ctx.req);
    if (!accounts[account]) {
      ctx.status = 400;
      ctx.body = { error: `onbekend account ${account}` };
      return;
    }
    const returnTo = await provider.interactionResult(
      ctx.req,
      ctx.res,
      { login: { accountId: account, acr: accounts[account].acr || undefined } },
      { mergeWithLastSubmission: false },
    );
    ctx.status = 303;
    ctx.redirect(returnTo);
    return;
  }
  await next();
  if (ctx.path === '/token' && fout && ctx.body?.id_token) {
    ctx.body = { ...ctx.body, id_token: await doctor(ctx.body.id_token) };
  }
});

server.on('request', provider.callback());
process.stdout.write(`${JSON.stringify({ issuer })}\n`);
