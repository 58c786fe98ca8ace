/**
 * A local double of the two GitHub REST routes a GitHub App credential needs, on 127.0.0.1:
 * - `POST /app/installations/{id}/access_tokens`, authenticated with the app JWT: RS256, verified
 *   against the app's public key, `iss` = the app id, `exp` at most 10 minutes ahead. It answers
 *   201 `{ token, expires_at, permissions, repository_selection }` as GitHub does;
 * - `GET /repos/{owner}/{repo}`, which accepts only installation tokens it minted
 *   (`Authorization: token …` or `Bearer …`, both work on GitHub) and only for the repositories
 *   the token was narrowed to.
 */
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { jwtVerify } from 'jose';
import { closeAll, listen, readBody, sendJson } from './local-http.js';

const MAX_APP_JWT_AHEAD_S = 600;
const INSTALLATION_TOKEN_LIFETIME_MS = 60 * 60 * 1000;
/** What the demo installation was granted; a token request may only narrow it. */
const INSTALLATION_PERMISSIONS: Readonly<Record<string, 'read' | 'write'>> = { contents: 'read', issues: 'write', metadata: 'read' };

export interface LocalGitHub {
  /** The `apiUrl` of the credential. */
  readonly apiUrl: string;
  readonly appId: number;
  readonly installationId: number;
  readonly owner: string;
  readonly repositories: readonly string[];
  /** PKCS#1 PEM, the format of the key GitHub lets you download. */
  readonly privateKeyPem: string;
  /** Installation tokens minted so far. */
  readonly issued: string[];
  close(): Promise<void>;
}

function githubError(status: number, message: string): { status: number; body: unknown } {
  return { status, body: { message, documentation_url: 'https://docs.github.com/rest', status: String(status) } };
}

export async function startLocalGitHub(): Promise<LocalGitHub> {
  const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const appId = 100000 + randomBytes(2).readUInt16BE();
  const installationId = 40000000 + randomBytes(2).readUInt16BE();
  const owner = 'acme';
  const repositories = ['demo', 'website'];
  const issued: string[] = [];
  const grants = new Map<string, { repositories: readonly string[]; permissions: Record<string, string>; expiresAt: number }>();

  async function createInstallationToken(authorization: string, path: string, rawBody: string): Promise<{ status: number; body: unknown }> {
    const jwt = /^Bearer (\S+)$/.exec(authorization)?.[1];
    if (jwt === undefined) return githubError(401, 'A JSON web token could not be decoded');
    try {
      const { payload } = await jwtVerify(jwt, publicKey, { algorithms: ['RS256'], requiredClaims: ['iat', 'exp', 'iss'] });
      // GitHub takes the app id as a number or a string, so compare as strings.
      if (String(payload.iss) !== String(appId)) return githubError(401, "'Issuer' claim ('iss') must be an Integer");
      if (payload.exp! - Math.floor(Date.now() / 1000) > MAX_APP_JWT_AHEAD_S) {
        return githubError(401, "'Expiration time' claim ('exp') is too far in the future");
      }
    } catch (e) {
      return githubError(401, `A JSON web token could not be decoded (${(e as Error).message})`);
    }
    if (path !== `/app/installations/${installationId}/access_tokens`) return githubError(404, 'Not Found');
    const requested = (rawBody === '' ? {} : JSON.parse(rawBody)) as { repositories?: string[]; permissions?: Record<string, string> };
    const unknownRepo = requested.repositories?.find((r) => !repositories.includes(r));
    if (unknownRepo !== undefined)
      return githubError(
        422,
        `There is at least one repository that does not exist or is not accessible to the parent installation: ${unknownRepo}`,
      );
    const permissions = requested.permissions ?? { ...INSTALLATION_PERMISSIONS };
    for (const [name, level] of Object.entries(permissions)) {
      const granted = INSTALLATION_PERMISSIONS[name];
      if (granted === undefined || (level === 'write' && granted !== 'write')) {
        return githubError(422, `The permissions requested are not granted to this installation: ${name}:${level}`);
      }
    }
    const token = `ghs_${randomBytes(27).toString('base64url').replace(/[-_]/g, 'x').slice(0, 36)}`;
    const expiresAt = Date.now() + INSTALLATION_TOKEN_LIFETIME_MS;
    issued.push(token);
    grants.set(token, { repositories: requested.repositories ?? repositories, permissions, expiresAt });
    return {
      status: 201,
      body: {
        token,
        // GitHub's format: seconds precision, `Z`.
        expires_at: new Date(expiresAt).toISOString().replace(/\.\d{3}Z$/, 'Z'),
        permissions,
        repository_selection: requested.repositories === undefined ? 'all' : 'selected',
      },
    };
  }

  const api = await listen(async (req, res) => {
    const path = (req.url ?? '').split('?')[0]!;
    const authorization = req.headers.authorization ?? '';
    if (req.method === 'POST' && path.startsWith('/app/installations/')) {
      const { status, body } = await createInstallationToken(authorization, path, await readBody(req));
      return sendJson(res, status, body);
    }
    const presented = /^(?:token|Bearer) (\S+)$/.exec(authorization)?.[1];
    const grant = presented === undefined ? undefined : grants.get(presented);
    if (grant === undefined || grant.expiresAt <= Date.now()) {
      const { status, body } = githubError(401, 'Bad credentials');
      return sendJson(res, status, body);
    }
    const m = /^\/repos\/([^/]+)\/([^/]+)$/.exec(path);
    // GitHub answers 404, not 403, for a repository the token cannot see.
    if (req.method !== 'GET' || m === null || m[1] !== owner || !grant.repositories.includes(m[2]!)) {
      const { status, body } = githubError(404, 'Not Found');
      return sendJson(res, status, body);
    }
    const name = m[2]!;
    return sendJson(res, 200, {
      id: 700000 + repositories.indexOf(name),
      name,
      full_name: `${owner}/${name}`,
      private: true,
      default_branch: 'main',
      owner: { login: owner, type: 'Organization' },
      open_issues_count: 3,
      topics: ['pebbleflow', 'demo'],
    });
  });

  return {
    apiUrl: api.origin,
    appId,
    installationId,
    owner,
    repositories,
    privateKeyPem: privateKey.export({ type: 'pkcs1', format: 'pem' }).toString(),
    issued,
    close: () => closeAll([api]),
  };
}
