/** GITHUB_APP: an installation access token bought with the app's JWT. */
import { EXPECTED, field, type JsonSchema } from '../../config/fields.js';
import type { CredentialCommonConfig, SecretRef } from '../../config/types.js';
import { defineCredentialType } from './credential-type.js';
import { optional } from './oauth2.js';

export interface GitHubAppConfig extends CredentialCommonConfig {
  readonly type: 'GITHUB_APP';
  /** The JWT `iss`: the app id (sent as a number when numeric) or the app's client id. */
  readonly appId?: string;
  readonly clientId?: string;
  readonly installationId: string;
  readonly privateKey: SecretRef;
  /** Without a trailing slash; a GitHub Enterprise path such as `/api/v3` is kept. */
  readonly apiUrl: string;
  readonly repositories?: readonly string[];
  readonly repositoryIds?: readonly number[];
  readonly permissions?: Readonly<Record<string, string>>;
}

const properties: Readonly<Record<string, JsonSchema>> = {
  appId: field.text('The app id (number or string); or give clientId.'),
  clientId: field.text("The app's client id (Iv23li…), instead of appId."),
  installationId: {
    type: ['string', 'integer'],
    pattern: '^\\d+$',
    description: 'The installation to mint tokens for.',
    [EXPECTED]: 'a numeric installation id',
  },
  privateKey: field.secretRef('The .pem GitHub gives you (PKCS#1 or PKCS#8).'),
  apiUrl: field.url('GitHub Enterprise: e.g. https://github.example.com/api/v3 (the path is kept).'),
  repositories: field.stringList('Narrow the token to these repositories (names).'),
  repositoryIds: {
    type: 'array',
    items: { type: ['integer', 'string'], pattern: '^[1-9]\\d*$', minimum: 1, [EXPECTED]: 'a numeric repository id' },
    description: 'Narrow the token to these repositories (ids).',
    [EXPECTED]: 'a list of numeric repository ids',
  },
  permissions: field.stringMap('Narrow the token to these permissions, e.g. { contents: read }.', {
    enum: ['read', 'write', 'admin'],
  }),
};

export const githubApp = defineCredentialType<GitHubAppConfig>({
  type: 'GITHUB_APP',
  title: 'a GITHUB_APP credential',
  description: 'A GitHub App installation access token.',
  properties,
  required: ['installationId', 'privateKey'],
  read(r, common) {
    const appId = r.string('appId');
    const clientId = r.string('clientId');
    if (appId === undefined && clientId === undefined) r.issue('appId', 'appId or clientId', "one of 'appId' or 'clientId' is required");
    const installationId = r.string('installationId');
    const privateKey = r.secretRef('privateKey');
    const repositoryIds = r.stringList('repositoryIds')?.map(Number);
    if (installationId === undefined || privateKey === undefined) return undefined;
    return {
      ...common,
      type: 'GITHUB_APP',
      ...optional('appId', appId),
      ...optional('clientId', clientId),
      installationId,
      privateKey,
      apiUrl: (r.url('apiUrl') ?? 'https://api.github.com').replace(/\/+$/, ''),
      ...optional('repositories', r.stringList('repositories')),
      ...optional('repositoryIds', repositoryIds),
      ...optional('permissions', r.stringMap('permissions')),
    };
  },
  // The token request code (and its HTTP client) is imported when a token is first minted.
  mint: async (credential, ctx) => (await import('./github-app-mint.js')).mintGitHubApp(credential, ctx),
});
