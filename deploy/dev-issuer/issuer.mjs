// Development OpenID provider of the CUS platform. FOR LOCAL RUNS AND TESTS ONLY.
//
// Production uses the real Keycloak 26 with deploy/keycloak/realm-cus.json imported. This server reads
// that same realm export (users and their passwords, groups, realm roles, clients, client scopes and
// protocol mappers), serves Keycloak's URL layout under ISSUER_URL and issues tokens of the same shape,
// so that services, scripts and browser tests run without a JVM. All protocol work (authorization code
// with PKCE, client credentials, refresh, discovery, JWKS, end session, revocation) is done by the
// certified library oidc-provider; this file configures it, adds Keycloak's password grant (direct
// access grants), evaluates the realm's protocol mappers into token claims and answers a small subset
// of Keycloak's Admin REST API (users: search, read, update attributes; see "Admin REST API" below).
//
// Env: ISSUER_URL (default http://127.0.0.1:8180/realms/cus), PORT (default: ISSUER_URL's port),
// HOST (default 127.0.0.1), REALM_FILE (default ../keycloak/realm-cus.json), JWKS_FILE (private RSA
// signing keys {"keys": [...]}; generated when missing, so restarts keep issued tokens valid).

import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import Provider, { errors } from 'oidc-provider';

const here = path.dirname(fileURLToPath(import.meta.url));
const ISSUER = (process.env.ISSUER_URL || 'http://127.0.0.1:8180/realms/cus').replace(/\/+$/, '');
const PREFIX = new URL(ISSUER).pathname; // "/realms/cus"
const PORT = Number(process.env.PORT || new URL(ISSUER).port || 80);
const HOST = process.env.HOST || '127.0.0.1';
const REALM_FILE = process.env.REALM_FILE || path.join(here, '..', 'keycloak', 'realm-cus.json');
const JWKS_FILE = process.env.JWKS_FILE || path.join(here, '..', '..', '.run', 'dev-issuer', 'jwks.json');
// oidc-provider issues JWT access tokens only for a resource server; every token is for this one.
const RESOURCE = 'urn:cus:dev-issuer:access-token';

// ---- The realm ---------------------------------------------------------------------------------

const realm = JSON.parse(fs.readFileSync(REALM_FILE, 'utf8'));
const byKey = (items, key) => new Map((items ?? []).map((item) => [item[key], item]));
const clients = byKey((realm.clients ?? []).filter((c) => c.enabled !== false), 'clientId');
const clientScopes = byKey(realm.clientScopes, 'name');
const realmRoles = byKey(realm.roles?.realm, 'name');
const users = (realm.users ?? []).filter((u) => u.enabled !== false);
const usersById = byKey(users, 'id');
// Sign-in by username, or by e-mail when the realm allows it (loginWithEmailAllowed).
const usersByLogin = new Map(users.filter((u) => !u.serviceAccountClientId).flatMap((u) => [
  ...(realm.loginWithEmailAllowed && u.email ? [[u.email.toLowerCase(), u]] : []),
  [u.username.toLowerCase(), u],
]));
const serviceAccounts = byKey(users.filter((u) => u.serviceAccountClientId), 'serviceAccountClientId');
const groupsByPath = new Map();
(function walk(groups, parent) {
  for (const g of groups ?? []) {
    const groupPath = `${parent}/${g.name}`;
    groupsByPath.set(groupPath, g);
    walk(g.subGroups, groupPath);
  }
}(realm.groups, ''));
const lifespan = (key, fallback) => Number(realm[key] ?? fallback);
const ACCESS_TTL = lifespan('accessTokenLifespan', 300);

function passwordMatches(user, password) {
  // Only plain `value` credentials (as in an import file) can be checked here; hashed ones never match.
  const stored = user?.credentials?.find((c) => c.type === 'password' && typeof c.value === 'string')?.value;
  return stored !== undefined && typeof password === 'string' && safeEqual(stored, password);
}

function safeEqual(a, b) {
  const [x, y] = [a, b].map((s) => crypto.createHash('sha256').update(String(s)).digest());
  return crypto.timingSafeEqual(x, y);
}

// Realm roles of a user: direct ones, those of its groups and their parents, composites expanded.
function realmRolesOf(user) {
  const roles = new Set();
  const add = (name) => {
    if (roles.has(name)) return;
    roles.add(name);
    realmRoles.get(name)?.composites?.realm?.forEach(add);
  };
  (user.realmRoles ?? []).forEach(add);
  for (const groupPath of user.groups ?? []) {
    const parts = groupPath.split('/');
    for (let i = 2; i <= parts.length; i += 1) groupsByPath.get(parts.slice(0, i).join('/'))?.realmRoles?.forEach(add);
  }
  return [...roles];
}

// ---- Protocol mappers: what Keycloak's OIDC mappers would put into a token ----------------------

function mappersOf(client, requestedScopes) {
  const names = [
    ...(client.defaultClientScopes ?? []),
    ...(client.optionalClientScopes ?? []).filter((name) => requestedScopes.has(name)),
  ];
  return [...names.flatMap((name) => clientScopes.get(name)?.protocolMappers ?? []), ...(client.protocolMappers ?? [])];
}

function includedIn(mapper, kind) {
  const on = (key) => mapper.config?.[key] === 'true';
  switch (kind) {
    case 'access': return on('access.token.claim');
    case 'id': return on('id.token.claim');
    case 'userinfo': return mapper.config?.['userinfo.token.claim'] === undefined ? on('id.token.claim') : on('userinfo.token.claim');
    default: return false;
  }
}

function convert(type, value) {
  switch (type) {
    case 'boolean': return typeof value === 'boolean' ? value : String(value) === 'true';
    case 'long': case 'int': return Number(value);
    case 'JSON': return typeof value === 'string' ? JSON.parse(value) : value;
    case 'String': return String(value);
    default: return value;
  }
}

// Keycloak's OIDCAttributeMapperHelper.mapClaim: empty lists map to nothing, nested claim names.
function mapClaim(claims, mapper, rawValue, forceMultivalued = false) {
  const config = mapper.config ?? {};
  const multivalued = forceMultivalued || config.multivalued === 'true';
  let value = rawValue;
  if (value === undefined || value === null || !config['claim.name']) return;
  if (Array.isArray(value)) {
    if (value.length === 0) return;
    value = multivalued ? value.map((v) => convert(config['jsonType.label'], v)) : convert(config['jsonType.label'], value[0]);
  } else {
    value = convert(config['jsonType.label'], value);
  }
  const parts = config['claim.name'].split('.');
  const last = parts.pop();
  let target = claims;
  for (const part of parts) target = (target[part] ??= {});
  target[last] = multivalued && Array.isArray(target[last]) ? [...new Set([...target[last], ...[value].flat()])] : value;
}

const USER_PROPERTIES = new Set(['id', 'username', 'email', 'firstName', 'lastName']);

function userAttribute(user, name) {
  if (name === 'emailVerified') return Boolean(user.emailVerified);
  return USER_PROPERTIES.has(name) ? user[name] : user.attributes?.[name];
}

// Claims of one token kind ("access", "id", "userinfo") and the audiences the mappers add.
function mapperClaims(user, client, kind, { scopes = new Set(), notes = {} } = {}) {
  const claims = {};
  const audience = [];
  for (const mapper of mappersOf(client, scopes)) {
    if (!includedIn(mapper, kind)) continue;
    const config = mapper.config ?? {};
    switch (mapper.protocolMapper) {
      case 'oidc-usermodel-attribute-mapper':
      case 'oidc-usermodel-property-mapper':
        mapClaim(claims, mapper, userAttribute(user, config['user.attribute']));
        break;
      case 'oidc-full-name-mapper':
        mapClaim(claims, { config: { 'claim.name': 'name' } }, [user.firstName, user.lastName].filter(Boolean).join(' ') || undefined);
        break;
      case 'oidc-usermodel-realm-role-mapper':
        mapClaim(claims, mapper, realmRolesOf(user));
        break;
      case 'oidc-group-membership-mapper':
        mapClaim(claims, mapper, (user.groups ?? []).map((p) => (config['full.path'] === 'false' ? p.split('/').pop() : p)), true);
        break;
      case 'oidc-hardcoded-claim-mapper':
        mapClaim(claims, mapper, config['claim.value']);
        break;
      case 'oidc-usersessionmodel-note-mapper':
        mapClaim(claims, mapper, notes[config['user.session.note']]);
        break;
      case 'oidc-audience-mapper':
        if (kind === 'access') audience.push(config['included.client.audience'] || config['included.custom.audience']);
        break;
      default: // oidc-sub-mapper (sub is always set), oidc-audience-resolve-mapper (no client roles here)
    }
  }
  return { claims, audience: [...new Set(audience.filter(Boolean))] };
}

// Keycloak's `scope` claim: requested openid plus the client's scopes marked include.in.token.scope.
function tokenScope(client, requested) {
  const included = (name) => clientScopes.get(name)?.attributes?.['include.in.token.scope'] !== 'false';
  const names = [
    ...(requested.has('openid') ? ['openid'] : []),
    ...(client.defaultClientScopes ?? []).filter(included),
    ...(client.optionalClientScopes ?? []).filter((n) => requested.has(n) && included(n)),
  ];
  return [...new Set(names)].join(' ');
}

// Password-grant "user sessions" (Keycloak creates one per direct grant): sid -> auth time.
const directGrantSessions = new Map();

async function customizeAccessToken(ctx, token, jwt) {
  const client = clients.get(token.clientId);
  const serviceAccount = token.kind === 'ClientCredentials';
  const user = serviceAccount ? serviceAccounts.get(token.clientId) : usersById.get(token.accountId);
  const scopes = new Set(token.scope?.split(' ') ?? []);
  const sid = serviceAccount ? undefined : token.sid ?? token.sessionUid;
  const session = token.sessionUid ? await provider.Session.findByUid(token.sessionUid) : undefined;
  const notes = {
    AUTH_TIME: session?.authTime() ?? directGrantSessions.get(sid) ?? (serviceAccount ? jwt.payload.iat : undefined),
    ...(serviceAccount ? { client_id: token.clientId, clientHost: ctx?.ip, clientAddress: ctx?.ip } : {}),
  };
  const { claims, audience } = user ? mapperClaims(user, client, 'access', { scopes, notes }) : { claims: {}, audience: [] };
  const { exp, iat, jti, iss, aud } = jwt.payload;
  jwt.header = { typ: 'JWT' };
  token.scope = tokenScope(client, scopes);
  jwt.payload = {
    exp,
    iat,
    jti,
    iss,
    aud: audience.length > 1 ? audience : audience[0] ?? aud,
    sub: user?.id ?? jwt.payload.sub,
    typ: 'Bearer',
    azp: token.clientId,
    sid,
    scope: token.scope,
    ...claims,
  };
}

// ---- Keys --------------------------------------------------------------------------------------

function loadOrCreateJwks(file) {
  if (fs.existsSync(file)) return JSON.parse(fs.readFileSync(file, 'utf8'));
  const jwk = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ format: 'jwk' });
  const kid = crypto.createHash('sha256').update(JSON.stringify({ e: jwk.e, kty: jwk.kty, n: jwk.n })).digest('base64url');
  const jwks = { keys: [{ ...jwk, kid, alg: 'RS256', use: 'sig' }] };
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(`${file}.tmp`, `${JSON.stringify(jwks, null, 2)}\n`, { mode: 0o600 });
  fs.renameSync(`${file}.tmp`, file);
  return jwks;
}

const jwks = loadOrCreateJwks(JWKS_FILE);
const publicKeys = new Map(jwks.keys.map((k) => [k.kid, crypto.createPublicKey({ key: k, format: 'jwk' })]));

// Verifies one of our own JWT access tokens (for userinfo and introspection); undefined when invalid.
function verifyAccessToken(token) {
  const [header, payload, signature] = String(token ?? '').split('.');
  try {
    const { alg, kid } = JSON.parse(Buffer.from(header, 'base64url'));
    const key = publicKeys.get(kid);
    const signed = Buffer.from(`${header}.${payload}`);
    if (alg !== 'RS256' || !key || !crypto.verify('sha256', signed, key, Buffer.from(signature, 'base64url'))) return undefined;
    const claims = JSON.parse(Buffer.from(payload, 'base64url'));
    return claims.iss === ISSUER && claims.typ === 'Bearer' && claims.exp > Date.now() / 1000 ? claims : undefined;
  } catch {
    return undefined;
  }
}

// ---- The provider ------------------------------------------------------------------------------

function clientMetadata(c) {
  const grantTypes = [
    ...(c.standardFlowEnabled !== false ? ['authorization_code'] : []),
    ...(c.directAccessGrantsEnabled ? ['password'] : []),
    ...(c.serviceAccountsEnabled ? ['client_credentials'] : []),
  ];
  if (grantTypes.includes('authorization_code') || grantTypes.includes('password')) grantTypes.push('refresh_token');
  const redirectUris = c.standardFlowEnabled !== false ? c.redirectUris ?? [] : [];
  const postLogout = (c.attributes?.['post.logout.redirect.uris'] ?? '').split('##').filter(Boolean);
  return {
    client_id: c.clientId,
    client_name: c.name || c.clientId,
    ...(c.publicClient ? { token_endpoint_auth_method: 'none' } : { client_secret: c.secret }),
    grant_types: grantTypes,
    response_types: grantTypes.includes('authorization_code') ? ['code'] : [],
    redirect_uris: redirectUris,
    post_logout_redirect_uris: postLogout.flatMap((u) => (u === '+' ? redirectUris : [u])),
  };
}

const resourceServer = {
  scope: ['openid', 'offline_access', ...clientScopes.keys()].join(' '),
  audience: 'cus-dev-issuer', // replaced by the realm's audience mappers in customizeAccessToken
  accessTokenFormat: 'jwt',
  accessTokenTTL: ACCESS_TTL,
  jwt: { sign: { alg: 'RS256' } },
};

const claimNames = new Set(['sub', 'typ', 'azp', 'name']);
for (const mapper of [...clientScopes.values(), ...clients.values()].flatMap((x) => x.protocolMappers ?? [])) {
  if (mapper.config?.['claim.name']) claimNames.add(mapper.config['claim.name'].split('.')[0]);
}

const provider = new Provider(ISSUER, {
  clients: [...clients.values()].map(clientMetadata),
  jwks,
  cookies: { keys: [crypto.randomBytes(32).toString('base64url')] },
  claims: { openid: [...claimNames] },
  scopes: ['openid', 'offline_access', ...clientScopes.keys()],
  responseTypes: ['code'],
  conformIdTokenClaims: false,
  clientBasedCORS: () => true,
  routes: {
    authorization: '/protocol/openid-connect/auth',
    token: '/protocol/openid-connect/token',
    jwks: '/protocol/openid-connect/certs',
    userinfo: '/protocol/openid-connect/userinfo', // answered by userinfo() below
    introspection: '/protocol/openid-connect/token/introspect', // answered by introspect() below
    revocation: '/protocol/openid-connect/revoke',
    end_session: '/protocol/openid-connect/logout',
  },
  features: {
    devInteractions: { enabled: false },
    clientCredentials: { enabled: true },
    introspection: { enabled: true },
    revocation: { enabled: true },
    userinfo: { enabled: true },
    rpInitiatedLogout: { enabled: true, logoutSource, postLogoutSuccessSource },
    resourceIndicators: {
      enabled: true,
      defaultResource: () => RESOURCE,
      useGrantedResource: () => true,
      getResourceServerInfo(ctx, indicator) {
        if (indicator !== RESOURCE) throw new errors.InvalidTarget();
        return resourceServer;
      },
    },
  },
  formats: { customizers: { jwt: customizeAccessToken } },
  pkce: { required: (ctx, client) => clients.get(client.clientId)?.attributes?.['pkce.code.challenge.method'] === 'S256' },
  interactions: { url: (ctx, interaction) => `${PREFIX}/login-actions/authenticate/${interaction.uid}` },
  // Keycloak with consent off: whatever a client asks for is granted once the user has signed in.
  async loadExistingGrant(ctx) {
    const { oidc } = ctx;
    const grantId = oidc.result?.consent?.grantId || oidc.session.grantIdFor(oidc.client.clientId);
    const grant = (grantId && await provider.Grant.find(grantId))
      || new provider.Grant({ accountId: oidc.session.accountId, clientId: oidc.client.clientId });
    grant.addOIDCScope([...oidc.requestParamOIDCScopes].join(' '));
    grant.addOIDCClaims([...oidc.requestParamClaims]);
    for (const [indicator, server] of Object.entries(oidc.resourceServers)) grant.addResourceScope(indicator, server.scope);
    await grant.save();
    return grant;
  },
  issueRefreshToken: (ctx, client) => client.grantTypeAllowed('refresh_token'),
  async findAccount(ctx, id) {
    const user = usersById.get(id);
    if (!user || user.serviceAccountClientId) return undefined;
    return {
      accountId: id,
      async claims(use, scope) {
        const client = clients.get(ctx.oidc.client?.clientId);
        if (!client) return { sub: id };
        const kind = use === 'id_token' ? 'id' : 'userinfo';
        const { claims } = mapperClaims(user, client, kind, { scopes: new Set(scope.split(' ')) });
        return { sub: id, ...(kind === 'id' ? { typ: 'ID', azp: client.clientId } : {}), ...claims };
      },
    };
  },
  ttl: {
    AccessToken: ACCESS_TTL,
    ClientCredentials: ACCESS_TTL,
    IdToken: ACCESS_TTL,
    AuthorizationCode: lifespan('accessCodeLifespan', 60),
    RefreshToken: lifespan('ssoSessionIdleTimeout', 1800),
    Interaction: lifespan('accessCodeLifespanLogin', 1800),
    Session: lifespan('ssoSessionMaxLifespan', 36000),
    Grant: lifespan('ssoSessionMaxLifespan', 36000),
  },
  renderError(ctx, out) {
    ctx.type = 'html';
    ctx.body = page('Błąd', `<h1>Wystąpił błąd</h1>${Object.entries(out).map(([k, v]) => `<p><strong>${esc(k)}</strong>: ${esc(v)}</p>`).join('')}`);
  },
});

// Keycloak's redirect URIs may end with a wildcard ("http://127.0.0.1:8100/*").
const uriAllowed = (allowed, uri) => allowed.some((a) => a === uri || (a.endsWith('*') && uri.startsWith(a.slice(0, -1))));
provider.Client.prototype.redirectUriAllowed = function redirectUriAllowed(uri) { return uriAllowed(this.redirectUris, uri); };
provider.Client.prototype.postLogoutRedirectUriAllowed = function postLogoutAllowed(uri) { return uriAllowed(this.postLogoutRedirectUris ?? [], uri); };

// Direct access grants (Keycloak's password grant). oidc-provider has none built in.
provider.registerGrantType('password', async (ctx) => {
  const { client, params } = ctx.oidc;
  if (!clients.get(client.clientId)?.directAccessGrantsEnabled) {
    throw new errors.UnauthorizedClient('Client not allowed for direct access grants');
  }
  const user = usersByLogin.get(String(params.username ?? '').toLowerCase());
  if (!user || !passwordMatches(user, params.password)) {
    throw Object.assign(new errors.CustomOIDCProviderError('invalid_grant', 'Invalid user credentials'), { status: 401, statusCode: 401 });
  }
  const scope = (params.scope ?? '').split(' ').filter((s) => s === 'openid' || s === 'offline_access' || clientScopes.has(s)).join(' ');
  const grant = new provider.Grant({ accountId: user.id, clientId: client.clientId });
  grant.addOIDCScope(scope);
  grant.addResourceScope(RESOURCE, resourceServer.scope);
  const grantId = await grant.save();
  const sid = crypto.randomUUID();
  const authTime = Math.floor(Date.now() / 1000);
  directGrantSessions.set(sid, authTime);

  const at = new provider.AccessToken({ accountId: user.id, client, grantId, gty: 'password', scope, sid });
  at.resourceServer = new provider.ResourceServer(RESOURCE, resourceServer);
  const body = { access_token: await at.save(), expires_in: at.expiration, token_type: 'Bearer', scope: at.scope };
  if (client.grantTypeAllowed('refresh_token')) {
    const rt = new provider.RefreshToken({
      accountId: user.id, client, grantId, gty: 'password', scope, sid, resource: RESOURCE, authTime, rotations: 0,
    });
    body.refresh_token = await rt.save();
    body.refresh_expires_in = rt.expiration;
  }
  if (scope.split(' ').includes('openid')) {
    const { claims } = mapperClaims(user, clients.get(client.clientId), 'id', { scopes: new Set(scope.split(' ')) });
    const idToken = new provider.IdToken({ ...claims, sub: user.id, typ: 'ID', azp: client.clientId, auth_time: authTime }, { ctx });
    idToken.scope = scope;
    idToken.set('sid', sid);
    body.id_token = await idToken.issue({ use: 'idtoken' });
  }
  ctx.body = body;
}, ['username', 'password', 'scope']);

// ---- Pages -------------------------------------------------------------------------------------

function esc(value) {
  return String(value ?? '').replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);
}

function page(title, body) {
  return `<!DOCTYPE html>
<html lang="pl">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(title)} – CUS</title>
<style>
body{font-family:system-ui,sans-serif;background:#f4f5f7;color:#1a1a1a;margin:0}
main{max-width:22rem;margin:3rem auto;background:#fff;padding:2rem;border-radius:.5rem;box-shadow:0 1px 3px #0003}
label{display:block;margin-top:1rem;font-weight:600}
input{display:block;width:100%;box-sizing:border-box;padding:.5rem;margin-top:.25rem;font-size:1rem;border:1px solid #555;border-radius:.25rem}
button{margin-top:1.5rem;width:100%;padding:.6rem;font-size:1rem;background:#0b5394;color:#fff;border:0;border-radius:.25rem;cursor:pointer}
button:focus,input:focus{outline:3px solid #f90;outline-offset:1px}
.alert{color:#a00;font-weight:600}.note{font-size:.85rem;color:#555}
</style>
</head>
<body>
<main>
${body}
<p class="note">Środowisko deweloperskie (dev-issuer) – nie jest to produkcyjny Keycloak.</p>
</main>
</body>
</html>
`;
}

function loginPage(action, { username = '', error } = {}) {
  const invalid = error ? ' aria-invalid="true" aria-describedby="login-error"' : '';
  return page('Logowanie', `<h1>Zaloguj się do CUS</h1>
${error ? `<p id="login-error" class="alert" role="alert">${esc(error)}</p>` : ''}
<form method="post" action="${esc(action)}">
<label for="username">Nazwa użytkownika</label>
<input id="username" name="username" type="text" autocomplete="username" autocapitalize="none" required autofocus value="${esc(username)}"${invalid}>
<label for="password">Hasło</label>
<input id="password" name="password" type="password" autocomplete="current-password" required${invalid}>
<button type="submit">Zaloguj się</button>
</form>`);
}

async function logoutSource(ctx, form) {
  // Keycloak signs out without asking when the request carries an id_token_hint.
  const confirmed = form.replace('</form>', '<input type="hidden" name="logout" value="yes"/></form>');
  const auto = ctx.oidc.params.id_token_hint ? '<script>document.getElementById("op.logoutForm").submit()</script>' : '';
  ctx.body = page('Wylogowanie', `<h1>Wylogowanie</h1>${confirmed}<p>Czy chcesz się wylogować?</p>
<button type="submit" form="op.logoutForm">Wyloguj się</button>${auto}`);
}

async function postLogoutSuccessSource(ctx) {
  ctx.body = page('Wylogowano', '<h1>Wylogowano</h1><p>Zostałeś wylogowany.</p>');
}

// ---- Routes outside oidc-provider: login page, userinfo, introspection, Keycloak's RT logout -----

async function readForm(req) {
  let body = '';
  for await (const chunk of req) {
    body += chunk;
    if (body.length > 65536) throw new Error('request body too large');
  }
  return { raw: body, form: Object.fromEntries(new URLSearchParams(body)) };
}

function send(res, status, body, headers = {}) {
  const json = typeof body !== 'string';
  res.writeHead(status, {
    'content-type': json ? 'application/json' : 'text/html; charset=utf-8', 'cache-control': 'no-store', ...headers,
  });
  res.end(json ? JSON.stringify(body) : body);
}

function authenticateClient(req, form) {
  let { client_id: id, client_secret: secret } = form;
  const basic = /^Basic\s+(\S+)$/i.exec(req.headers.authorization ?? '');
  if (basic) {
    const decoded = Buffer.from(basic[1], 'base64').toString('utf8');
    const i = decoded.indexOf(':');
    [id, secret] = [decoded.slice(0, i), decoded.slice(i + 1)].map(decodeURIComponent);
  }
  const client = clients.get(id);
  if (!client) return undefined;
  return client.publicClient || (secret && safeEqual(secret, client.secret)) ? client : undefined;
}

async function login(req, res) {
  let details;
  try {
    details = await provider.interactionDetails(req, res);
  } catch {
    return send(res, 400, page('Logowanie', '<h1>Sesja logowania wygasła</h1><p>Wróć do aplikacji i zaloguj się ponownie.</p>'));
  }
  const { prompt, params, uid } = details;
  if (prompt.name === 'consent') { // e.g. prompt=consent: grant it, as Keycloak does with consent off
    const grant = details.grantId ? await provider.Grant.find(details.grantId)
      : new provider.Grant({ accountId: details.session.accountId, clientId: params.client_id });
    if (prompt.details.missingOIDCScope) grant.addOIDCScope(prompt.details.missingOIDCScope.join(' '));
    if (prompt.details.missingOIDCClaims) grant.addOIDCClaims(prompt.details.missingOIDCClaims);
    for (const [indicator, scopes] of Object.entries(prompt.details.missingResourceScopes ?? {})) grant.addResourceScope(indicator, scopes.join(' '));
    return provider.interactionFinished(req, res, { consent: { grantId: await grant.save() } }, { mergeWithLastSubmission: true });
  }
  const action = `${PREFIX}/login-actions/authenticate/${uid}`;
  if (req.method !== 'POST') return send(res, 200, loginPage(action, { username: params.login_hint }));
  const { form } = await readForm(req);
  const user = usersByLogin.get(String(form.username ?? '').toLowerCase());
  if (!user || !passwordMatches(user, form.password)) {
    return send(res, 200, loginPage(action, { username: form.username, error: 'Nieprawidłowa nazwa użytkownika lub hasło.' }));
  }
  return provider.interactionFinished(req, res, { login: { accountId: user.id } }, { mergeWithLastSubmission: false });
}

async function userinfo(req, res) {
  const bearer = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '')?.[1]
    ?? (req.method === 'POST' ? (await readForm(req)).form.access_token : undefined);
  const claims = verifyAccessToken(bearer);
  const client = clients.get(claims?.azp);
  const user = usersById.get(claims?.sub);
  if (!client || !user) {
    return send(res, 401, { error: 'invalid_token', error_description: 'Token verification failed' }, { 'www-authenticate': 'Bearer error="invalid_token"' });
  }
  const { claims: mapped } = mapperClaims(user, client, 'userinfo', { scopes: new Set(claims.scope?.split(' ')) });
  return send(res, 200, { sub: user.id, ...mapped });
}

async function introspect(req, res) {
  const { form } = await readForm(req);
  const client = authenticateClient(req, form);
  if (!client || client.publicClient) return send(res, 401, { error: 'invalid_client', error_description: 'Authentication failed.' });
  const claims = verifyAccessToken(form.token);
  if (!claims) return send(res, 200, { active: false });
  return send(res, 200, { ...claims, client_id: claims.azp, username: claims.preferred_username, token_type: 'Bearer', active: true });
}

// Keycloak's back-channel logout by refresh token (python-keycloak's KeycloakOpenID.logout).
async function logoutWithRefreshToken(req, res, form) {
  const client = authenticateClient(req, form);
  if (!client) return send(res, 401, { error: 'unauthorized_client', error_description: 'Invalid client or Invalid client credentials' });
  const rt = await provider.RefreshToken.find(form.refresh_token);
  if (!rt || rt.clientId !== client.clientId) return send(res, 400, { error: 'invalid_grant', error_description: 'Invalid refresh token' });
  const session = rt.sessionUid ? await provider.Session.findByUid(rt.sessionUid) : undefined;
  await Promise.all([
    provider.RefreshToken.revokeByGrantId(rt.grantId),
    provider.AuthorizationCode.revokeByGrantId(rt.grantId),
    provider.Grant.find(rt.grantId).then((grant) => grant?.destroy()),
    session?.destroy(),
  ]);
  return send(res, 204, '');
}

// ---- A subset of Keycloak's Admin REST API: users (search, read, update attributes) ---------------
//
// In production a regional administrator links an account to a partner institution in Keycloak
// (user attribute `institution`, declared in the realm's user profile). These three routes answer as
// Keycloak 26 does, so the same client code (python-keycloak's KeycloakAdmin) runs against both:
//   GET /admin/realms/{realm}/users?username=&email=&search=&exact=&first=&max=&briefRepresentation=
//   GET /admin/realms/{realm}/users/{id}
//   PUT /admin/realms/{realm}/users/{id}   (UserRepresentation: names, email, enabled, attributes)
// The caller is a bearer access token of this realm whose user (usually a client's service account)
// holds the realm-management client role manage-users (PUT; also enough to read) or view-users /
// query-users (GET), as the realm export grants them. Changes live in this process only (never
// written back to the realm file); tokens issued after a change carry the new attributes.

const ADMIN_PREFIX = `/admin/realms/${realm.realm}`;
const userProfile = (() => {
  const component = realm.components?.['org.keycloak.userprofile.UserProfileProvider']?.[0];
  const raw = component?.config?.['kc.user.profile.config']?.[0];
  return raw ? JSON.parse(raw) : { attributes: [] };
})();
const BUILT_IN = new Set(['username', 'email', 'firstName', 'lastName']);
// Attributes an administrator may set (declared in the user profile, editable by "admin").
const adminAttributes = new Map(userProfile.attributes
  .filter((a) => !BUILT_IN.has(a.name) && (a.permissions?.edit ?? []).includes('admin'))
  .map((a) => [a.name, a]));

function realmManagementRoles(user) {
  const roles = new Set(user?.clientRoles?.['realm-management'] ?? []);
  if (roles.has('realm-admin')) ['manage-users', 'view-users', 'query-users'].forEach((r) => roles.add(r));
  if (roles.has('view-users')) roles.add('query-users');
  return roles;
}

function adminCaller(req) {
  const bearer = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '')?.[1];
  const claims = verifyAccessToken(bearer);
  return claims ? usersById.get(claims.sub) : undefined;
}

function userRepresentation(user, brief = false) {
  return {
    id: user.id,
    username: user.username,
    firstName: user.firstName,
    lastName: user.lastName,
    email: user.email,
    emailVerified: Boolean(user.emailVerified),
    ...(brief ? {} : { attributes: structuredClone(user.attributes ?? {}) }),
    createdTimestamp: user.createdTimestamp ?? 0,
    enabled: user.enabled !== false,
    totp: false,
    disableableCredentialTypes: [],
    requiredActions: user.requiredActions ?? [],
    notBefore: 0,
    access: { manageGroupMembership: true, view: true, mapRoles: true, impersonate: false, manage: true },
  };
}

// Keycloak's user-profile validators that the realm uses: pattern and length.
function attributeErrors(name, values) {
  const declared = adminAttributes.get(name);
  const errs = [];
  if (!declared) return errs;
  if (declared.multivalued !== true && values.length > 1) errs.push({ field: name, errorMessage: 'error-invalid-multivalued-size', params: [name] });
  for (const value of values) {
    const { pattern, length } = declared.validations ?? {};
    if (pattern && !new RegExp(pattern.pattern).test(value)) errs.push({ field: name, errorMessage: pattern['error-message'] ?? 'error-pattern-no-match', params: [name, pattern.pattern] });
    if (length && ((length.min && value.length < length.min) || (length.max && value.length > length.max))) errs.push({ field: name, errorMessage: 'error-invalid-length', params: [name, length.min, length.max] });
  }
  return errs;
}

async function readJson(req) {
  const { raw } = await readForm(req);
  try {
    return raw ? JSON.parse(raw) : {};
  } catch {
    return undefined;
  }
}

async function admin(req, res, url) {
  const caller = adminCaller(req);
  if (!caller) return send(res, 401, { error: 'HTTP 401 Unauthorized' });
  const roles = realmManagementRoles(caller);
  const rest = url.pathname.slice(ADMIN_PREFIX.length);
  const forbidden = () => send(res, 403, { error: 'HTTP 403 Forbidden' });
  const people = users.filter((u) => !u.serviceAccountClientId);
  if (rest === '/users' && req.method === 'GET') {
    if (!roles.has('query-users') && !roles.has('manage-users')) return forbidden();
    const q = url.searchParams;
    const exact = q.get('exact') === 'true';
    const matches = (value, wanted) => {
      if (wanted === null) return true;
      const [v, w] = [String(value ?? '').toLowerCase(), wanted.toLowerCase()];
      return exact ? v === w : v.includes(w);
    };
    const search = q.get('search')?.replace(/^\*|\*$/g, '').toLowerCase();
    const found = people
      .filter((u) => matches(u.username, q.get('username')) && matches(u.email, q.get('email')))
      .filter((u) => matches(u.firstName, q.get('firstName')) && matches(u.lastName, q.get('lastName')))
      .filter((u) => !search || [u.username, u.email, u.firstName, u.lastName].some((v) => String(v ?? '').toLowerCase().includes(search)))
      .sort((a, b) => a.username.localeCompare(b.username));
    const first = Math.max(0, Number(q.get('first') ?? 0) || 0);
    const max = q.has('max') ? Math.max(0, Number(q.get('max')) || 0) : 100;
    const brief = q.get('briefRepresentation') === 'true';
    return send(res, 200, found.slice(first, first + max).map((u) => userRepresentation(u, brief)));
  }
  const one = /^\/users\/([^/]+)$/.exec(rest);
  if (one) {
    const user = people.find((u) => u.id === decodeURIComponent(one[1]));
    if (req.method === 'GET') {
      if (!roles.has('view-users') && !roles.has('manage-users')) return forbidden();
      return user ? send(res, 200, userRepresentation(user)) : send(res, 404, { error: 'User not found' });
    }
    if (req.method === 'PUT') {
      if (!roles.has('manage-users')) return forbidden();
      if (!user) return send(res, 404, { error: 'User not found' });
      const body = await readJson(req);
      if (!body || typeof body !== 'object' || Array.isArray(body)) return send(res, 400, { error: 'Cannot parse the JSON' });
      if (body.username !== undefined && body.username !== user.username && !realm.editUsernameAllowed) {
        return send(res, 400, { field: 'username', errorMessage: 'error-user-attribute-read-only', params: ['username'] });
      }
      let attributes;
      if (body.attributes !== undefined) {
        if (body.attributes === null || typeof body.attributes !== 'object') return send(res, 400, { error: 'Cannot parse the JSON' });
        // Unmanaged attributes (not in the user profile) are dropped, as Keycloak 24+ does by default.
        attributes = Object.fromEntries(Object.entries(body.attributes)
          .filter(([name]) => adminAttributes.has(name))
          .map(([name, value]) => [name, [value].flat().map(String).filter((v) => v !== '')])
          .filter(([, values]) => values.length));
        const errs = Object.entries(attributes).flatMap(([name, values]) => attributeErrors(name, values));
        if (errs.length === 1) return send(res, 400, errs[0]);
        if (errs.length) return send(res, 400, { errors: errs });
      }
      for (const key of ['firstName', 'lastName', 'email', 'enabled', 'emailVerified']) {
        if (body[key] !== undefined) user[key] = body[key];
      }
      if (attributes !== undefined) {
        // Attributes the administrator may not edit are kept as they were.
        const kept = Object.fromEntries(Object.entries(user.attributes ?? {}).filter(([name]) => !adminAttributes.has(name)));
        user.attributes = { ...kept, ...attributes };
      }
      console.log(`dev-issuer: admin ${caller.username} updated user ${user.id}`);
      res.writeHead(204, { 'cache-control': 'no-store' });
      return res.end();
    }
  }
  return send(res, 404, { error: 'Unable to find matching target resource method' });
}

const oidc = provider.callback();
const realmInfo = () => ({
  realm: realm.realm,
  public_key: publicKeys.values().next().value.export({ type: 'spki', format: 'der' }).toString('base64'),
  'token-service': `${ISSUER}/protocol/openid-connect`,
  'account-service': `${ISSUER}/account`,
  'tokens-not-before': 0,
});

const server = http.createServer(async (req, res) => {
  try {
    const { pathname } = new URL(req.url, 'http://localhost');
    const endpoint = (name) => pathname === `${PREFIX}/protocol/openid-connect/${name}`;
    if (pathname.startsWith(`${PREFIX}/login-actions/authenticate/`)) return await login(req, res);
    if (endpoint('userinfo')) return await userinfo(req, res);
    if (endpoint('token/introspect') && req.method === 'POST') return await introspect(req, res);
    if (endpoint('logout') && req.method === 'POST') {
      const { raw, form } = await readForm(req);
      if (form.refresh_token) return await logoutWithRefreshToken(req, res, form);
      // Keycloak also takes the end-session request as a form POST; oidc-provider only as GET
      // (its POST support needs SameSite=None cookies, which need https).
      req.method = 'GET';
      req.url = `${pathname}?${raw}`;
    }
    if (pathname.startsWith(`${ADMIN_PREFIX}/`)) return await admin(req, res, new URL(req.url, 'http://localhost'));
    if (pathname === PREFIX || pathname === `${PREFIX}/`) return send(res, 200, realmInfo());
    if (pathname.startsWith(`${PREFIX}/`)) {
      req.originalUrl = req.url;
      req.url = req.url.slice(PREFIX.length);
      return oidc(req, res);
    }
    return send(res, 404, { error: 'not_found' });
  } catch (err) {
    console.error(err);
    if (!res.headersSent) send(res, 500, { error: 'server_error', error_description: String(err?.message ?? err) });
    else res.end();
  }
});

// Started by a test run (shared/testing/issuer.py passes PARENT_PID): don't outlive it.
const parentPid = Number(process.env.PARENT_PID || 0);
if (parentPid) {
  setInterval(() => {
    try { process.kill(parentPid, 0); } catch { process.exit(0); }
  }, 1000).unref();
}

server.listen(PORT, HOST, () => {
  console.log(`dev-issuer: ${ISSUER} listening on http://${HOST}:${PORT} (realm ${REALM_FILE}, keys ${JWKS_FILE})`);
});
