// Credentials: every credential of the config (id, type, grant, tenant, namespace) with Test
// connection, which has the server mint a token now and shows what it is — `Token minted`, its
// type, `expires …` and its scope — never the token; or the refusal with the OAuth error code and
// description. Secrets are listed by provider and key only: the server never sends a value.
import { api, enc } from '../api.js';
import { formatDate, formatDuration, h, show } from '../dom.js';

function expiry(iso) {
  if (iso === null || iso === undefined) return 'no expiry given';
  const ms = Date.parse(iso) - Date.now();
  return `expires ${formatDate(iso)} (in ${formatDuration(Math.max(0, ms))})`;
}

function resultOf(r) {
  if (r.ok) {
    return h(
      'div',
      { class: 'ok-box' },
      h('strong', {}, 'Token minted'),
      ` · ${r.tokenType} · ${expiry(r.expiresAt)} · `,
      r.scope === null || r.scope === '' ? h('span', { class: 'muted' }, 'no scope returned') : `scope ${r.scope}`,
      h('span', { class: 'muted' }, ` · ${formatDuration(r.ms)}`),
    );
  }
  const oauth =
    r.oauthError === undefined ? undefined : `${r.oauthError}${r.errorDescription === undefined ? '' : `: ${r.errorDescription}`}`;
  return h(
    'div',
    { class: 'error-box' },
    h('strong', {}, 'Refused'),
    oauth === undefined
      ? ` · ${r.code}: ${r.message}`
      : [` · `, h('code', {}, r.oauthError), r.errorDescription === undefined ? '' : `: ${r.errorDescription}`],
    h(
      'div',
      { class: 'muted' },
      `${r.code}${r.status === undefined ? '' : `, HTTP ${r.status}`}${oauth === undefined ? '' : ` — ${r.message}`}`,
    ),
  );
}

export async function credentialsView({ main }) {
  const { credentials, secrets } = await api('/pebbleflow/ui/credentials');

  const row = (c) => {
    const result = h('div', { class: 'cred-result', role: 'status', 'aria-live': 'polite' });
    const button = h('button', { type: 'button' }, 'Test connection');
    button.addEventListener('click', async () => {
      button.disabled = true;
      button.setAttribute('aria-busy', 'true');
      result.replaceChildren(h('span', { class: 'muted' }, 'Minting a token…'));
      try {
        const query = c.namespace === undefined ? '' : `?namespace=${enc(c.namespace)}`;
        result.replaceChildren(resultOf(await api(`/pebbleflow/ui/credentials/${enc(c.id)}/test${query}`, { method: 'POST' })));
      } catch (e) {
        result.replaceChildren(h('div', { class: 'error-box' }, `Test failed: ${e.message}`));
      } finally {
        button.disabled = false;
        button.removeAttribute('aria-busy');
      }
    });
    return h(
      'tr',
      { 'data-credential': c.id },
      h('th', { scope: 'row' }, h('code', {}, c.id), c.description === undefined ? '' : h('div', { class: 'muted' }, c.description)),
      h('td', {}, c.type),
      h('td', {}, c.grant),
      h('td', {}, c.tenant),
      h('td', {}, c.namespace ?? h('span', { class: 'muted' }, 'all')),
      h('td', {}, h('code', {}, c.endpoint), h('div', { class: 'muted' }, 'secrets: ', c.secretKeys.join(', '))),
      h('td', {}, button, result),
    );
  };

  show(
    main,
    h('h1', {}, 'Credentials'),
    h(
      'p',
      { class: 'muted' },
      'Tokens are minted by the server and never shown here; Test connection mints a fresh one and shows what it is.',
    ),
    credentials.length === 0
      ? h('p', { class: 'panel' }, 'The config defines no credentials.')
      : h(
          'table',
          { 'aria-label': 'Credentials' },
          h(
            'thead',
            {},
            h(
              'tr',
              {},
              ['Id', 'Type', 'Grant', 'Tenant', 'Namespace', 'Endpoint', 'Test'].map((t) => h('th', { scope: 'col' }, t)),
            ),
          ),
          h('tbody', {}, credentials.map(row)),
        ),
    h('h2', {}, 'Secrets'),
    h('p', { class: 'muted' }, 'By provider and key; values stay on the server.'),
    secrets.length === 0
      ? h('p', { class: 'panel' }, 'The config defines no secret providers.')
      : h(
          'table',
          { 'aria-label': 'Secrets' },
          h(
            'thead',
            {},
            h(
              'tr',
              {},
              ['Provider', 'Tenant', 'Namespace', 'Keys'].map((t) => h('th', { scope: 'col' }, t)),
            ),
          ),
          h(
            'tbody',
            {},
            secrets.map((p) =>
              h(
                'tr',
                {},
                h('td', {}, p.provider),
                h('td', {}, p.tenant),
                h('td', {}, p.namespace ?? h('span', { class: 'muted' }, 'all')),
                h(
                  'td',
                  {},
                  p.keys.length === 0
                    ? h('span', { class: 'muted' }, 'none')
                    : h(
                        'ul',
                        { class: 'keys' },
                        p.keys.map((k) => h('li', {}, k)),
                      ),
                ),
              ),
            ),
          ),
        ),
  );
}
