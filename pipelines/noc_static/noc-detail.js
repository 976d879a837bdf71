// The incident detail panel of the NOC page: the brief at once (from the live list), then its
// alerts, runbooks and evidence from GET /noc/api/incidents/<id>. Opened by the URL hash
// (#/incident/<id>), so links, Enter on a row and the back button all work; Escape closes it.
import { $, el, getJson, isHttp, link, SEV_RANK } from './noc-dom.js';

// ctx: { signedIn(), incident(id), apiUrl(path), render(), tick(), showLogin(message) }
export function detailPanel(ctx) {
  let current = null;

  function idFromHash() {
    const m = location.hash.match(/^#\/incident\/(.+)$/);
    return m ? decodeURIComponent(m[1]) : null;
  }

  function open() {
    const id = idFromHash();
    if (!id) return close(false);
    if (!ctx.signedIn()) return;
    current = id;
    $('detail').hidden = false;
    document.body.classList.add('detail-open');
    renderBrief(ctx.incident(id));
    $('d-alerts-note').textContent = 'loading…';
    $('d-alerts').replaceChildren();
    $('detail').focus();
    ctx.render();
    refresh();
  }

  function close(restore) {
    const id = current;
    current = null;
    $('detail').hidden = true;
    document.body.classList.remove('detail-open');
    if (location.hash) history.replaceState(null, '', location.pathname + location.search);
    if ($('board').hidden === false) ctx.render();
    if (restore && id) {  // back to the incident's row (rows are re-rendered, so find it again)
      const a = $('rows').querySelector(`tr[data-incident-id="${CSS.escape(id)}"] a`);
      if (a) a.focus();
    }
  }

  function renderBrief(b) {
    $('d-title').textContent = b ? b.title : current;
    const meta = el('dl', { class: 'meta' });
    const add = (k, v) => meta.append(el('dt', { text: k }), el('dd', {}, v));
    if (b) {
      add('Severity', el('span', { class: `sev ${b.severity}`, text: b.severity }));
      add('State', b.merged_into ? `merged into ${b.merged_into}` : b.state);
      add('Incident', `${b.incident_id} (version ${b.version})`);
      add('Sites', b.sites.join(', ') || '—');
      add('Services', b.services.join(', ') || '—');
      add('Hosts', b.hosts.join(', ') || '—');
      add('First seen', `${new Date(b.first_seen).toLocaleString()} (`);
      meta.lastChild.append(el('span', { 'data-since': b.first_seen, 'data-suffix': ' ago' }), ')');
      add('Last activity', `${new Date(b.last_seen).toLocaleString()} (`);
      meta.lastChild.append(el('span', { 'data-since': b.last_seen, 'data-suffix': ' ago' }), ')');
      add('Alerts', `${b.alert_count}${b.suppressed ? ' (suppressed)' : ''}`);
      add('Correlated', b.correlated ? 'yes: joined with ticket or help evidence' : 'no');
    }
    $('d-meta').replaceChildren(meta);
    const ev = $('d-evidence');
    const lines = b ? b.evidence : [];
    ev.replaceChildren(...(lines.length ? lines.map((t) => el('li', { text: t }))
      : [el('li', { class: 'muted', text: 'No ticket or help evidence yet: the correlation stage adds it when tickets or help searches match this incident.' })]));
    ctx.tick();
  }

  async function refresh() {
    const id = current;
    if (!id) return;
    const r = await getJson(ctx.apiUrl(`/noc/api/incidents/${encodeURIComponent(id)}`));
    if (id !== current) return;
    if (r.status === 401) return ctx.showLogin(r.body.error);
    if (!r.ok) {
      $('d-alerts-note').textContent = r.body.error || `HTTP ${r.status}`;
      return;
    }
    const d = r.body;
    renderBrief(d.incident);
    $('d-runbooks').replaceChildren(...(d.runbooks.length
      ? d.runbooks.map((rb) => el('li', {}, link(rb.url, rb.url), el('span', { class: 'muted', text: ` (${rb.label})` })))
      : [el('li', { class: 'muted', text: 'No runbook link in this incident or its alerts’ annotations (runbook_url).' })]));
    $('d-alerts-note').textContent = d.alerts_note || '';
    $('d-alerts').replaceChildren(...(d.alerts || []).map(alertCard));
    ctx.tick();
  }

  function alertCard(a) {
    const ann = a.annotations || {};
    const where = [a.site, a.service, a.host].filter(Boolean).join(' · ');
    const card = el('div', { class: 'alert', 'data-fingerprint': a.fingerprint },
      el('div', { class: 'head' },
        el('span', { class: `sev ${SEV_RANK[a.severity] === undefined ? 'info' : a.severity}`, text: a.severity || '—' }),
        el('span', { class: 'name', text: a.alertname || '(no alertname)' }),
        el('span', { class: `status-${a.status}`, text: a.status }),
        el('span', { class: 'muted', text: where })));
    if (ann.summary) card.append(el('p', { text: ann.summary }));
    if (ann.description) card.append(el('p', { class: 'muted', text: ann.description }));
    const foot = el('p', { class: 'fp' }, `fingerprint ${a.fingerprint} · started `,
      el('span', { 'data-since': new Date(Number(a.starts_ms)).toISOString(), 'data-suffix': ' ago' }));
    for (const key of ['runbook_url', 'runbook']) {
      if (isHttp(ann[key])) foot.append(' · ', link(ann[key], 'runbook'));
    }
    if (isHttp(a.generator_url)) foot.append(' · ', link(a.generator_url, 'source'));
    card.append(foot);
    return card;
  }


  $('d-close').addEventListener('click', () => close(true));
  document.addEventListener('keydown', (e) => {
    if (e.key === 'Escape' && current) { e.preventDefault(); close(true); }
  });
  window.addEventListener('hashchange', open);
  return { get id() { return current; }, open, close, refresh };
}
