/*
 * pmsflow operator console — one file, plain ES2020, no framework, no dependency.
 *
 * Sections:
 *   1. DOM helpers (h / svg, never innerHTML)
 *   2. Formatting (UTC times, relative hints, durations, JSON)
 *   3. API (fetch wrapper: cookie, CSRF header, problem+json, 401 → sign-in)
 *   4. Shell (top bar, whoami, sign-out, no-workers banner, live indicator, toasts)
 *   5. Loader (fetch scheduling: 300 ms debounce, ≤ 1 fetch/s, polling, stale answers dropped)
 *   6. Router (history API, link interception)
 *   7. Shared view pieces (page head, problems, pills, filter forms, pager)
 *   8. Screens: overview, runs (+ bulk bar), run detail, bulk, schedules, audit, not found
 *   9. Action dialog
 *  10. Throughput chart (inline SVG)
 *  11. Live updates (SSE)
 *  12. Boot (console page and sign-in page)
 */
'use strict';

(() => {
  // ===========================================================================
  // 1. DOM helpers
  // ===========================================================================

  /** Properties set as DOM properties (after children, so a select's value sticks). */
  const PROPS = new Set(['value', 'checked', 'disabled', 'selected', 'hidden', 'open', 'required', 'indeterminate']);

  function appendAll(el, children) {
    for (const c of children) {
      if (c == null || c === false || c === true) continue;
      if (Array.isArray(c)) appendAll(el, c);
      else if (c instanceof Node) el.append(c);
      else el.append(document.createTextNode(String(c)));
    }
  }

  function setAttrs(el, attrs, asProps) {
    if (!attrs) return;
    for (const [k, v] of Object.entries(attrs)) {
      if (v == null || v === false) continue;
      if (k.startsWith('on') && typeof v === 'function') {
        el.addEventListener(k.slice(2).toLowerCase(), v);
      } else if (k === 'class') {
        const cls = Array.isArray(v) ? v.filter(Boolean).join(' ') : String(v);
        if (cls) el.setAttribute('class', cls);
      } else if (asProps && PROPS.has(k) && el.tagName !== 'PROGRESS') {
        el[k] = v;
      } else {
        el.setAttribute(k, v === true ? '' : String(v));
      }
    }
  }

  /** `h('a', {href: '/x', class: 'btn'}, 'text', child, [more])` — text is always a text node. */
  function h(tag, attrs, ...children) {
    const el = document.createElement(tag);
    appendAll(el, children);
    setAttrs(el, attrs, true);
    return el;
  }

  const SVG_NS = 'http://www.w3.org/2000/svg';

  function svg(tag, attrs, ...children) {
    const el = document.createElementNS(SVG_NS, tag);
    setAttrs(el, attrs, false);
    appendAll(el, children);
    return el;
  }

  const $ = (sel, root = document) => root.querySelector(sel);

  /** Replace an element's children (arrays flattened, null/false skipped — unlike replaceChildren). */
  function setChildren(el, ...children) {
    el.replaceChildren();
    appendAll(el, children);
    return el;
  }

  /** A class-name-safe token from a server word (status names etc.). */
  const token = (s) => String(s ?? '').toLowerCase().replace(/[^a-z0-9_-]/g, '-');

  // ===========================================================================
  // 2. Formatting
  // ===========================================================================

  function toDate(v) {
    if (v == null || v === '') return null;
    const d = v instanceof Date ? v : new Date(v);
    return Number.isNaN(d.getTime()) ? null : d;
  }

  /** `2026-11-22 10:01:02` (UTC). */
  function fmtUtc(v) {
    const d = toDate(v);
    return d ? d.toISOString().slice(0, 19).replace('T', ' ') : '—';
  }

  /** `3 min ago` / `in 25 s`. */
  function fmtRelative(v, now = Date.now()) {
    const d = toDate(v);
    if (!d) return '';
    const diff = (now - d.getTime()) / 1000;
    const a = Math.abs(diff);
    if (a < 5) return 'just now';
    let text;
    if (a < 60) text = `${Math.round(a)} s`;
    else if (a < 3600) text = `${Math.floor(a / 60)} min`;
    else if (a < 86400) text = `${Math.floor(a / 3600)} h`;
    else text = `${Math.floor(a / 86400)} d`;
    return diff >= 0 ? `${text} ago` : `in ${text}`;
  }

  /** An age in seconds: `2.1 s`, `12 s`, `3 min 4 s`, `2 h 5 min`, `3 d 4 h`. */
  function fmtAge(sec) {
    if (sec == null || Number.isNaN(Number(sec))) return '—';
    const s = Math.max(0, Number(sec));
    if (s < 10) return `${s.toFixed(1)} s`;
    if (s < 60) return `${Math.round(s)} s`;
    if (s < 3600) return `${Math.floor(s / 60)} min ${Math.floor(s % 60)} s`;
    if (s < 86400) return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
    return `${Math.floor(s / 86400)} d ${Math.floor((s % 86400) / 3600)} h`;
  }

  function fmtDuration(ms) {
    if (ms == null) return '—';
    return ms < 1000 ? `${Math.round(ms)} ms` : fmtAge(ms / 1000);
  }

  /** A time cell: UTC time with the full value as tooltip, and a relative hint kept fresh. */
  function timeEl(v, { rel = true } = {}) {
    const d = toDate(v);
    if (!d) return h('span', { class: 'muted' }, '—');
    const iso = d.toISOString();
    return h('span', { class: 'ts' },
      h('time', { datetime: iso, title: `${iso} (UTC)` }, fmtUtc(d)),
      rel ? [' ', h('span', { class: 'rel', 'data-at': iso }, fmtRelative(d))] : null);
  }

  function refreshRelativeTimes() {
    const now = Date.now();
    for (const el of document.querySelectorAll('.rel[data-at]')) el.textContent = fmtRelative(el.dataset.at, now);
  }

  // Run ids are UUIDv7: their first characters are a timestamp, their last ones tell runs apart.
  const shortId = (id) => (id ? String(id).slice(-8) : '—');

  function compactJson(v) {
    if (v === undefined || v === null) return 'null';
    try { return JSON.stringify(v); } catch { return String(v); }
  }

  function prettyJson(v) {
    if (typeof v === 'string') {
      try { return JSON.stringify(JSON.parse(v), null, 2); } catch { return v; }
    }
    try { return JSON.stringify(v, null, 2); } catch { return String(v); }
  }

  /** Compact JSON, cut to `max` characters with the whole value as tooltip. */
  function jsonEl(v, max = 140) {
    if (v == null) return h('span', { class: 'muted' }, '—');
    const full = compactJson(v);
    const text = full.length > max ? `${full.slice(0, max - 1)}…` : full;
    return h('code', { class: 'json', title: full.length > max ? full : null }, text);
  }

  const plural = (n, one, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

  /** `datetime-local` value (read as UTC) → RFC 3339 UTC, or '' when blank/invalid. */
  function localInputToRfc3339(value) {
    if (!value) return '';
    const withSeconds = value.length === 16 ? `${value}:00` : value;
    const d = toDate(`${withSeconds}Z`);
    return d ? d.toISOString().replace('.000Z', 'Z') : '';
  }

  /** RFC 3339 → `datetime-local` value in UTC. */
  function rfc3339ToLocalInput(value) {
    const d = toDate(value);
    if (!d) return '';
    const iso = d.toISOString();
    return iso.slice(17, 19) === '00' ? iso.slice(0, 16) : iso.slice(0, 19);
  }

  // ===========================================================================
  // 3. API
  // ===========================================================================

  /** The signed-in user, from GET /v1/admin/session. */
  const session = { user: '', role: '', canAct: false, canAdmin: false, csrfToken: '' };

  class ApiError extends Error {
    constructor(problem, status) {
      const p = problem && typeof problem === 'object' ? problem : {};
      super(p.title || `HTTP ${status}`);
      this.title = p.title || (status ? `HTTP ${status}` : 'Error');
      this.detail = p.detail || '';
      this.code = p.code || '';
      this.status = status;
    }
  }

  let leaving = false;

  function toLogin() {
    if (leaving) return;
    leaving = true;
    location.assign('/console/login');
  }

  /** `?a=1&b=2` from an object, leaving out blank values; '' when nothing is left. */
  function qs(params) {
    const u = new URLSearchParams();
    for (const [k, v] of Object.entries(params || {})) {
      if (v == null) continue;
      const s = String(v).trim();
      if (s !== '') u.set(k, s);
    }
    const s = u.toString();
    return s ? `?${s}` : '';
  }

  /**
   * fetch with the session cookie; POSTs send JSON and the CSRF header. Resolves to the parsed
   * JSON (or null), rejects with ApiError (problem+json title/detail). A 401 goes to sign-in.
   */
  async function api(path, { method = 'GET', body, signal } = {}) {
    const headers = { Accept: 'application/json, application/problem+json' };
    const init = { method, headers, signal, credentials: 'same-origin', cache: 'no-store' };
    if (method !== 'GET') {
      headers['Content-Type'] = 'application/json';
      if (session.csrfToken) headers['X-CSRF-Token'] = session.csrfToken;
      init.body = JSON.stringify(body ?? {});
    }
    let res;
    try {
      res = await fetch(path, init);
    } catch (e) {
      if (e && e.name === 'AbortError') throw e;
      throw new ApiError({ title: 'Network error', detail: `The server could not be reached (${e && e.message ? e.message : e}).` }, 0);
    }
    if (res.status === 401) {
      toLogin();
      throw new ApiError({ title: 'Signed out', detail: 'Your session has ended; opening the sign-in page…' }, 401);
    }
    const text = await res.text();
    let data = null;
    if (text) {
      try { data = JSON.parse(text); } catch { data = null; }
    }
    if (!res.ok) {
      throw new ApiError(data && typeof data === 'object' ? data : { title: `HTTP ${res.status}`, detail: text.slice(0, 300) }, res.status);
    }
    return data;
  }

  // ===========================================================================
  // 4. Shell: top bar, banner, live indicator, toasts
  // ===========================================================================

  const shell = {
    main: null,
    bannerSlot: null,
    live: null,
    whoami: null,
    nav: [],
    toasts: null,
  };

  const NAV = [
    { href: '/console', label: 'Overview', match: (p) => p === '/console' || p === '/console/' },
    { href: '/console/runs', label: 'Runs', match: (p) => p.startsWith('/console/runs') || p.startsWith('/console/bulk') },
    { href: '/console/schedules', label: 'Schedules', match: (p) => p.startsWith('/console/schedules') },
    { href: '/console/audit', label: 'Audit log', match: (p) => p.startsWith('/console/audit') },
  ];

  function buildShell(app) {
    shell.nav = NAV.map((n) => ({ ...n, el: h('a', { href: n.href, class: 'nav-link' }, n.label) }));
    shell.live = h('span', { class: 'live off', 'data-testid': 'live', title: 'Live updates (server-sent events)' }, 'offline');
    shell.whoami = h('span', { class: 'whoami', 'data-testid': 'whoami' }, '…');
    const signOut = h('button', { type: 'button', class: 'btn btn-quiet', onClick: signOutClicked }, 'Sign out');
    const bar = h('header', { class: 'topbar' },
      h('a', { href: '/console', class: 'brand' }, 'pmsflow console'),
      h('nav', { class: 'nav', 'aria-label': 'Main' }, shell.nav.map((n) => n.el)),
      h('div', { class: 'topbar-right' }, shell.live, shell.whoami, signOut));
    shell.bannerSlot = h('div', { class: 'banner-slot' });
    shell.main = h('main', { class: 'main', id: 'main' });
    shell.toasts = h('div', { class: 'toasts', role: 'status', 'aria-live': 'polite' });
    setChildren(app, bar, shell.bannerSlot, shell.main, shell.toasts);
  }

  function markNav() {
    const p = location.pathname;
    for (const n of shell.nav) {
      if (n.match(p)) n.el.setAttribute('aria-current', 'page');
      else n.el.removeAttribute('aria-current');
    }
  }

  async function signOutClicked() {
    try {
      await api('/console/logout', { method: 'POST' });
      toLogin();
    } catch (e) {
      if (e.status !== 401) toast(`Sign-out failed: ${e.title}${e.detail ? ` — ${e.detail}` : ''}`, 'error');
    }
  }

  function toast(message, kind = 'info') {
    const el = h('div', { class: ['toast', `toast-${kind}`] }, message);
    shell.toasts.append(el);
    setTimeout(() => el.remove(), kind === 'error' ? 9000 : 5000);
  }

  /** The red banner when no worker is alive; fed by every overview answer. */
  let healthAt = 0;

  function setHealth(overview) {
    if (!overview || typeof overview !== 'object') return;
    healthAt = Date.now();
    const dead = Number(overview.workersAlive) === 0;
    const existing = $('[data-testid="no-workers"]', shell.bannerSlot);
    if (!dead) {
      if (existing) existing.remove();
      return;
    }
    const n = Array.isArray(overview.workers) ? overview.workers.length : 0;
    const text = n
      ? `No worker is alive (${plural(n, 'worker')} known, none with a recent heartbeat): queued steps are not being run.`
      : 'No worker is alive: queued steps are not being run.';
    const banner = h('div', { class: 'banner banner-danger', role: 'alert', 'data-testid': 'no-workers' },
      h('strong', {}, 'Workers down. '), text);
    if (existing) existing.replaceWith(banner);
    else shell.bannerSlot.append(banner);
  }

  let liveOpen = false;

  function setLive(open) {
    liveOpen = open;
    shell.live.textContent = open ? 'live' : 'offline';
    shell.live.className = `live ${open ? 'on' : 'off'}`;
  }

  // ===========================================================================
  // 5. Loader: one per screen; schedules fetches and drops stale answers
  // ===========================================================================

  const DEBOUNCE_MS = 300;
  const MIN_INTERVAL_MS = 1000;

  class Loader {
    /**
     * @param fetcher (signal) => Promise<data>
     * @param opts {onData(data), onError(err), pollMs?: () => number | null, minInterval?: ms}
     */
    constructor(fetcher, { onData, onError, pollMs, minInterval = MIN_INTERVAL_MS } = {}) {
      this.minInterval = minInterval;
      this.fetcher = fetcher;
      this.onData = onData;
      this.onError = onError;
      this.pollMs = pollMs;
      this.last = 0;
      this.timer = null;
      this.due = 0;
      this.seq = 0;
      this.inflight = null;
      this.again = false;
      this.dead = false;
    }

    /** Fetch now, dropping any answer still on its way (filters changed, action done). */
    now() {
      if (this.dead) return;
      this.clearTimer();
      if (this.inflight) this.inflight.abort();
      this.inflight = null;
      this.again = false;
      this.start();
    }

    /** Fetch soon: debounced 300 ms, at most one fetch a second (live events). */
    soon() {
      if (this.dead) return;
      if (this.inflight) { this.again = true; return; }
      this.at(Math.max(Date.now() + DEBOUNCE_MS, this.last + this.minInterval));
    }

    at(when) {
      if (this.timer && this.due <= when) return;
      this.clearTimer();
      this.due = when;
      this.timer = setTimeout(() => { this.timer = null; this.start(); }, Math.max(0, when - Date.now()));
    }

    clearTimer() {
      if (this.timer) clearTimeout(this.timer);
      this.timer = null;
    }

    async start() {
      if (this.dead) return;
      const seq = ++this.seq;
      const ctl = new AbortController();
      this.inflight = ctl;
      this.last = Date.now();
      let ok = false;
      let data;
      let error;
      try {
        data = await this.fetcher(ctl.signal);
        ok = true;
      } catch (e) {
        error = e;
      }
      if (this.dead || seq !== this.seq) return; // superseded or screen left
      this.inflight = null;
      if (ok) {
        try { this.onData(data); } catch (e) { console.error(e); }
      } else if (!(error && error.name === 'AbortError') && !(error && error.status === 401)) {
        this.onError(error);
      }
      if (this.again) {
        this.again = false;
        this.soon();
      }
      const poll = this.pollMs ? this.pollMs() : null;
      if (poll) this.at(Date.now() + poll);
    }

    destroy() {
      this.dead = true;
      this.clearTimer();
      if (this.inflight) this.inflight.abort();
    }
  }

  /**
   * Wires a Loader to a screen's slots: a problem box replaces the content while there is no
   * data yet; after that, a failed refresh shows the problem above the (stale) content.
   */
  function loaderFor(slots, fetcher, render, pollMs) {
    let hasData = false;
    const loader = new Loader(fetcher, {
      pollMs,
      onData(data) {
        slots.error.replaceChildren();
        hasData = true;
        render(data);
      },
      onError(err) {
        slots.body.classList.remove('stale');
        if (hasData) {
          setChildren(slots.error, problemBox(err, 'Could not refresh'));
        } else {
          slots.error.replaceChildren();
          setChildren(slots.body, problemBox(err));
        }
      },
    });
    return loader;
  }

  /** Poll interval while the live stream is closed (screens that live-update). */
  const offlinePoll = () => (liveOpen ? null : 10000);

  // ===========================================================================
  // 6. Router
  // ===========================================================================

  const ROUTES = [
    { re: /^\/console\/?$/, screen: 'overview' },
    { re: /^\/console\/runs\/?$/, screen: 'runs' },
    { re: /^\/console\/runs\/([^/]+)\/?$/, screen: 'run' },
    { re: /^\/console\/bulk\/([^/]+)\/?$/, screen: 'bulk' },
    { re: /^\/console\/schedules\/?$/, screen: 'schedules' },
    { re: /^\/console\/audit\/?$/, screen: 'audit' },
  ];

  let current = null; // {key, update?, onRunEvent?, refresh?, destroy}

  function queryObject() {
    const out = {};
    for (const [k, v] of new URLSearchParams(location.search)) out[k] = v;
    return out;
  }

  function navigate(url, { replace = false } = {}) {
    const u = new URL(url, location.href);
    const same = u.pathname + u.search === location.pathname + location.search;
    if (replace || same) history.replaceState(null, '', u.pathname + u.search + u.hash);
    else history.pushState(null, '', u.pathname + u.search + u.hash);
    route();
  }

  function route() {
    closeDialog();
    markNav();
    const path = location.pathname;
    const query = queryObject();
    let match = null;
    let param = '';
    for (const r of ROUTES) {
      const m = path.match(r.re);
      if (m) {
        match = r.screen;
        try { param = m[1] ? decodeURIComponent(m[1]) : ''; } catch { param = m[1]; }
        break;
      }
    }
    const key = `${match || 'notfound'}:${param}`;
    if (current && current.key === key && current.update) {
      current.update(query);
      return;
    }
    if (current) current.destroy();
    shell.main.replaceChildren();
    window.scrollTo(0, 0);
    const make = SCREENS[match] || screenNotFound;
    current = make(shell.main, param, query);
    current.key = key;
  }

  function interceptLinks(e) {
    if (e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
    const a = e.target.closest && e.target.closest('a[href]');
    if (!a || (a.target && a.target !== '_self') || a.hasAttribute('download')) return;
    const u = new URL(a.href, location.href);
    if (u.origin !== location.origin) return;
    if (!(u.pathname === '/console' || u.pathname.startsWith('/console/'))) return;
    if (u.pathname.startsWith('/console/login') || u.pathname.startsWith('/console/assets/') || u.pathname.startsWith('/console/logout')) return;
    e.preventDefault();
    navigate(u.href);
  }

  function setTitle(t) {
    document.title = t ? `${t} · pmsflow console` : 'pmsflow console';
  }

  // ===========================================================================
  // 7. Shared view pieces
  // ===========================================================================

  function problemBox(err, prefix) {
    const e = err || {};
    const title = e.title || e.message || 'Error';
    return h('div', { class: 'problem', role: 'alert' },
      h('strong', {}, prefix ? `${prefix}: ${title}` : title),
      e.detail ? h('span', { class: 'problem-detail' }, ` — ${e.detail}`) : null,
      e.code ? h('code', { class: 'problem-code' }, e.code) : null);
  }

  const loadingBox = (what = 'Loading…') => h('div', { class: 'loading', 'aria-busy': 'true' }, what);

  function pill(status, attrs = {}) {
    const word = status == null || status === '' ? 'unknown' : String(status);
    return h('span', { ...attrs, class: ['pill', `pill-${token(word)}`, attrs.class] }, word);
  }

  function runLink(id, text) {
    if (!id) return h('span', { class: 'muted' }, '—');
    return h('a', { href: `/console/runs/${encodeURIComponent(id)}`, class: 'mono', title: String(id) }, text || shortId(id));
  }

  /** The standard screen frame: a section with head, error slot and body. */
  function frame(root, testid, title) {
    const head = h('div', { class: 'page-head' }, h('h1', {}, title));
    const error = h('div', { class: 'error-slot' });
    const body = h('div', { class: 'screen-body' }, loadingBox());
    const section = h('section', { class: 'screen', 'data-testid': testid }, head, error, body);
    root.append(section);
    setTitle(title);
    return { section, head, error, body };
  }

  function dl(pairs) {
    return h('dl', { class: 'kv' }, pairs.filter(Boolean).map(([k, v]) => [h('dt', {}, k), h('dd', {}, v)]));
  }

  /**
   * A filter form whose inputs are named after the query keys. `fields`:
   * {name, label, type: 'text'|'select'|'datetime', options?: [[value, label]], placeholder?}.
   * `onApply(params)` gets the non-blank values (datetimes as RFC 3339 UTC).
   */
  function filterForm(fields, onApply, { testid = 'filters', clearHref } = {}) {
    const inputs = {};
    const controls = fields.map((f) => {
      const id = `f-${f.name}`;
      let input;
      if (f.type === 'select') {
        input = h('select', { id, name: f.name }, h('option', { value: '' }, f.any || 'Any'),
          (f.options || []).map(([v, l]) => h('option', { value: v }, l)));
      } else if (f.type === 'datetime') {
        input = h('input', { id, name: f.name, type: 'datetime-local', step: 1 });
      } else {
        input = h('input', { id, name: f.name, type: 'text', placeholder: f.placeholder || '', autocomplete: 'off', spellcheck: 'false' });
      }
      inputs[f.name] = input;
      return h('div', { class: ['field', f.wide ? 'field-wide' : null] },
        h('label', { for: id }, f.label), input);
    });
    const apply = h('button', { type: 'submit', class: 'btn btn-primary', 'data-testid': 'apply-filters' }, 'Apply');
    const clear = h('a', { href: clearHref, class: 'btn' }, 'Clear');
    const form = h('form', { class: 'filters', 'data-testid': testid, role: 'search', onSubmit },
      controls, h('div', { class: 'field field-buttons' }, apply, clear));

    function onSubmit(e) {
      e.preventDefault();
      onApply(values());
    }

    function values() {
      const out = {};
      for (const f of fields) {
        const raw = inputs[f.name].value.trim();
        const v = f.type === 'datetime' ? localInputToRfc3339(raw) : raw;
        if (v) out[f.name] = v;
      }
      return out;
    }

    function fill(query) {
      for (const f of fields) {
        const v = query[f.name] || '';
        const input = inputs[f.name];
        if (f.type === 'select') {
          if (v && ![...input.options].some((o) => o.value === v)) input.append(h('option', { value: v }, v));
          input.value = v;
        } else if (f.type === 'datetime') {
          input.value = rfc3339ToLocalInput(v);
        } else {
          input.value = v;
        }
      }
    }

    /** Replace a select's options, keeping what is chosen. */
    function setOptions(name, options) {
      const input = inputs[name];
      const chosen = input.value;
      const f = fields.find((x) => x.name === name);
      const list = options.map((o) => (Array.isArray(o) ? o : [o, o]));
      if (chosen && !list.some(([v]) => v === chosen)) list.push([chosen, chosen]);
      setChildren(input, h('option', { value: '' }, (f && f.any) || 'Any'), list.map(([v, l]) => h('option', { value: v }, l)));
      input.value = chosen;
    }

    return { form, fill, setOptions, values };
  }

  /** "First page" / "Next page" links (keyset paging: no page numbers). */
  function pager(base, query, nextCursor, shown, noun) {
    const rest = { ...query };
    delete rest.cursor;
    const first = query.cursor
      ? h('a', { href: base + qs(rest), class: 'btn', 'data-testid': 'first-page' }, '« First page')
      : h('span', { class: 'btn disabled', 'aria-disabled': 'true' }, '« First page');
    const next = nextCursor
      ? h('a', { href: base + qs({ ...rest, cursor: nextCursor }), class: 'btn', 'data-testid': 'next-page' }, 'Next page »')
      : h('span', { class: 'muted' }, 'End of results');
    return h('div', { class: 'pager' },
      h('span', { class: 'muted' }, `${plural(shown, noun)} on this page${query.cursor ? '' : ' (newest first)'}`),
      h('span', { class: 'pager-links' }, first, next));
  }

  function changeEl(before, after) {
    if (before == null && after == null) return h('span', { class: 'muted' }, '—');
    return h('span', { class: 'change' }, jsonEl(before, 80), h('span', { class: 'arrow', 'aria-label': 'becomes' }, ' → '), jsonEl(after, 80));
  }

  /** Table of audit entries (run detail's action list and the audit log). */
  function auditTable(entries, { testid, rowTestid, showRun = true } = {}) {
    return h('table', { class: 'grid', 'data-testid': testid },
      h('thead', {}, h('tr', {},
        h('th', {}, 'When'), h('th', {}, 'Who'), h('th', {}, 'Action'),
        showRun ? h('th', {}, 'Run / subject') : null,
        h('th', {}, 'Reason'), h('th', {}, 'Before → after'))),
      h('tbody', {}, entries.length
        ? entries.map((e) => h('tr', { 'data-testid': rowTestid, 'data-audit-id': e.id },
          h('td', { class: 'nowrap' }, timeEl(e.at)),
          h('td', {}, e.actor),
          h('td', {}, h('span', { class: 'tag' }, e.action)),
          showRun ? h('td', { class: 'nowrap' },
            e.runId ? runLink(e.runId) : null,
            e.subject ? h('span', { class: e.runId ? 'muted subject' : 'subject' }, e.runId ? ` ${e.subject}` : e.subject) : null,
            !e.runId && !e.subject ? h('span', { class: 'muted' }, '—') : null,
            e.bulkId && e.bulkId !== e.runId ? h('a', { href: `/console/bulk/${encodeURIComponent(e.bulkId)}`, class: 'small' }, ' (bulk)') : null) : null,
          h('td', { class: 'reason' }, e.reason),
          h('td', {}, changeEl(e.before, e.after))))
        : h('tr', { class: 'empty' }, h('td', { colspan: showRun ? 6 : 5 }, 'No entry.'))));
  }

  // ===========================================================================
  // 8. Screens
  // ===========================================================================

  const RUN_STATUSES = ['running', 'completed', 'failed', 'cancelled'];
  const AUDIT_ACTIONS = ['retry', 'retry-now', 'skip', 'cancel', 'republish', 'bulk', 'pause', 'resume', 'trigger'];

  // --- 8.1 Overview ---------------------------------------------------------

  function screenOverview(root, _param, query) {
    const f = frame(root, 'overview', 'Overview');
    let win = query.window === '1h' ? '1h' : '24h';
    const loader = loaderFor(f, (signal) => api(`/v1/admin/overview${qs({ window: win })}`, { signal }), render,
      () => 10000);
    loader.now();

    function render(d) {
      setHealth(d);
      setChildren(f.body,
        h('div', { class: 'ov-grid' },
          card('Runs by kind and status', kindStatusTable(d.byKindStatus || [])),
          card('Throughput', throughputBlock(d, win), { extra: windowToggle(win) })),
        h('div', { class: 'ov-cards' },
          card('Oldest ready step', oldestReady(d.oldestReadyStep)),
          card('Outbox lag', outboxLag(d.outbox)),
          card('Workers', workersTable(d.workers || [], d.workersAlive), { cls: 'card-workers' })));
    }

    return {
      update(q) {
        const w = q.window === '1h' ? '1h' : '24h';
        if (w !== win) { win = w; loader.now(); }
      },
      onRunEvent() { loader.soon(); },
      refresh() { loader.soon(); },
      destroy() { loader.destroy(); },
    };
  }

  function card(title, content, { extra, cls } = {}) {
    return h('div', { class: ['card', cls] },
      h('div', { class: 'card-head' }, h('h2', {}, title), extra || null),
      content);
  }

  function windowToggle(win) {
    return h('div', { class: 'seg', role: 'group', 'aria-label': 'Window' },
      ['1h', '24h'].map((w) => h('a', {
        href: w === '24h' ? '/console' : '/console?window=1h',
        class: ['seg-item', w === win ? 'active' : null],
        'aria-current': w === win ? 'true' : null,
      }, w)));
  }

  function kindStatusTable(rows) {
    if (!rows.length) return h('p', { class: 'muted' }, 'No run yet.');
    const kinds = [...new Set(rows.map((r) => r.kind))].sort();
    const extra = [...new Set(rows.map((r) => r.status))].filter((s) => !RUN_STATUSES.includes(s)).sort();
    const statuses = [...RUN_STATUSES, ...extra];
    const count = new Map(rows.map((r) => [`${r.kind}\u0000${r.status}`, Number(r.count) || 0]));
    const colTotal = Object.fromEntries(statuses.map((s) => [s, 0]));
    return h('table', { class: 'grid matrix', 'data-testid': 'kind-status' },
      h('thead', {}, h('tr', {}, h('th', {}, 'Kind'),
        statuses.map((s) => h('th', { class: 'num' }, pill(s))), h('th', { class: 'num' }, 'Total'))),
      h('tbody', {}, kinds.map((k) => {
        let total = 0;
        const cells = statuses.map((s) => {
          const n = count.get(`${k}\u0000${s}`) || 0;
          total += n;
          colTotal[s] += n;
          return h('td', { class: 'num' }, h('a', {
            href: `/console/runs${qs({ kind: k, status: s })}`,
            class: ['count', n === 0 ? 'zero' : null, n > 0 && s === 'failed' ? 'count-failed' : null],
            title: `${plural(n, 'run')} ${k} ${s}`,
          }, String(n)));
        });
        return h('tr', {}, h('th', { scope: 'row' }, h('a', { href: `/console/runs${qs({ kind: k })}` }, k)), cells,
          h('td', { class: 'num strong' }, String(total)));
      })),
      h('tfoot', {}, h('tr', {}, h('th', { scope: 'row' }, 'All kinds'),
        statuses.map((s) => h('td', { class: 'num' }, h('a', { href: `/console/runs${qs({ status: s })}`, class: ['count', colTotal[s] === 0 ? 'zero' : null] }, String(colTotal[s])))),
        h('td', { class: 'num strong' }, String(Object.values(colTotal).reduce((a, b) => a + b, 0))))));
  }

  function throughputBlock(d, win) {
    const buckets = Array.isArray(d.throughput) ? d.throughput : [];
    const completed = buckets.reduce((a, b) => a + (Number(b.completed) || 0), 0);
    const failed = buckets.reduce((a, b) => a + (Number(b.failed) || 0), 0);
    const span = win === '1h' ? 'hour' : '24 hours';
    let words;
    if (completed + failed === 0) {
      words = `No run finished in the last ${span}.`;
    } else {
      const r = typeof d.failureRate === 'number' ? d.failureRate : failed / (completed + failed);
      const pct = (r * 100).toFixed(r > 0 && r < 0.001 ? 2 : 1);
      const level = r === 0 ? 'no failures' : r < 0.05 ? 'low' : r < 0.2 ? 'elevated' : 'high';
      words = `Failure rate ${pct} % (${level}): ${failed} of ${completed + failed} finished runs failed in the last ${span}.`;
    }
    const rate = typeof d.failureRate === 'number' ? d.failureRate : 0;
    return h('div', {},
      throughputChart(buckets, Number(d.bucketSeconds) || (win === '1h' ? 60 : 3600)),
      h('p', { class: ['rate', rate >= 0.2 ? 'rate-high' : rate >= 0.05 ? 'rate-mid' : null], 'data-testid': 'failure-rate' }, words));
  }

  function oldestReady(s) {
    if (!s) return h('div', {}, h('div', { class: 'big muted' }, 'none'), h('p', { class: 'muted' }, 'No step is waiting for a worker.'));
    const age = Number(s.ageSeconds);
    return h('div', {},
      h('div', { class: ['big', age >= 300 ? 'bad' : age >= 60 ? 'warn' : null] }, fmtAge(age)),
      h('p', { class: 'small' }, h('code', {}, s.stepKey)),
      h('p', { class: 'small' }, 'Run ', runLink(s.runId), ' · ready since ', timeEl(s.readySince)));
  }

  function outboxLag(o) {
    const rows = o ? Number(o.rows) || 0 : 0;
    return h('div', {},
      h('div', { class: ['big', rows > 100 ? 'warn' : null] }, String(rows), h('span', { class: 'unit' }, rows === 1 ? ' row' : ' rows')),
      h('p', { class: 'small muted' }, rows === 0 || !o || o.oldestAgeSeconds == null
        ? 'Outbox is empty.'
        : `Oldest waiting ${fmtAge(o.oldestAgeSeconds)}.`));
  }

  function workersTable(workers, alive) {
    const n = Number(alive) || 0;
    return h('div', {},
      h('p', { class: 'small muted' }, `${n} of ${plural(workers.length, 'worker')} alive`),
      workers.length ? h('table', { class: 'grid compact', 'data-testid': 'workers' },
        h('thead', {}, h('tr', {}, h('th', {}, 'Name'), h('th', {}, 'Last heartbeat'), h('th', { class: 'num' }, 'Age'),
          h('th', {}, 'Alive'))),
        h('tbody', {}, workers.map((w) => h('tr', {},
          h('td', { class: 'mono' }, w.name),
          h('td', {}, timeEl(w.lastHeartbeat, { rel: false })),
          h('td', { class: 'num' }, fmtAge(w.ageSeconds)),
          h('td', {}, w.alive ? pill('alive', { class: 'pill-ok' }) : pill('down', { class: 'pill-bad' }))))))
        : h('p', { class: 'muted' }, 'No worker has ever reported.'));
  }

  // --- 8.2 Runs -------------------------------------------------------------

  const RUN_FILTERS = [
    { name: 'kind', label: 'Kind', type: 'select', any: 'Any kind', options: [] },
    { name: 'status', label: 'Status', type: 'select', any: 'Any status', options: RUN_STATUSES.map((s) => [s, s]) },
    { name: 'partnerId', label: 'Partner id', placeholder: 'e.g. movp' },
    { name: 'partnerType', label: 'Partner type', placeholder: 'e.g. Auth_Partner' },
    { name: 'step', label: 'Current step', placeholder: 'step key' },
    { name: 'errorCode', label: 'Error code', placeholder: 'e.g. KER-ATH-401' },
    { name: 'from', label: 'Created from (UTC)', type: 'datetime' },
    { name: 'to', label: 'Created before (UTC)', type: 'datetime' },
    { name: 'q', label: 'Search', placeholder: 'run id prefix, partner, idempotency key', wide: true },
  ];
  const RUN_QUERY_KEYS = ['kind', 'status', 'partnerId', 'partnerType', 'step', 'errorCode', 'from', 'to', 'q'];

  function screenRuns(root, _param, query0) {
    let query = query0;
    const f = frame(root, 'runs', 'Runs');
    const selected = new Set();
    let lastRuns = [];
    const filters = filterForm(RUN_FILTERS, (params) => {
      // New filters: back to the first page (no cursor); a page size in the URL is kept.
      navigate(`/console/runs${qs({ ...params, limit: query.limit })}`);
    }, { clearHref: '/console/runs' });
    filters.fill(query);
    const bulk = session.canAct ? bulkBar(() => query, () => [...selected]) : null;
    f.section.insertBefore(filters.form, f.error);
    if (bulk) f.section.insertBefore(bulk.el, f.error);

    const apiQuery = () => {
      const p = {};
      for (const k of [...RUN_QUERY_KEYS, 'cursor', 'limit']) if (query[k]) p[k] = query[k];
      return p;
    };
    const loader = loaderFor(f, (signal) => api(`/v1/admin/runs${qs(apiQuery())}`, { signal }), render, offlinePoll);
    loader.now();

    function render(d) {
      const runs = Array.isArray(d.runs) ? d.runs : [];
      lastRuns = runs;
      if (Array.isArray(d.kinds)) filters.setOptions('kind', d.kinds);
      // Keep only the selected runs still shown.
      const shown = new Set(runs.map((r) => r.id));
      let pruned = false;
      for (const id of [...selected]) if (!shown.has(id)) { selected.delete(id); pruned = true; }
      if (bulk && pruned) bulk.selectionChanged(selected.size);
      f.body.classList.remove('stale');
      setChildren(f.body, runsTable(runs), pager('/console/runs', query, d.nextCursor, runs.length, 'run'));
    }

    function runsTable(runs) {
      const all = session.canAct ? h('input', {
        type: 'checkbox', 'aria-label': 'Select every run on this page',
        checked: runs.length > 0 && runs.every((r) => selected.has(r.id)),
        onChange: (e) => {
          for (const r of lastRuns) { if (e.target.checked) selected.add(r.id); else selected.delete(r.id); }
          for (const cb of f.body.querySelectorAll('input[data-select]')) cb.checked = e.target.checked;
          if (bulk) bulk.selectionChanged(selected.size);
        },
      }) : null;
      return h('div', { class: 'table-wrap' }, h('table', { class: 'grid runs', 'data-testid': 'runs-table' },
        h('thead', {}, h('tr', {},
          session.canAct ? h('th', { class: 'check' }, all) : null,
          h('th', {}, 'Run'), h('th', {}, 'Kind'), h('th', {}, 'Partner'), h('th', {}, 'Status'),
          h('th', {}, 'Current step'), h('th', {}, 'Error'), h('th', {}, 'Created'), h('th', {}, 'Updated'))),
        h('tbody', {}, runs.length ? runs.map(runRow) : h('tr', { class: 'empty' },
          h('td', { colspan: session.canAct ? 9 : 8 }, 'No run matches these filters.')))));
    }

    function runRow(r) {
      return h('tr', { 'data-testid': 'run-row', 'data-run-id': r.id, class: `row-${token(r.status)}` },
        session.canAct ? h('td', { class: 'check' }, h('input', {
          type: 'checkbox', 'data-select': '', 'aria-label': `Select run ${shortId(r.id)}`,
          checked: selected.has(r.id),
          onChange: (e) => {
            if (e.target.checked) selected.add(r.id); else selected.delete(r.id);
            if (bulk) bulk.selectionChanged(selected.size);
          },
        })) : null,
        h('td', {}, runLink(r.id)),
        h('td', {}, r.kind),
        h('td', {}, r.subject ? h('span', { class: 'mono' }, r.subject) : h('span', { class: 'muted' }, '—'),
          r.partnerType ? h('div', { class: 'sub' }, r.partnerType) : null),
        h('td', {}, pill(r.status)),
        h('td', {}, r.currentStep ? h('code', { class: 'step-key' }, r.currentStep) : h('span', { class: 'muted' }, '—')),
        h('td', { title: r.errorMessage || null }, r.errorCode ? h('code', { class: 'err' }, r.errorCode) : null,
          r.errorMessage ? h('div', { class: 'sub clip' }, r.errorMessage) : (r.errorCode ? null : h('span', { class: 'muted' }, '—'))),
        h('td', { class: 'nowrap' }, timeEl(r.createdAt)),
        h('td', { class: 'nowrap' }, timeEl(r.updatedAt)));
    }

    return {
      update(q) {
        query = q;
        filters.fill(q);
        selected.clear();
        if (bulk) { bulk.selectionChanged(0); bulk.reset(); }
        f.body.classList.add('stale');
        loader.now();
      },
      onRunEvent() { loader.soon(); },
      refresh() { loader.soon(); },
      destroy() { loader.destroy(); },
    };
  }

  /** The bulk bar of the runs screen (operators and admins only). */
  function bulkBar(getQuery, getSelected) {
    const action = h('select', { id: 'bulk-action', name: 'action', onChange: reset },
      h('option', { value: 'retry' }, 'Retry (failed runs)'),
      h('option', { value: 'cancel' }, 'Cancel (running or failed runs)'));
    const selLabel = h('span', {}, 'Selected runs (0)');
    const scopeSelected = h('input', { type: 'radio', name: 'scope', value: 'selected', id: 'scope-selected', checked: true, onChange: reset });
    const scopeFilter = h('input', { type: 'radio', name: 'scope', value: 'filter', id: 'scope-filter', onChange: reset });
    const reason = h('input', {
      id: 'bulk-reason', name: 'reason', type: 'text', 'data-testid': 'bulk-reason', maxlength: 1000,
      placeholder: 'Why? (written to the audit log)', autocomplete: 'off', onInput: reset,
    });
    const preview = h('button', { type: 'button', class: 'btn', 'data-testid': 'bulk-preview', onClick: doPreview }, 'Preview');
    const result = h('div', { class: 'bulk-result', 'aria-live': 'polite' });
    const el = h('div', { class: 'bulkbar', 'data-testid': 'bulk-bar', role: 'group', 'aria-label': 'Bulk action' },
      h('div', { class: 'field' }, h('label', { for: 'bulk-action' }, 'Bulk action'), action),
      h('fieldset', { class: 'field scope' }, h('legend', {}, 'Runs'),
        h('label', { for: 'scope-selected', class: 'radio' }, scopeSelected, selLabel),
        h('label', { for: 'scope-filter', class: 'radio' }, scopeFilter, h('span', {}, 'Everything matching the filter'))),
      h('div', { class: 'field field-grow' }, h('label', { for: 'bulk-reason' }, 'Reason'), reason),
      h('div', { class: 'field field-buttons' }, preview),
      result);
    let previewed = null;
    let busy = false;

    function body(dryRun) {
      const b = { action: action.value, reason: reason.value.trim(), dryRun };
      if (scopeFilter.checked) {
        const q = getQuery();
        const filter = {};
        for (const k of RUN_QUERY_KEYS) if (q[k]) filter[k] = q[k];
        b.filter = filter;
      } else {
        b.runIds = getSelected();
      }
      return b;
    }

    function reset() {
      previewed = null;
      if (!busy) result.replaceChildren();
    }

    async function doPreview() {
      if (busy) return;
      const b = body(true);
      if (!b.reason) { setChildren(result, problemBox({ title: 'A reason is needed', detail: 'Say why; it is written to the audit log for every run.' })); reason.focus(); return; }
      if (b.runIds && b.runIds.length === 0) { setChildren(result, problemBox({ title: 'No run selected', detail: 'Tick runs in the table, or choose “Everything matching the filter”.' })); return; }
      busy = true;
      preview.disabled = true;
      setChildren(result, h('span', { class: 'muted' }, 'Counting…'));
      try {
        const d = await api('/v1/admin/bulk', { method: 'POST', body: b });
        const n = Number(d && d.matched) || 0;
        const verb = b.action === 'cancel' ? 'cancelled' : 'retried';
        // The confirmation acts on what was counted: nothing created after the preview, and
        // nothing at all (409) if the count changed meanwhile.
        previewed = { ...b, dryRun: false, expected: n };
        if (d && d.asOf) previewed.asOf = d.asOf;
        const parts = [h('span', { class: 'bulk-count', 'data-testid': 'bulk-count' }, `${plural(n, 'run')} will be ${verb}`)];
        if (n > 0) {
          parts.push(h('button', { type: 'button', class: 'btn btn-primary', 'data-testid': 'bulk-confirm', onClick: doConfirm }, 'Confirm'));
        }
        if (b.filter && Object.keys(b.filter).length === 0) parts.push(h('span', { class: 'warn small' }, 'No filter is set: this is every run.'));
        setChildren(result, ...parts);
      } catch (e) {
        setChildren(result, problemBox(e));
      } finally {
        busy = false;
        preview.disabled = false;
      }
    }

    async function doConfirm(e) {
      if (busy || !previewed) return;
      busy = true;
      const btn = e.currentTarget;
      btn.disabled = true;
      preview.disabled = true;
      try {
        const d = await api('/v1/admin/bulk', { method: 'POST', body: previewed });
        if (d && d.bulkId) navigate(`/console/bulk/${encodeURIComponent(d.bulkId)}`);
        else setChildren(result, problemBox({ title: 'Unexpected answer', detail: 'The server did not return a bulk id.' }));
      } catch (err) {
        setChildren(result, problemBox(err));
      } finally {
        busy = false;
        btn.disabled = false;
        preview.disabled = false;
      }
    }

    return {
      el,
      reset,
      selectionChanged(n) {
        selLabel.textContent = `Selected runs (${n})`;
        if (scopeSelected.checked) reset();
      },
    };
  }

  // --- 8.3 Run detail -------------------------------------------------------

  function screenRun(root, runId) {
    const f = frame(root, 'run-detail', `Run ${shortId(runId)}`);
    f.head.remove();
    const flash = h('div', { class: 'flash-slot' });
    f.section.insertBefore(flash, f.error);
    const openState = new Map(); // details key → open
    let run = null;
    const loader = loaderFor(f, (signal) => api(`/v1/admin/runs/${encodeURIComponent(runId)}`, { signal }), render,
      () => (run && !TERMINAL.has(run.status) ? 5000 : offlinePoll()));
    loader.now();

    /** A <details> whose open state survives refetches. */
    function details(key, defaultOpen, summary, ...content) {
      const el = h('details', { open: openState.has(key) ? openState.get(key) : defaultOpen }, h('summary', {}, summary), ...content);
      el.addEventListener('toggle', () => openState.set(key, el.open));
      return el;
    }

    function act(opts) {
      openActionDialog({
        ...opts,
        onDone(res) {
          toast(`${opts.title}: done.`, 'ok');
          if (opts.after) opts.after(res);
          loader.now();
        },
      });
    }

    function render(d) {
      run = d;
      setTitle(`${d.kind || 'Run'} ${shortId(d.id)}`);
      const steps = Array.isArray(d.steps) ? d.steps : [];
      const failedStep = steps.find((s) => s.status === 'failed');
      setChildren(f.body,
        h('div', { class: 'page-head run-head' },
          h('a', { href: '/console/runs', class: 'back' }, '← Runs'),
          h('h1', {}, h('span', {}, d.kind || 'run'), ' ', h('span', { class: 'mono id', title: d.id }, shortId(d.id))),
          pill(d.status, { 'data-testid': 'run-status', class: 'pill-lg' }),
          session.canAct ? runActions(d, failedStep) : null),
        h('div', { class: 'run-meta' }, dl([
          ['Run id', h('span', { class: 'mono' }, d.id)],
          ['Subject', d.subject ? h('span', { class: 'mono' }, d.subject) : h('span', { class: 'muted' }, '—')],
          ['Created by', d.createdBy || '—'],
          ['Created', timeEl(d.createdAt)],
          d.updatedAt ? ['Updated', timeEl(d.updatedAt)] : null,
          ['Finished', timeEl(d.finishedAt)],
        ])),
        d.errorCode || d.errorMessage ? h('div', { class: 'callout callout-danger' },
          d.errorCode ? h('code', { class: 'err' }, d.errorCode) : null,
          d.errorMessage ? h('span', {}, ` ${d.errorMessage}`) : null) : null,
        d.waitingFor ? h('div', { class: 'callout callout-wait', 'data-testid': 'waiting-for' },
          h('span', {}, 'Waiting: the runs of '), h('code', {}, d.waitingFor.orderingKey),
          h('span', {}, ' publish one at a time, in order. '),
          d.waitingFor.runId
            ? h('span', {}, 'It starts when run ', runLink(d.waitingFor.runId), ' has ended.')
            : h('span', {}, 'Nothing is ahead of it: the reconciler starts it shortly.')) : null,
        h('div', { class: 'run-layout' },
          h('div', { class: 'run-main' },
            h('h2', {}, `Steps (${steps.length})`),
            h('ol', { class: 'timeline' }, steps.map((s) => stepItem(d, s))),
            details('input', false, 'Run input', h('pre', { class: 'code' }, prettyJson(d.input ?? null))),
            h('h2', {}, 'Operator actions'),
            h('div', { 'data-testid': 'run-actions', class: 'run-actions' },
              Array.isArray(d.actions) && d.actions.length
                ? auditTable(d.actions, { rowTestid: 'run-action', showRun: false })
                : h('p', { class: 'muted' }, 'No operator action on this run.'))),
          h('aside', { class: 'run-side' }, partnerCard(d))));
    }

    function runActions(d, failedStep) {
      const allowed = d.allowed || {};
      const buttons = [];
      if (allowed.retry) {
        buttons.push(h('button', {
          type: 'button', class: 'btn btn-primary', 'data-testid': 'action-retry',
          onClick: () => act({
            title: 'Retry from failed step',
            description: `Run ${shortId(d.id)} restarts at ${failedStep ? `step ${failedStep.key}` : 'its failed step'} with a fresh attempt budget.`,
            path: `/v1/admin/runs/${encodeURIComponent(d.id)}/retry`,
          }),
        }, 'Retry from failed step'));
      }
      if (allowed.cancel) {
        buttons.push(h('button', {
          type: 'button', class: 'btn btn-danger', 'data-testid': 'action-cancel',
          onClick: () => act({
            title: 'Cancel run',
            description: `Run ${shortId(d.id)} is cancelled; its remaining steps will not run.`,
            path: `/v1/admin/runs/${encodeURIComponent(d.id)}/cancel`,
            danger: true,
          }),
        }, 'Cancel run'));
      }
      if (d.partner && d.partner.partnerId) {
        const pid = d.partner.partnerId;
        buttons.push(h('button', {
          type: 'button', class: 'btn', 'data-testid': 'action-republish',
          onClick: () => act({
            title: 'Re-publish partner events',
            description: `A new run re-publishes the events of partner ${pid}.`,
            path: `/v1/admin/partners/${encodeURIComponent(pid)}/republish`,
            after: (res) => {
              if (res && res.runId) {
                setChildren(flash, h('div', { class: 'callout callout-ok' },
                  'Re-publish started: run ', runLink(res.runId), '.',
                  h('button', { type: 'button', class: 'btn btn-quiet small', onClick: () => flash.replaceChildren() }, 'Dismiss')));
              }
            },
          }),
        }, 'Re-publish partner events'));
      }
      return buttons.length ? h('div', { class: 'actions' }, buttons) : null;
    }

    function stepItem(d, s) {
      const attempts = Array.isArray(s.attempts) ? s.attempts : [];
      const runOpen = d.status !== 'completed' && d.status !== 'cancelled';
      const canRetryNow = s.status === 'queued' && Number(s.attempt) > 0;
      const canSkip = ['failed', 'queued', 'pending'].includes(s.status) && runOpen;
      const meta = [
        h('span', {}, `attempt ${s.attempt ?? 0} of ${s.maxAttempts ?? '?'}`),
        s.status === 'queued' && s.nextAttemptAt ? h('span', {}, 'next retry ', timeEl(s.nextAttemptAt)) : null,
        s.durationMs != null ? h('span', {}, `took ${fmtDuration(s.durationMs)}`) : null,
        s.startedAt ? h('span', {}, 'started ', timeEl(s.startedAt)) : null,
        s.required === false ? h('span', { class: 'tag' }, 'optional') : null,
      ].filter(Boolean);
      const stepButtons = [];
      if (session.canAct && canRetryNow) {
        stepButtons.push(h('button', {
          type: 'button', class: 'btn btn-small', 'data-testid': 'step-retry-now',
          onClick: () => act({
            title: 'Retry step now',
            description: `Step ${s.key} runs now instead of waiting for its next retry time.`,
            path: `/v1/admin/runs/${encodeURIComponent(d.id)}/steps/${encodeURIComponent(s.id)}/retry-now`,
          }),
        }, 'Retry now'));
      }
      if (session.canAct && canSkip) {
        stepButtons.push(h('button', {
          type: 'button', class: 'btn btn-small', 'data-testid': 'step-skip',
          onClick: () => act({
            title: 'Skip step',
            description: `Step ${s.key} is marked skipped and the run goes on with the next step.`,
            path: `/v1/admin/runs/${encodeURIComponent(d.id)}/steps/${encodeURIComponent(s.id)}/skip`,
            danger: true,
          }),
        }, 'Skip'));
      }
      const hasDetails = attempts.length || s.output != null || s.lastError != null;
      return h('li', { class: ['step', `step-${token(s.status)}`], 'data-testid': 'step', 'data-step-key': s.key, 'data-step-id': s.id },
        h('span', { class: 'step-dot', 'aria-hidden': 'true' }, String(s.seq ?? '')),
        h('div', { class: 'step-body' },
          h('div', { class: 'step-head' },
            h('span', { class: 'seq' }, `#${s.seq ?? '?'}`),
            h('code', { class: 'step-key' }, s.key),
            pill(s.status, { 'data-testid': 'step-status' }),
            stepButtons.length ? h('span', { class: 'step-actions' }, stepButtons) : null),
          h('div', { class: 'step-meta' }, meta),
          s.lastError && s.status !== 'succeeded' ? h('div', { class: 'step-error' }, errorSummary(s.lastError)) : null,
          hasDetails ? details(`step:${s.id}`, false, `Details — ${plural(attempts.length, 'attempt')}${s.output != null ? ', output' : ''}`,
            attempts.length ? h('ol', { class: 'attempts' }, attempts.map(attemptItem)) : null,
            !attempts.length && s.lastError ? h('div', {}, h('h4', {}, 'Last error'), errorDetails(s.lastError)) : null,
            s.output != null ? h('div', {}, h('h4', {}, 'Output'), h('pre', { class: 'code' }, prettyJson(s.output))) : null) : null));
    }

    function attemptItem(a) {
      return h('li', { class: 'attempt' },
        h('div', { class: 'attempt-head' },
          h('strong', {}, `Attempt ${a.attempt}`), ' ', pill(a.outcome),
          a.worker ? h('span', { class: 'muted' }, ` on ${a.worker}`) : null,
          a.startedAt ? h('span', { class: 'muted' }, ' · ', timeEl(a.startedAt, { rel: false })) : null,
          a.durationMs != null ? h('span', { class: 'muted' }, ` · ${fmtDuration(a.durationMs)}`) : null),
        a.error ? errorDetails(a.error) : null);
    }

    return {
      update() { loader.now(); },
      onRunEvent(ev) { if (ev && ev.runId === runId) loader.soon(); },
      refresh() { loader.soon(); },
      destroy() { loader.destroy(); },
    };
  }

  const TERMINAL = new Set(['completed', 'failed', 'cancelled']);

  /** HTTP status of a step failure (`http_status`, as the engine stores it). */
  const httpStatusOf = (err) => err.http_status ?? err.httpStatus ?? null;

  function errorSummary(err) {
    if (err == null) return null;
    if (typeof err !== 'object') return h('span', {}, String(err));
    return h('span', {},
      err.code ? h('code', { class: 'err' }, err.code) : null,
      httpStatusOf(err) != null ? h('span', { class: 'tag' }, `HTTP ${httpStatusOf(err)}`) : null,
      err.class ? h('span', { class: 'tag' }, err.class) : null,
      err.message ? h('span', {}, ` ${err.message}`) : null);
  }

  function errorDetails(err) {
    if (err == null) return null;
    if (typeof err !== 'object') return h('pre', { class: 'code' }, String(err));
    const known = ['class', 'code', 'message', 'httpStatus', 'http_status', 'response'];
    const extra = Object.fromEntries(Object.entries(err).filter(([k]) => !known.includes(k)));
    return h('div', { class: 'error-details' },
      dl([
        err.code ? ['Code', h('code', { class: 'err' }, err.code)] : null,
        err.message ? ['Message', err.message] : null,
        httpStatusOf(err) != null ? ['HTTP status', String(httpStatusOf(err))] : null,
        err.class ? ['Class', err.class] : null,
        Object.keys(extra).length ? ['Other', jsonEl(extra, 200)] : null,
      ]),
      err.response != null && err.response !== '' ? h('div', {}, h('div', { class: 'small muted' }, 'Callee response'),
        h('pre', { class: 'code' }, prettyJson(err.response))) : null);
  }

  function partnerCard(d) {
    const p = d.partner;
    const pid = p ? p.partnerId : d.subject;
    const others = Array.isArray(d.otherRuns) ? d.otherRuns : [];
    return h('div', { class: 'card', 'data-testid': 'partner' },
      h('div', { class: 'card-head' }, h('h2', {}, 'Partner')),
      p ? dl([
        ['Partner id', h('span', { class: 'mono' }, p.partnerId)],
        ['Type', p.partnerType || '—'],
        ['Organization', p.organizationName || '—'],
        ['Status', p.status ? pill(p.status, { class: p.status === 'Active' ? 'pill-ok' : 'pill-bad' }) : '—'],
        p.approvalStatus ? ['Approval', p.approvalStatus] : null,
      ]) : h('p', { class: 'muted' }, d.subject ? `No partner record for ${d.subject}.` : 'This run concerns no partner.'),
      pid ? h('p', {}, h('a', { href: `/console/runs${qs({ partnerId: pid })}`, 'data-testid': 'partner-runs' }, 'other runs of this partner')) : null,
      others.length ? h('div', {},
        h('h3', {}, `Other runs (${others.length})`),
        h('ul', { class: 'other-runs', 'data-testid': 'other-runs' }, others.map((r) => h('li', {},
          runLink(r.id), ' ', h('span', { class: 'small' }, r.kind), ' ', pill(r.status), ' ',
          h('span', { class: 'small muted' }, fmtRelative(r.createdAt)))))) : (pid ? h('p', { class: 'small muted' }, 'No other run of this partner.') : null));
  }

  // --- 8.4 Bulk action progress ---------------------------------------------

  function screenBulk(root, bulkId) {
    const f = frame(root, 'bulk', 'Bulk action');
    let status = null;
    let gone = false; // 404: no such bulk action, stop polling
    const fetchBulk = (signal) => api(`/v1/admin/bulk/${encodeURIComponent(bulkId)}`, { signal })
      .catch((e) => { if (e && e.status === 404) gone = true; throw e; });
    // Poll every 2 s while it runs (in addition to live events).
    const loader = loaderFor(f, fetchBulk, render, () => (!gone && !TERMINAL.has(status) ? 2000 : null));
    loader.now();

    function render(b) {
      status = b.status;
      const total = Number(b.total) || 0;
      const done = Number(b.done) || 0;
      const pct = total ? Math.round((done / total) * 100) : (TERMINAL.has(b.status) ? 100 : 0);
      setChildren(f.head,
        h('a', { href: '/console/runs', class: 'back' }, '← Runs'),
        h('h1', {}, `Bulk ${b.action || 'action'}`, ' ', h('span', { class: 'mono id', title: b.id }, shortId(b.id))),
        pill(b.status, { 'data-testid': 'bulk-status', class: 'pill-lg' }));
      setChildren(f.body,
        h('div', { class: 'card bulk-card' },
          h('label', { for: 'bulk-progress', class: 'sr-only' }, 'Progress'),
          h('progress', { id: 'bulk-progress', 'data-testid': 'bulk-progress', max: Math.max(total, 1), value: total ? done : (TERMINAL.has(b.status) ? 1 : 0), class: `progress-${token(b.status)}` }),
          h('div', { class: 'bulk-numbers' },
            h('span', { class: 'big', 'data-testid': 'bulk-done' }, `${done} / ${total}`),
            h('span', { class: 'muted' }, ` ${pct} %`),
            h('span', { class: 'bulk-applied', 'data-testid': 'bulk-result' }, `${Number(b.applied) || 0} applied, ${Number(b.skipped) || 0} skipped`))),
        dl([
          ['Action', b.action],
          ['Reason', b.reason],
          ['Actor', b.actor],
          ['Runs chosen by', b.filter ? jsonEl(b.filter, 200) : 'explicit selection'],
          ['Created', timeEl(b.createdAt)],
          ['Finished', timeEl(b.finishedAt)],
        ]),
        h('p', { class: 'links' },
          h('a', { href: '/console/runs', class: 'btn' }, 'Back to runs'), ' ',
          b.filter && typeof b.filter === 'object' ? h('a', { href: `/console/runs${qs(pickRunFilter(b.filter))}`, class: 'btn' }, 'Runs of this filter') : null, ' ',
          h('a', { href: `/console/runs/${encodeURIComponent(b.id || bulkId)}`, class: 'btn' }, 'Bulk run detail')));
    }

    return {
      update() { loader.now(); },
      onRunEvent() { loader.soon(); },
      refresh() { loader.soon(); },
      destroy() { loader.destroy(); },
    };
  }

  function pickRunFilter(filter) {
    const out = {};
    for (const k of RUN_QUERY_KEYS) if (filter[k] != null && filter[k] !== '') out[k] = filter[k];
    return out;
  }

  // --- 8.5 Schedules --------------------------------------------------------

  function screenSchedules(root) {
    const f = frame(root, 'schedules', 'Schedules');
    const flash = h('div', { class: 'flash-slot' });
    f.section.insertBefore(flash, f.error);
    let lastRunIds = new Set();
    const loader = loaderFor(f, (signal) => api('/v1/admin/schedules', { signal }), render, () => 30000);
    loader.now();

    function act(s, action) {
      const titles = { trigger: 'Trigger now', pause: 'Pause schedule', resume: 'Resume schedule' };
      const descriptions = {
        trigger: `Schedule ${s.name} fires now, outside its cron (${s.cron}).`,
        pause: `Schedule ${s.name} stops starting runs until it is resumed.`,
        resume: `Schedule ${s.name} starts runs again on its cron (${s.cron}).`,
      };
      openActionDialog({
        title: `${titles[action]}: ${s.name}`,
        description: descriptions[action],
        path: `/v1/admin/schedules/${encodeURIComponent(s.name)}/${action}`,
        onDone(res) {
          const runId = res && res.action && res.action.runId;
          setChildren(flash, h('div', { class: 'callout callout-ok' },
            `${titles[action]} ${s.name}: done.`, runId ? [' Run ', runLink(runId), '.'] : null,
            h('button', { type: 'button', class: 'btn btn-quiet small', onClick: () => flash.replaceChildren() }, 'Dismiss')));
          loader.now();
        },
      });
    }

    function render(d) {
      const list = Array.isArray(d.schedules) ? d.schedules : [];
      lastRunIds = new Set(list.map((s) => s.lastFire && s.lastFire.runId).filter(Boolean));
      const showActions = session.canAct || session.canAdmin;
      setChildren(f.body, list.length ? h('div', { class: 'table-wrap' }, h('table', { class: 'grid', 'data-testid': 'schedules-table' },
        h('thead', {}, h('tr', {},
          h('th', {}, 'Schedule'), h('th', {}, 'Cron'), h('th', {}, 'Next fire'), h('th', {}, 'Last fire'),
          h('th', {}, 'Last run'), h('th', {}, 'Last result'), showActions ? h('th', {}, 'Actions') : null)),
        h('tbody', {}, list.map((s) => {
          const lf = s.lastFire;
          const lfStatus = lf ? (lf.status ?? lf.runStatus) : null;
          const buttons = [];
          if (session.canAct) buttons.push(h('button', { type: 'button', class: 'btn btn-small', 'data-testid': 'schedule-trigger', onClick: () => act(s, 'trigger') }, 'Trigger now'));
          if (session.canAdmin) {
            buttons.push(s.paused
              ? h('button', { type: 'button', class: 'btn btn-small', 'data-testid': 'schedule-resume', onClick: () => act(s, 'resume') }, 'Resume')
              : h('button', { type: 'button', class: 'btn btn-small', 'data-testid': 'schedule-pause', onClick: () => act(s, 'pause') }, 'Pause'));
          }
          return h('tr', { 'data-testid': 'schedule-row', 'data-schedule': s.name, class: s.paused ? 'paused' : null },
            h('td', {}, h('strong', { class: 'mono' }, s.name), s.paused ? [' ', pill('paused')] : null),
            h('td', { class: 'nowrap' }, h('code', {}, s.cron)),
            h('td', { class: 'nowrap' }, s.paused ? h('span', { class: 'muted' }, 'paused') : timeEl(s.nextFireAt)),
            h('td', { class: 'nowrap' }, lf ? [timeEl(lf.fireAt), lf.outcome ? h('div', { class: 'sub' }, lf.outcome) : null] : h('span', { class: 'muted' }, 'never')),
            h('td', { class: 'nowrap' }, lf && lf.runId ? [runLink(lf.runId), ' ', lfStatus ? pill(lfStatus) : null] : (lfStatus ? pill(lfStatus) : h('span', { class: 'muted' }, '—'))),
            h('td', {}, lf ? jsonEl(lf.result, 120) : h('span', { class: 'muted' }, '—')),
            showActions ? h('td', { class: 'nowrap actions-cell' }, buttons) : null);
        }))))
        : h('p', { class: 'muted' }, 'No schedule is configured.'));
    }

    return {
      update() { loader.now(); },
      onRunEvent(ev) { if (ev && lastRunIds.has(ev.runId)) loader.soon(); },
      refresh() { loader.soon(); },
      destroy() { loader.destroy(); },
    };
  }

  // --- 8.6 Audit log --------------------------------------------------------

  const AUDIT_FILTERS = [
    { name: 'actor', label: 'Who', placeholder: 'e.g. operator1' },
    { name: 'action', label: 'Action', type: 'select', any: 'Any action', options: AUDIT_ACTIONS.map((a) => [a, a]) },
    { name: 'runId', label: 'Run id', placeholder: 'full run id', wide: true },
    { name: 'from', label: 'From (UTC)', type: 'datetime' },
    { name: 'to', label: 'Before (UTC)', type: 'datetime' },
  ];

  function screenAudit(root, _param, query0) {
    let query = query0;
    const f = frame(root, 'audit', 'Audit log');
    const filters = filterForm(AUDIT_FILTERS, (params) => navigate(`/console/audit${qs({ ...params, limit: query.limit })}`), { clearHref: '/console/audit' });
    filters.fill(query);
    f.section.insertBefore(filters.form, f.error);
    const apiQuery = () => {
      const p = {};
      for (const k of ['actor', 'action', 'runId', 'from', 'to', 'cursor', 'limit']) if (query[k]) p[k] = query[k];
      return p;
    };
    const loader = loaderFor(f, (signal) => api(`/v1/admin/audit${qs(apiQuery())}`, { signal }), render);
    loader.now();

    function render(d) {
      const entries = Array.isArray(d.entries) ? d.entries : [];
      f.body.classList.remove('stale');
      setChildren(f.body,
        h('div', { class: 'table-wrap' }, auditTable(entries, { testid: 'audit-table', rowTestid: 'audit-row' })),
        pager('/console/audit', query, d.nextCursor, entries.length, 'entry'));
    }

    return {
      update(q) {
        query = q;
        filters.fill(q);
        f.body.classList.add('stale');
        loader.now();
      },
      destroy() { loader.destroy(); },
    };
  }

  // --- 8.7 Not found --------------------------------------------------------

  function screenNotFound(root) {
    setTitle('Not found');
    root.append(h('section', { class: 'screen' },
      h('div', { class: 'page-head' }, h('h1', {}, 'Not found')),
      h('p', {}, 'This console page does not exist. ', h('a', { href: '/console' }, 'Go to the overview'), '.')));
    return { destroy() {} };
  }

  const SCREENS = {
    overview: screenOverview,
    runs: screenRuns,
    run: screenRun,
    bulk: screenBulk,
    schedules: screenSchedules,
    audit: screenAudit,
  };

  // ===========================================================================
  // 9. Action dialog (reason required; server problems shown inside)
  // ===========================================================================

  let openDialog = null;

  function closeDialog() {
    if (openDialog && openDialog.open) openDialog.close();
    openDialog = null;
  }

  /** opts: {title, description, path, danger?, onDone(result)} — POSTs {reason} to path. */
  function openActionDialog(opts) {
    closeDialog();
    let busy = false;
    const reason = h('textarea', {
      id: 'action-reason', name: 'reason', 'data-testid': 'action-reason', required: true, rows: 3,
      maxlength: 1000, placeholder: 'Why? It is written to the audit log.',
    });
    const errorSlot = h('div', { class: 'dialog-error' });
    const confirm = h('button', { type: 'submit', class: ['btn', opts.danger ? 'btn-danger' : 'btn-primary'], 'data-testid': 'action-confirm', disabled: true }, 'Confirm');
    const cancel = h('button', { type: 'button', class: 'btn', 'data-testid': 'action-cancel-dialog', onClick: () => { if (!busy) dlg.close(); } }, 'Cancel');
    const form = h('form', { method: 'dialog', onSubmit: submit },
      h('h2', { id: 'action-dialog-title' }, opts.title),
      opts.description ? h('p', { class: 'dialog-desc' }, opts.description) : null,
      h('label', { for: 'action-reason' }, 'Reason (required)'),
      reason,
      errorSlot,
      h('div', { class: 'dialog-buttons' }, cancel, confirm));
    const dlg = h('dialog', { class: 'modal', 'data-testid': 'action-dialog', 'aria-labelledby': 'action-dialog-title' }, form);
    const sync = () => { confirm.disabled = busy || reason.value.trim() === ''; };
    reason.addEventListener('input', sync);
    dlg.addEventListener('cancel', (e) => { if (busy) e.preventDefault(); });
    dlg.addEventListener('close', () => { dlg.remove(); if (openDialog === dlg) openDialog = null; });
    document.body.append(dlg);
    openDialog = dlg;
    if (typeof dlg.showModal === 'function') dlg.showModal(); else dlg.setAttribute('open', '');
    reason.focus();

    async function submit(e) {
      e.preventDefault();
      const why = reason.value.trim();
      if (busy || !why) return;
      busy = true;
      sync();
      cancel.disabled = true;
      confirm.textContent = 'Working…';
      errorSlot.replaceChildren();
      try {
        const res = await api(opts.path, { method: 'POST', body: { reason: why } });
        busy = false;
        if (dlg.open) dlg.close();
        if (opts.onDone) opts.onDone(res);
      } catch (err) {
        busy = false;
        const box = problemBox(err);
        box.setAttribute('data-testid', 'action-error');
        setChildren(errorSlot, box);
        reason.focus();
      } finally {
        busy = false;
        cancel.disabled = false;
        confirm.textContent = 'Confirm';
        sync();
      }
    }
  }

  // ===========================================================================
  // 10. Throughput chart (inline SVG)
  // ===========================================================================

  /** The smallest of 1, 2, 5 × 10^k at or above v (at least 1). */
  function niceMax(v) {
    if (!(v > 0)) return 1;
    const p = 10 ** Math.floor(Math.log10(v));
    for (const m of [1, 2, 5, 10]) if (m * p >= v) return m * p;
    return 10 * p;
  }

  function bucketLabel(at, bucketSeconds) {
    const d = toDate(at);
    if (!d) return '';
    const iso = d.toISOString();
    return bucketSeconds >= 3600 ? `${iso.slice(5, 10)} ${iso.slice(11, 16)}` : iso.slice(11, 16);
  }

  function throughputChart(buckets, bucketSeconds) {
    const W = 640;
    const H = 220;
    const m = { l: 44, r: 12, t: 28, b: 30 };
    const pw = W - m.l - m.r;
    const ph = H - m.t - m.b;
    const n = buckets.length;
    const max = buckets.reduce((a, b) => Math.max(a, Number(b.completed) || 0, Number(b.failed) || 0), 0);
    const yMax = niceMax(max);
    const y = (v) => m.t + ph - (v / yMax) * ph;
    const slot = n ? pw / n : pw;
    const barW = Math.max(1, (slot * 0.8) / 2);
    const total = buckets.reduce((a, b) => a + (Number(b.completed) || 0) + (Number(b.failed) || 0), 0);

    const grid = [yMax, yMax / 2, 0].map((v) => svg('g', { class: 'tick' },
      svg('line', { x1: m.l, x2: W - m.r, y1: y(v), y2: y(v), class: v === 0 ? 'axis' : 'gridline' }),
      svg('text', { x: m.l - 6, y: y(v) + 4, 'text-anchor': 'end', class: v === yMax ? 'label y-max' : 'label' },
        Number.isInteger(v) ? String(v) : v.toFixed(1))));

    const bars = buckets.map((b, i) => {
      const c = Number(b.completed) || 0;
      const fl = Number(b.failed) || 0;
      const x0 = m.l + i * slot + slot * 0.1;
      const hc = c > 0 ? Math.max(1, (c / yMax) * ph) : 0;
      const hf = fl > 0 ? Math.max(1, (fl / yMax) * ph) : 0;
      return svg('g', { class: 'bucket' },
        svg('title', {}, `${fmtUtc(b.at).slice(0, 16)} UTC: ${c} completed, ${fl} failed`),
        svg('rect', { x: m.l + i * slot, y: m.t, width: slot, height: ph, class: 'hit' }),
        hc ? svg('rect', { x: x0, y: m.t + ph - hc, width: barW, height: hc, class: 'bar-completed' }) : null,
        hf ? svg('rect', { x: x0 + barW, y: m.t + ph - hf, width: barW, height: hf, class: 'bar-failed' }) : null);
    });

    const xLabels = n ? [
      svg('text', { x: m.l, y: H - 10, 'text-anchor': 'start', class: 'label' }, bucketLabel(buckets[0].at, bucketSeconds)),
      svg('text', { x: W - m.r, y: H - 10, 'text-anchor': 'end', class: 'label' }, bucketLabel(buckets[n - 1].at, bucketSeconds)),
      svg('text', { x: m.l + pw / 2, y: H - 10, 'text-anchor': 'middle', class: 'label muted' },
        `UTC · ${bucketSeconds >= 3600 ? `${bucketSeconds / 3600} h` : `${Math.round(bucketSeconds / 60)} min`} buckets`),
    ] : [];

    const legend = svg('g', { class: 'legend', transform: `translate(${m.l}, 12)` },
      svg('rect', { x: 0, y: -8, width: 10, height: 10, class: 'bar-completed' }),
      svg('text', { x: 14, y: 1, class: 'label' }, 'completed'),
      svg('rect', { x: 90, y: -8, width: 10, height: 10, class: 'bar-failed' }),
      svg('text', { x: 104, y: 1, class: 'label' }, 'failed'));

    return svg('svg', {
      class: 'chart', viewBox: `0 0 ${W} ${H}`, role: 'img', 'data-testid': 'throughput-chart',
      'aria-label': `Runs finished per bucket: ${total} in total, at most ${max} in one bucket`,
      preserveAspectRatio: 'xMidYMid meet',
    }, legend, grid, bars, xLabels,
    total === 0 ? svg('text', { x: m.l + pw / 2, y: m.t + ph / 2, 'text-anchor': 'middle', class: 'label muted' }, 'no run finished in this window') : null);
  }

  // ===========================================================================
  // 11. Live updates (server-sent events)
  // ===========================================================================

  /** The no-workers banner on screens other than the overview: every 10 s and on events. */
  const healthLoader = new Loader(
    async (signal) => (current && current.key && current.key.startsWith('overview:') ? null : api('/v1/admin/overview', { signal })),
    // Live events refresh it too, but at most every 5 s (a bulk action sends many events).
    { onData: (d) => { if (d) setHealth(d); }, onError: () => {}, pollMs: () => 10000, minInterval: 5000 });

  let everOpen = false;
  let es = null;
  let retryTimer = null;

  function refreshAll() {
    if (current && current.refresh) current.refresh();
    healthLoader.soon();
  }

  function startLive() {
    if (typeof EventSource === 'undefined') { setLive(false); return; }
    clearTimeout(retryTimer);
    es = new EventSource('/v1/admin/events');
    es.addEventListener('open', () => {
      setLive(true);
      // Events may have been missed while the stream was closed.
      if (everOpen) refreshAll();
      everOpen = true;
    });
    es.addEventListener('error', () => {
      if (!es) return;
      const wasOpen = liveOpen;
      setLive(es.readyState === EventSource.OPEN);
      // Gone offline: one refresh now restarts the screen's fallback polling.
      if (wasOpen && !liveOpen) refreshAll();
      if (es.readyState === EventSource.CLOSED) {
        // The browser gave up (e.g. a 401/403 answer): check the session, then try again.
        es.close();
        es = null;
        retryTimer = setTimeout(() => {
          api('/v1/admin/session').then(startLive, () => { retryTimer = setTimeout(startLive, 5000); });
        }, 3000);
      }
    });
    es.addEventListener('run', (e) => {
      let ev = null;
      try { ev = JSON.parse(e.data); } catch { return; }
      if (!ev || typeof ev !== 'object') return;
      if (current && current.onRunEvent) current.onRunEvent(ev);
      healthLoader.soon();
    });
    es.addEventListener('lagged', refreshAll);
    es.addEventListener('ping', () => setLive(true));
  }

  // ===========================================================================
  // 12. Boot
  // ===========================================================================

  function bootLogin() {
    const params = new URLSearchParams(location.search);
    const err = document.getElementById('login-error');
    if (err && params.get('error')) err.hidden = false;
    const user = document.querySelector('input[name=username]');
    if (user && !user.value) user.focus();
  }

  async function bootConsole(app) {
    buildShell(app);
    setChildren(shell.main, loadingBox('Signing in…'));
    try {
      const s = await api('/v1/admin/session');
      Object.assign(session, s || {});
      session.canAct = Boolean(session.canAct);
      session.canAdmin = Boolean(session.canAdmin);
    } catch (e) {
      if (e.status === 401) return;
      setChildren(shell.main, h('section', { class: 'screen' },
        h('div', { class: 'page-head' }, h('h1', {}, 'No access')),
        problemBox(e),
        h('p', {}, h('a', { href: '/console/login', class: 'btn' }, 'Sign in as someone else'))));
      return;
    }
    shell.whoami.textContent = `${session.user} · ${session.role}`;
    shell.whoami.title = `Signed in as ${session.user} (${session.role})`;
    document.addEventListener('click', interceptLinks);
    window.addEventListener('popstate', route);
    route();
    startLive();
    healthLoader.at(Date.now() + 200);
    setInterval(refreshRelativeTimes, 15000);
  }

  function boot() {
    if (document.body && document.body.dataset.page === 'login') { bootLogin(); return; }
    const app = document.getElementById('app');
    if (app) bootConsole(app);
  }

  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', boot);
  else boot();
})();
