// Small DOM and formatting helpers of the NOC page. Server values become text
// (textContent), never HTML, and only http(s) URLs become links.

export const SEVERITIES = ['critical', 'error', 'warning', 'info'];
export const SEV_RANK = { critical: 0, error: 1, warning: 2, info: 3 };
export const $ = (id) => document.getElementById(id);

export function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k === 'class') node.className = v;
    else if (k === 'text') node.textContent = v;
    else if (k.startsWith('data-')) node.setAttribute(k, v);
    else node.setAttribute(k, v === true ? '' : v);
  }
  for (const c of children) if (c !== null && c !== undefined) node.append(c);
  return node;
}

export const isHttp = (u) => typeof u === 'string' && /^https?:\/\//i.test(u);
export const link = (url, text) => isHttp(url)
  ? el('a', { href: url, target: '_blank', rel: 'noopener noreferrer', text: text || url })
  : document.createTextNode(text || String(url));

export async function getJson(url, init) {
  const r = await fetch(url, { credentials: 'same-origin', ...init });
  let body = {};
  try { body = await r.json(); } catch (_) { body = { error: `HTTP ${r.status}` }; }
  return { status: r.status, ok: r.ok, body };
}

export function ago(ms) {
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m ${String(s % 60).padStart(2, '0')}s`;
  const h = Math.floor(m / 60);
  if (h < 48) return `${h}h ${String(m % 60).padStart(2, '0')}m`;
  return `${Math.floor(h / 24)}d ${h % 24}h`;
}

export const ts = (iso) => new Date(iso).getTime();
export const isOpen = (b) => b.state !== 'resolved' && !b.merged_into;
