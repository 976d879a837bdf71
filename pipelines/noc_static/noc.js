// AIOps NOC page: open incidents of one tenant, live over Server-Sent Events.
// An ES module, no framework and no build step; helpers in noc-dom.js, the detail panel in
// noc-detail.js.
import { $, SEV_RANK, SEVERITIES, ago, el, getJson, isOpen, ts } from './noc-dom.js';
import { detailPanel } from './noc-detail.js';

const KEEP_RESOLVED_MS = 15 * 60 * 1000;
const query = new URLSearchParams(location.search);

const st = {
  who: null,          // GET /noc/session answer
  tenantParam: null,  // ?tenant= sent with every API call (admin and local viewers only)
  incidents: new Map(),
  fresh: new Set(),   // ids changed by the last event, flashed once
  skewMs: 0,          // server clock minus ours, so ages are the server's
  es: null,
  retryMs: 1000,
  retryTimer: null,
  sevOn: new Set(SEVERITIES),
};
const now = () => Date.now() + st.skewMs;

function apiUrl(path) {
  const u = new URL(path, location.origin);
  if (st.tenantParam) u.searchParams.set('tenant', st.tenantParam);
  return u.toString();
}

function setConn(state, text) {
  $('conn').dataset.state = state;
  $('conn-text').textContent = text;
}
function notice(text, warn) {
  const n = $('notice');
  n.hidden = !text;
  n.textContent = text || '';
  n.classList.toggle('warn', Boolean(warn));
}
function show(section) {
  for (const id of ['login', 'pick', 'board']) $(id).hidden = id !== section;
}

// ---- who am I, sign in, tenant choice -----------------------------------------------------
async function start() {
  stopStream();
  const r = await getJson('/noc/session');
  if (r.status === 401) return showLogin('');
  if (!r.ok) { setConn('offline', 'refused'); return notice(r.body.error || `HTTP ${r.status}`); }
  st.who = r.body;
  const v = st.who.viewer;
  $('logout').hidden = st.who.mode === 'open_local';
  $('mode-note').hidden = st.who.mode !== 'open_local';
  $('mode-note').textContent = 'Open local mode: no tokens are configured, so anyone on this '
    + 'machine can read any tenant (choose it with ?tenant=). Set AIOPS_WEB_ADMIN_TOKEN or '
    + 'AIOPS_GATEWAY_TOKENS to require a token.';
  if (v.role === 'tenant') {
    st.tenantParam = null;
    const asked = query.get('tenant');
    if (asked && asked !== v.tenant) {
      notice(`This token belongs to tenant ${v.tenant}; showing ${v.tenant}, not ${asked}.`, true);
    }
    return openBoard(v.tenant);
  }
  $('switch-tenant').hidden = false;
  const asked = query.get('tenant');
  if (!asked) return showPicker();
  st.tenantParam = asked;
  return openBoard(asked);
}

function showLogin(message) {
  stopStream();
  setConn('offline', 'signed out');
  $('tenant').hidden = true;
  $('logout').hidden = true;
  $('switch-tenant').hidden = true;
  $('login-error').textContent = message || '';
  show('login');
  $('token').focus();
}

function showPicker() {
  setConn('offline', 'no tenant chosen');
  const list = $('tenant-list');
  list.replaceChildren(...(st.who.tenants || []).map((t) => el('option', { value: t })));
  $('pick-why').textContent = st.who.viewer.role === 'admin'
    ? 'The admin token reads any tenant, one at a time.'
    : 'Open local mode: pick the tenant to watch.';
  show('pick');
  $('pick-tenant').focus();
}

$('login-form').addEventListener('submit', async (ev) => {
  ev.preventDefault();
  $('login-error').textContent = '';
  const r = await getJson('/noc/session', {
    method: 'POST', headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ token: $('token').value }),
  });
  if (!r.ok) { $('login-error').textContent = r.body.error || `HTTP ${r.status}`; return; }
  $('token').value = '';
  notice('');
  start();
});
$('pick-form').addEventListener('submit', (ev) => {
  ev.preventDefault();
  const u = new URL(location.href);
  u.searchParams.set('tenant', $('pick-tenant').value.trim());
  u.hash = '';
  location.assign(u.toString());
});
$('switch-tenant').addEventListener('click', () => {
  const u = new URL(location.href);
  u.searchParams.delete('tenant');
  u.hash = '';
  location.assign(u.toString());
});
$('logout').addEventListener('click', async () => {
  await fetch('/noc/session', { method: 'DELETE', credentials: 'same-origin' });
  st.incidents.clear();
  detail.close(false);
  showLogin('Signed out.');
});

// ---- the live stream ------------------------------------------------------------------------
function openBoard(tenant) {
  $('tenant').textContent = tenant;
  $('tenant').hidden = false;
  document.title = `AIOps NOC · ${tenant}`;
  show('board');
  connect();
}

function stopStream() {
  if (st.es) { st.es.close(); st.es = null; }
  clearTimeout(st.retryTimer);
}

function connect() {
  stopStream();
  setConn('connecting', 'connecting…');
  const es = new EventSource(apiUrl('/noc/api/events'));
  st.es = es;
  es.addEventListener('status', (e) => {
    const s = JSON.parse(e.data);
    document.body.classList.toggle('stale', s.redis === 'down');
    if (s.redis === 'down') {
      setConn('down', 'feed down');
      notice(`${s.message}. The list below is the last one received; it updates again once Redis answers.`);
    } else notice('');
  });
  es.addEventListener('snapshot', (e) => {
    const snap = JSON.parse(e.data);
    st.skewMs = snap.server_time * 1000 - Date.now();
    st.incidents = new Map(snap.incidents.map((b) => [b.incident_id, b]));
    st.retryMs = 1000;
    setConn('live', 'live');
    render();
    if (detail.id) detail.refresh();
  });
  es.addEventListener('incidents', (e) => {
    const msg = JSON.parse(e.data);
    st.skewMs = msg.server_time * 1000 - Date.now();
    for (const b of msg.incidents) { st.incidents.set(b.incident_id, b); st.fresh.add(b.incident_id); }
    render();
    if (msg.incidents.some((b) => b.incident_id === detail.id)) detail.refresh();
  });
  es.addEventListener('auth', (e) => { showLogin(JSON.parse(e.data).message); });
  es.onerror = () => {
    if (es.readyState === EventSource.CONNECTING) {
      setConn('reconnecting', 'reconnecting…');
      return;
    }
    // Closed: the server refused the stream (or is gone). Ask why over plain HTTP.
    es.close();
    if (st.es === es) st.es = null;
    diagnose();
  };
}

async function diagnose() {
  let r;
  try { r = await getJson(apiUrl('/noc/api/incidents')); }
  catch (_) { r = { status: 0, ok: false, body: { error: 'the worker does not answer' } }; }
  if (r.status === 401) return showLogin(r.body.error);
  if (r.status === 400 || r.status === 403) { setConn('offline', 'refused'); return notice(r.body.error); }
  setConn(r.status === 503 ? 'down' : 'offline', r.status === 503 ? 'feed down' : 'disconnected');
  if (!r.ok) notice(`${r.body.error} Retrying in ${Math.round(st.retryMs / 1000)} s.`);
  st.retryTimer = setTimeout(connect, st.retryMs);
  st.retryMs = Math.min(st.retryMs * 2, 30000);
}

// ---- the board ----------------------------------------------------------------------------
const filters = () => ({
  site: $('f-site').value,
  resolved: $('f-resolved').checked,
  text: $('f-text').value.trim().toLowerCase(),
});

function visible(b, f) {
  if (!st.sevOn.has(b.severity)) return false;
  if (!f.resolved && !isOpen(b)) return false;
  if (f.site && !b.sites.includes(f.site)) return false;
  if (f.text) {
    const hay = [b.title, ...b.sites, ...b.services, ...b.hosts, b.incident_id].join(' ').toLowerCase();
    if (!hay.includes(f.text)) return false;
  }
  return true;
}

function ordered() {
  const t = now();
  for (const [id, b] of st.incidents) {
    if (!isOpen(b) && t - ts(b.last_seen) > KEEP_RESOLVED_MS) st.incidents.delete(id);
  }
  return [...st.incidents.values()].sort((a, b) =>
    (b.correlated - a.correlated) || (isOpen(b) - isOpen(a))
    || (SEV_RANK[a.severity] - SEV_RANK[b.severity]) || (ts(b.last_seen) - ts(a.last_seen)));
}

function renderSites(all) {
  const sel = $('f-site');
  const keep = sel.value;
  const sites = [...new Set(all.flatMap((b) => b.sites))].sort();
  if (keep && !sites.includes(keep)) sites.push(keep);
  sel.replaceChildren(el('option', { value: '', text: 'all sites' }),
    ...sites.map((s) => el('option', { value: s, text: s })));
  sel.value = keep;
}

function row(b) {
  const open = isOpen(b);
  const title = el('a', { href: `#/incident/${encodeURIComponent(b.incident_id)}`, text: b.title || b.incident_id });
  const tags = el('div', {});
  if (b.correlated) tags.append(el('span', { class: 'tag corr', text: 'correlated' }));
  if (b.suppressed) tags.append(el('span', { class: 'tag', text: 'suppressed' }));
  if (b.hosts.length) {
    tags.append(el('span', { class: 'tag', text: b.hosts.length <= 3 ? b.hosts.join(', ') : `${b.hosts.length} hosts` }));
  }
  const state = b.merged_into ? `merged into ${b.merged_into}` : b.state;
  const tr = el('tr', {
    class: `sev-${b.severity}${open ? '' : ' resolved'}${st.fresh.has(b.incident_id) ? ' flash' : ''}`
      + (b.incident_id === detail.id ? ' selected' : ''),
    'data-incident-id': b.incident_id, 'data-severity': b.severity,
  },
  el('td', {}, el('span', { class: `sev ${b.severity}`, text: b.severity })),
  el('td', {}, title, tags),
  el('td', { text: b.sites.join(', ') || '—' }),
  el('td', { text: b.services.join(', ') || '—' }),
  el('td', { class: 'num', text: String(b.alert_count) }),
  el('td', { class: 'age', 'data-since': b.first_seen }),
  el('td', { class: 'age', 'data-since': b.last_seen, 'data-suffix': ' ago' }),
  el('td', { class: open ? '' : 'state-resolved', text: state }));
  return tr;
}

function render() {
  const all = ordered();
  renderSites(all);
  const f = filters();
  const shown = all.filter((b) => visible(b, f));
  const open = all.filter(isOpen);
  const focused = document.activeElement && document.activeElement.closest('tr[data-incident-id]');
  const focusId = focused ? focused.dataset.incidentId : null;
  $('rows').replaceChildren(...shown.map(row));
  st.fresh.clear();
  if (focusId) {
    const a = $('rows').querySelector(`tr[data-incident-id="${CSS.escape(focusId)}"] a`);
    if (a) a.focus();
  }
  for (const btn of document.querySelectorAll('.sev-btn')) {
    btn.querySelector('b').textContent = String(open.filter((b) => b.severity === btn.dataset.sev).length);
  }
  const counts = $('counts');
  counts.replaceChildren(el('strong', { text: String(open.length) }),
    ` open incident${open.length === 1 ? '' : 's'}`,
    all.length > open.length ? `, ${all.length - open.length} recently resolved` : '',
    shown.length !== all.length ? ` · showing ${shown.length}` : '');
  const empty = $('empty');
  empty.hidden = shown.length > 0;
  empty.textContent = all.length ? 'No incident matches these filters.'
    : 'No open incidents. New ones appear here as they happen.';
  const crit = open.filter((b) => b.severity === 'critical').length;
  document.title = `${crit ? `(${crit}) ` : ''}AIOps NOC · ${$('tenant').textContent}`;
  tick();
}

function tick() {
  const t = now();
  for (const node of document.querySelectorAll('[data-since]')) {
    node.textContent = ago(t - ts(node.dataset.since)) + (node.dataset.suffix || '');
  }
}
setInterval(tick, 1000);

$('f-site').addEventListener('change', render);
$('f-resolved').addEventListener('change', render);
$('f-text').addEventListener('input', render);
for (const btn of document.querySelectorAll('.sev-btn')) {
  btn.addEventListener('click', () => {
    const sev = btn.dataset.sev;
    if (st.sevOn.has(sev)) st.sevOn.delete(sev); else st.sevOn.add(sev);
    btn.setAttribute('aria-pressed', String(st.sevOn.has(sev)));
    render();
  });
}

const detail = detailPanel({
  signedIn: () => Boolean(st.who),
  incident: (id) => st.incidents.get(id) || null,
  apiUrl, render, tick, showLogin,
});
start().then(() => detail.open());
