// A real OpenID Connect provider (the certified `oidc-provider` package) configured like
// ProConnect, for Visio's tests: per-claim scopes, userinfo as a signed JWT, PKCE required,
// acr eidas1, RP-initiated logout. Test users sign in with a plain form (no password).
//
//   node server.mjs --port 9000 --client-id visio --client-secret s3cret \
//        --redirect-uri http://127.0.0.1:8000/auth/proconnect/callback \
//        --post-logout-redirect-uri http://127.0.0.1:8000/auth/logout/done
//
// It prints "ready <issuer>" once listening. Tests make it misbehave on purpose through
// PUT /_test/mode?mode=... (see MODES): that is test infrastructure standing in for a
// broken or hostile provider, not a mock of Visio.

import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';

import * as jose from 'jose';
import Provider from 'oidc-provider';

const { values: args } = parseArgs({
  options: {
    port: { type: 'string', default: '9000' },
    host: { type: 'string', default: '127.0.0.1' },
    'client-id': { type: 'string', default: 'visio' },
    'client-secret': { type: 'string', default: 'visio-test-secret-0123456789abcdef' },
    'redirect-uri': { type: 'string', multiple: true, default: [] },
    'post-logout-redirect-uri': { type: 'string', multiple: true, default: [] },
  },
});

const issuer = `http://${args.host}:${args.port}`;

const USERS = {
  pierre: {
    sub: 'f9e3c1a0-pierre-dupont',
    given_name: 'Pierre',
    usual_name: 'Dupont',
    email: 'pierre.dupont@interieur.gouv.fr',
    uid: 'pdupont',
    siret: '11000201100044',
    idp_id: 'fia1v2',
  },
  marie: {
    sub: '7b2d44e8-marie-curie',
    given_name: 'Marie',
    usual_name: 'Curie',
    email: 'marie.curie@recherche.gouv.fr',
    uid: 'mcurie',
    siret: '13002526500013',
    idp_id: 'fia1v2',
  },
  jean: {
    sub: '3a5b7c9d-jean-moulin',
    given_name: 'Jean',
    usual_name: 'Moulin',
    email: 'jean.moulin@culture.gouv.fr',
    uid: 'jmoulin',
    siret: '11000201100044',
    idp_id: 'fia1v2',
  },
  lucie: {
    sub: '5e6f7a8b-lucie-aubrac',
    given_name: 'Lucie',
    usual_name: 'Aubrac',
    email: 'lucie.aubrac@education.gouv.fr',
    uid: 'laubrac',
    siret: '11000201100044',
    idp_id: 'fia1v2',
  },
  admin: {
    sub: '0c1d2e3f-admin-securite',
    given_name: 'Agnès',
    usual_name: 'Sécurité',
    email: 'rssi@numerique.gouv.fr',
    uid: 'rssi',
    siret: '13002526500013',
    idp_id: 'fia1v2',
  },
};

// What the provider does wrong until told otherwise (PUT /_test/mode).
const MODES = new Set([
  'normal',
  'id_token_wrong_key', // ID token signed by another key under the real key's kid (forged)
  'id_token_unknown_key', // ID token signed by a key the JWKS never publishes
  'id_token_wrong_audience',
  'id_token_wrong_issuer',
  'id_token_expired',
  'id_token_alg_none', // an unsigned ID token
  'rotate_keys', // sign with a new key and publish it only from now on (legitimate rotation)
  'userinfo_other_sub', // userinfo (correctly signed) about someone else
  'userinfo_json', // userinfo as plain JSON instead of a signed JWT
]);
let mode = 'normal';

function rsaKey(kid) {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return { ...privateKey.export({ format: 'jwk' }), kid, alg: 'RS256', use: 'sig' };
}

const signingKey = rsaKey('key-1');
const attackerKey = rsaKey('attacker');
const rotatedKeys = []; // private JWKs added by 'rotate_keys', published in /jwks

function publicJwk(jwk) {
  const { kid, kty, n, e, alg, use } = jwk;
  return { kid, kty, n, e, alg, use };
}

async function sign(payload, jwk, kid = jwk.kid) {
  const key = await jose.importJWK(jwk, 'RS256');
  return new jose.SignJWT(payload).setProtectedHeader({ alg: 'RS256', kid }).sign(key);
}

/** The ID token the current mode calls for, from the genuine one. */
async function misbehaveIdToken(idToken) {
  const claims = jose.decodeJwt(idToken);
  const now = Math.floor(Date.now() / 1000);
  switch (mode) {
    case 'id_token_wrong_key':
      return sign(claims, attackerKey, signingKey.kid);
    case 'id_token_unknown_key':
      return sign(claims, attackerKey);
    case 'id_token_wrong_audience':
      return sign({ ...claims, aud: 'some-other-client' }, signingKey);
    case 'id_token_wrong_issuer':
      return sign({ ...claims, iss: 'https://evil.example.org' }, signingKey);
    case 'id_token_expired':
      return sign({ ...claims, iat: now - 7200, exp: now - 3600 }, signingKey);
    case 'id_token_alg_none':
      return `${jose.base64url.encode(JSON.stringify({ alg: 'none', typ: 'JWT' }))}.${jose.base64url.encode(JSON.stringify(claims))}.`;
    case 'rotate_keys': {
      const fresh = rsaKey(`key-${rotatedKeys.length + 2}`);
      rotatedKeys.push(fresh);
      return sign(claims, fresh);
    }
    default:
      return idToken;
  }
}

async function misbehaveUserinfo(ctx) {
  if (typeof ctx.body !== 'string') return;
  const claims = jose.decodeJwt(ctx.body);
  if (mode === 'userinfo_other_sub') {
    ctx.body = await sign({ ...claims, sub: USERS.marie.sub }, signingKey);
  } else if (mode === 'userinfo_json') {
    const { iss, aud, iat, exp, ...userinfo } = claims;
    ctx.type = 'application/json';
    ctx.body = userinfo;
  }
}

const provider = new Provider(issuer, {
  clients: [
    {
      client_id: args['client-id'],
      client_secret: args['client-secret'],
      redirect_uris: args['redirect-uri'],
      post_logout_redirect_uris: args['post-logout-redirect-uri'],
      response_types: ['code'],
      grant_types: ['authorization_code'],
      token_endpoint_auth_method: 'client_secret_post',
      id_token_signed_response_alg: 'RS256',
      userinfo_signed_response_alg: 'RS256',
    },
  ],
  jwks: { keys: [signingKey] },
  scopes: ['openid', 'given_name', 'usual_name', 'email', 'uid', 'siret', 'idp_id'],
  claims: {
    openid: ['sub'],
    given_name: ['given_name'],
    usual_name: ['usual_name'],
    email: ['email'],
    uid: ['uid'],
    siret: ['siret'],
    idp_id: ['idp_id'],
  },
  acrValues: ['eidas1'],
  pkce: { required: () => true },
  features: {
    devInteractions: { enabled: false },
    jwtUserinfo: { enabled: true },
    rpInitiatedLogout: {
      enabled: true,
      // Sign out at once, as ProConnect does: the form posts itself.
      logoutSource: async (ctx, form) => {
        ctx.body = `<!doctype html><html lang="fr"><meta charset="utf-8"><title>Déconnexion</title>
<body><h1>Déconnexion</h1>${form.replace('</form>', '<input type="hidden" name="logout" value="yes"></form>')}
<button type="submit" form="op.logoutForm">Se déconnecter</button>
<script>document.getElementById('op.logoutForm').submit()</script></body></html>`;
      },
    },
  },
  findAccount: async (_ctx, sub) => {
    const user = Object.values(USERS).find((candidate) => candidate.sub === sub);
    if (!user) return undefined;
    return { accountId: sub, claims: async () => ({ ...user }) };
  },
  interactions: { url: async (_ctx, interaction) => `/interaction/${interaction.uid}` },
  cookies: { keys: [randomUUID()] },
  ttl: { AccessToken: 600, AuthorizationCode: 60, IdToken: 600, Interaction: 600, Session: 3600, Grant: 3600 },
  renderError: async (ctx, out) => {
    ctx.type = 'html';
    ctx.body = `<!doctype html><title>Erreur</title><h1>Erreur</h1><pre id="error">${out.error}: ${out.error_description ?? ''}</pre>`;
  },
});
provider.proxy = false;

async function readForm(req) {
  let body = '';
  for await (const chunk of req) body += chunk;
  return new URLSearchParams(body);
}

function escape(text) {
  return String(text).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function loginPage(uid, error = '') {
  return `<!doctype html><html lang="fr"><meta charset="utf-8"><title>Connexion — fournisseur de test</title>
<body><h1>Connexion</h1>${error ? `<p role="alert" id="error">${escape(error)}</p>` : ''}
<form method="post" action="/interaction/${escape(uid)}/login">
<label for="login">Identifiant</label> <input id="login" name="login" autocomplete="username" autofocus>
<button type="submit" id="submit">Se connecter</button></form>
<p>Utilisateurs : ${Object.keys(USERS).join(', ')}</p></body></html>`;
}

provider.use(async (ctx, next) => {
  const interaction = ctx.path.match(/^\/interaction\/([^/]+)(\/login)?$/);
  if (interaction) {
    const [, uid, login] = interaction;
    const details = await provider.interactionDetails(ctx.req, ctx.res);
    if (details.uid !== uid) ctx.throw(400, 'interaction mismatch');
    ctx.type = 'html';
    if (!login || ctx.method !== 'POST') {
      ctx.body = loginPage(uid);
      return;
    }
    const name = (await readForm(ctx.req)).get('login') ?? '';
    const user = USERS[name.trim().toLowerCase()];
    if (!user) {
      ctx.body = loginPage(uid, `Identifiant inconnu : ${name}`);
      return;
    }
    const grant = new provider.Grant({ accountId: user.sub, clientId: details.params.client_id });
    grant.addOIDCScope(details.params.scope);
    const grantId = await grant.save();
    const result = { login: { accountId: user.sub, acr: 'eidas1', amr: ['pwd'] }, consent: { grantId } };
    await provider.interactionFinished(ctx.req, ctx.res, result, { mergeWithLastSubmission: false });
    ctx.respond = false;
    return;
  }

  if (ctx.path === '/_test/mode' && ctx.method === 'PUT') {
    const wanted = ctx.query.mode;
    if (!MODES.has(wanted)) ctx.throw(400, `unknown mode ${wanted}; one of ${[...MODES].join(', ')}`);
    mode = wanted;
    ctx.body = { mode };
    return;
  }

  await next();

  if (ctx.path === '/jwks' && ctx.body?.keys) {
    ctx.body = { keys: [...ctx.body.keys, ...rotatedKeys.map(publicJwk)] };
  } else if (ctx.path === '/token' && ctx.status === 200 && ctx.body?.id_token) {
    ctx.body = { ...ctx.body, id_token: await misbehaveIdToken(ctx.body.id_token) };
  } else if (ctx.path === '/me' && ctx.status === 200) {
    await misbehaveUserinfo(ctx);
  }
});

provider.listen(Number(args.port), args.host, () => {
  console.log(`ready ${issuer}`);
});
