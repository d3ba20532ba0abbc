// tiergate console: reads the gateway's event stream and draws tiers, backends, swaps and the last
// five minutes per tier. No framework, no build step, no third-party origin.
//
// The stream is read with fetch(), not EventSource: EventSource cannot send an Authorization header,
// and the gateway refuses keys in URLs (they end up in logs and history). The key lives in this
// tab's sessionStorage only, and every value from the gateway reaches the page as text, never markup.
'use strict';

(() => {
  const KEY_STORE = 'tiergate.adminKey';
  const SVG = 'http://www.w3.org/2000/svg';
  const keyed = document.body.dataset.keys === 'true';
  let key = sessionStorage.getItem(KEY_STORE) || '';
  let snapshots = 0;
  let reportAt = null;
  let reportUrl = null;
  let controller = null;
  let retry = null;

  const $ = (id) => document.getElementById(id);

  function el(tag, attrs, ...children) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === undefined || v === null) continue;
      if (k === 'class') e.className = v; else e.setAttribute(k, v);
    }
    for (const c of children) {
      if (c === null || c === undefined) continue;
      e.append(c instanceof Node ? c : String(c));
    }
    return e;
  }

  function headers() {
    return key ? { Authorization: 'Bearer ' + key } : {};
  }

  function message(text) {
    $('message').textContent = text || '';
  }

  function fmt(v, digits) {
    if (v === null || v === undefined || Number.isNaN(v)) return '–';
    const d = digits === undefined ? (Math.abs(v) >= 100 ? 0 : 1) : digits;
    return Number(v).toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: 0 });
  }

  function showKeyForm(why) {
    $('keyform').hidden = false;
    $('forget').hidden = !key;
    $('status').textContent = 'key needed';
    $('status').className = 'pill not_ready';
    message(why);
  }

  // --- the event stream -------------------------------------------------------------------------

  async function connect() {
    clearTimeout(retry);
    if (controller) controller.abort();
    if (keyed && !key) {
      showKeyForm('This gateway has keys: enter an admin key to see its state (kept in this tab only).');
      return;
    }
    controller = new AbortController();
    let r;
    try {
      r = await fetch('/tiergate/events', { headers: headers(), cache: 'no-store', signal: controller.signal });
    } catch (e) {
      if (e.name !== 'AbortError') again('The gateway cannot be reached; retrying.');
      return;
    }
    if (r.status === 401 || r.status === 403) {
      const body = await r.json().catch(() => ({}));
      showKeyForm(((body.error && body.error.message) || 'An admin key is needed.'));
      return;
    }
    if (!r.ok) {
      const body = await r.json().catch(() => ({}));
      again((body.error && body.error.message) || ('The event stream answered ' + r.status + '; retrying.'));
      return;
    }
    $('keyform').hidden = true;
    $('forget').hidden = !key;
    message('');
    const reader = r.body.getReader();
    const decoder = new TextDecoder();
    let buffer = '';
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buffer += decoder.decode(value, { stream: true });
        let cut;
        while ((cut = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, cut);
          buffer = buffer.slice(cut + 2);
          onBlock(block);
        }
      }
    } catch (e) {
      if (e.name === 'AbortError') return;
    }
    again('The event stream ended; reconnecting.');
  }

  function again(why) {
    message(why);
    $('status').textContent = 'disconnected';
    $('status').className = 'pill not_ready';
    clearTimeout(retry);
    retry = setTimeout(connect, 2000);
  }

  function onBlock(block) {
    let event = 'message';
    const data = [];
    for (const line of block.split('\n')) {
      if (line.startsWith('event:')) event = line.slice(6).trim();
      else if (line.startsWith('data:')) data.push(line.slice(5).replace(/^ /, ''));
    }
    if (event !== 'snapshot' || data.length === 0) return;
    render(JSON.parse(data.join('\n')));
  }

  // --- rendering ----------------------------------------------------------------------------------

  function render(s) {
    snapshots++;
    $('status').textContent = s.status;
    $('status').className = 'pill ' + s.status;
    $('status').dataset.value = s.status;
    $('inflight').textContent = s.inflight;
    $('inflight').dataset.value = s.inflight;
    $('waiting').textContent = s.waiting;
    $('waiting').dataset.value = s.waiting;
    $('updated').textContent = 'updated ' + new Date(s.recent.now).toLocaleTimeString('en-GB') + ' · ' + s.viewers + ' viewer(s)';
    const covered = Math.round(s.recent.coveredMs / 1000);
    $('covered').textContent = 'covering ' + covered + ' s, ' + s.recent.capacity.toLocaleString('en-US') + ' requests at most'
      + (s.recent.truncated ? '; more arrived, so the window is shorter than 5 minutes' : '');
    const managed = managedTiers(s.groups);
    const recent = new Map(s.recent.tiers.map((t) => [t.name, t]));
    const cards = s.tiers.map((t) => tierCard(t, recent.get(t.name), managed.get(t.name), s.actions));
    $('tiers').replaceChildren(...cards);
    $('groups').replaceChildren(...s.groups.map((g) => groupCard(g, s.actions)));
    showReport(s.report);
    document.body.dataset.snapshots = String(snapshots);
  }

  /** tier name → { group, state } for tiers a lifecycle manages. */
  function managedTiers(groups) {
    const m = new Map();
    for (const g of groups) {
      for (const t of g.tiers || []) m.set(t.name, { group: g, state: t.state });
    }
    return m;
  }

  function tierState(t, managed) {
    const g = managed && managed.group;
    if (g && g.swapping && (g.swapping.to === t.name || g.swapping.from === t.name)) {
      return { word: 'swapping', detail: 'swapping ' + swapDetail(g.swapping) };
    }
    if (managed && managed.state === 'failed') return { word: 'down', detail: 'failed to start' };
    if (t.up) return { word: 'ready' };
    if (t.backends.some((b) => b.state === 'loading')) return { word: 'loading' };
    if (t.backends.some((b) => b.circuit === 'open')) return { word: 'open', detail: 'circuit open' };
    if (!t.live) return { word: 'not-live', detail: 'not live' };
    return { word: 'down' };
  }

  function swapDetail(w) {
    const secs = (w.totalMs / 1000).toFixed(1);
    return (w.from ? w.from + ' → ' : '') + w.to + ': ' + (w.phase || 'starting') + ', ' + secs + ' s';
  }

  function tierCard(t, r, managed, actions) {
    const st = tierState(t, managed);
    const head = el('div', { class: 'tier-head' },
      el('h2', {}, t.name),
      t.scheme ? el('span', { class: 'muted' }, t.scheme) : null,
      el('span', { class: 'badge ' + st.word, 'data-field': 'tierState', 'data-tier': t.name, 'data-value': st.word },
        st.detail || st.word),
      t.live ? el('span', { class: 'badge live' }, 'live') : null);
    if (actions && managed) {
      const b = el('button', { type: 'button', 'data-action': 'activate', 'data-tier': t.name }, 'Activate');
      b.addEventListener('click', () => act('/tiergate/tiers/' + encodeURIComponent(t.name) + '/activate',
        'Swap to ' + t.name + ' now? Streams on the live tier drain first.'));
      head.append(b);
    }
    const rows = t.backends.map((b) => el('tr', { 'data-backend': b.name },
      el('td', {}, b.name),
      el('td', {}, b.engine),
      el('td', {}, el('span', { class: 'badge ' + b.state, 'data-field': 'state', 'data-value': b.state }, b.state)),
      el('td', {}, el('span', { class: 'badge ' + b.circuit, 'data-field': 'circuit', 'data-value': b.circuit }, b.circuit)),
      el('td', { class: 'num', 'data-field': 'inflight', 'data-value': b.inflight }, b.inflight),
      el('td', { class: 'num', 'data-field': 'waiting', 'data-value': b.waiting }, b.waiting)));
    const errors = t.backends.filter((b) => b.lastError).map((b) => el('div', { class: 'lasterror' }, b.name + ': ' + b.lastError));
    const table = el('table', {},
      el('thead', {}, el('tr', {}, el('th', {}, 'backend'), el('th', {}, 'engine'), el('th', {}, 'state'), el('th', {}, 'circuit'),
        el('th', { class: 'num' }, 'in flight'), el('th', { class: 'num' }, 'waiting'))),
      el('tbody', {}, ...rows));
    const card = el('article', { class: 'tier', 'data-tier': t.name }, head, table, ...errors);
    if (r) {
      card.append(numbers(t.name, r), charts(r));
    }
    return card;
  }

  function numbers(tier, r) {
    const item = (label, field, v, unit) => el('span', {}, label + ' ',
      el('b', { 'data-tier': tier, 'data-field': field, 'data-value': v === null ? '' : v }, fmt(v)), unit ? ' ' + unit : '');
    return el('div', { class: 'numbers', 'aria-label': 'last 5 minutes' },
      item('requests', 'requests', r.requests), item('errors', 'errors', r.errors), item('rate', 'ratePerS', r.ratePerS, '/s'),
      item('TTFT p50', 'ttftP50Ms', r.ttftP50Ms, 'ms'), item('p95', 'ttftP95Ms', r.ttftP95Ms, 'ms'),
      item('decode', 'decodeTps', r.decodeTps, 't/s'), item('prefill', 'prefillTps', r.prefillTps, 't/s'));
  }

  function charts(r) {
    const s = r.series;
    return el('div', { class: 'charts' },
      chart('TTFT p50 / p95 (ms)', [[s.ttftP50, '#1f5fa8'], [s.ttftP95, '#d9822b']]),
      chart('decode t/s', [[s.decodeTps, '#1b7f3b']]),
      chart('prefill t/s', [[s.prefillTps, '#7b3fa0']]),
      chart('requests/s', [[s.ratePerS, '#444']]));
  }

  /** A small line chart: one point per bucket, gaps where a bucket had nothing. */
  function chart(title, lines) {
    const W = 220; const H = 56; const P = 3;
    const all = lines.flatMap(([v]) => v).filter((x) => x !== null);
    const max = all.length ? Math.max(...all) : 0;
    const last = lines[0][0].filter((x) => x !== null).pop();
    const svg = document.createElementNS(SVG, 'svg');
    svg.setAttribute('viewBox', `0 0 ${W} ${H}`);
    svg.setAttribute('preserveAspectRatio', 'none');
    svg.setAttribute('role', 'img');
    svg.setAttribute('aria-label', title);
    const base = document.createElementNS(SVG, 'line');
    for (const [k, v] of Object.entries({ x1: 0, y1: H - P, x2: W, y2: H - P, stroke: '#ccc', 'stroke-width': 1 })) base.setAttribute(k, v);
    svg.append(base);
    if (max <= 0) {
      const t = document.createElementNS(SVG, 'text');
      t.setAttribute('x', W / 2); t.setAttribute('y', H / 2 + 4); t.setAttribute('text-anchor', 'middle'); t.setAttribute('class', 'empty');
      t.textContent = 'no data yet';
      svg.append(t);
    } else {
      for (const [values, colour] of lines) {
        const n = values.length;
        let d = '';
        let pen = false;
        values.forEach((v, i) => {
          if (v === null) { pen = false; return; }
          const x = n > 1 ? (i / (n - 1)) * W : W / 2;
          const y = H - P - (v / max) * (H - 2 * P);
          d += (pen ? 'L' : 'M') + x.toFixed(1) + ' ' + y.toFixed(1) + ' ';
          pen = true;
        });
        const path = document.createElementNS(SVG, 'path');
        path.setAttribute('d', d.trim() || 'M0 0');
        path.setAttribute('fill', 'none');
        path.setAttribute('stroke', colour);
        path.setAttribute('stroke-width', '1.8');
        path.setAttribute('vector-effect', 'non-scaling-stroke');
        svg.append(path);
        // a lone point between gaps has no segment: mark it
        values.forEach((v, i) => {
          if (v === null || (values[i - 1] ?? null) !== null || (values[i + 1] ?? null) !== null) return;
          const c = document.createElementNS(SVG, 'circle');
          c.setAttribute('cx', n > 1 ? (i / (n - 1)) * W : W / 2);
          c.setAttribute('cy', H - P - (v / max) * (H - 2 * P));
          c.setAttribute('r', 2);
          c.setAttribute('fill', colour);
          svg.append(c);
        });
      }
    }
    return el('div', { class: 'chart' }, el('div', { class: 'title' }, el('span', {}, title),
      el('span', { class: 'muted' }, 'max ' + fmt(max) + (last === undefined ? '' : ' · now ' + fmt(last)))), svg);
  }

  function groupCard(g, actions) {
    const card = el('div', { class: 'group', 'data-group': g.name },
      el('b', {}, 'group ' + g.name), ' ',
      el('span', { class: 'badge ' + (g.swapping ? 'swapping' : 'ready'), 'data-field': 'groupState', 'data-value': g.state },
        g.state + ' for ' + fmt(g.forMs / 1000, 0) + ' s'),
      ' live: ', el('b', {}, g.live || 'none'),
      g.swapping ? el('span', { class: 'muted' }, ' · swapping ' + swapDetail(g.swapping)) : null,
      g.queue ? el('span', {}, ' · ' + g.queue + ' waiting for a swap') : null);
    if (actions && g.live) {
      const b = el('button', { type: 'button', 'data-action': 'stop', 'data-group': g.name }, 'Stop');
      b.addEventListener('click', () => act('/tiergate/groups/' + encodeURIComponent(g.name) + '/stop',
        'Stop group ' + g.name + '? Its live tier drains, then its engines stop.'));
      card.append(' ', b);
    }
    return card;
  }

  async function act(path, question) {
    if (!window.confirm(question)) return;
    try {
      const r = await fetch(path, { method: 'POST', headers: headers() });
      const body = await r.json().catch(() => ({}));
      message(r.ok ? 'Done: ' + path : ((body.error && body.error.message) || ('The gateway answered ' + r.status)));
    } catch (e) {
      message('The gateway cannot be reached.');
    }
  }

  async function showReport(meta) {
    if (!meta) {
      $('report').hidden = true;
      return;
    }
    if (meta.at === reportAt) return;
    reportAt = meta.at;
    try {
      const r = await fetch('/tiergate/report', { headers: headers(), cache: 'no-store' });
      if (!r.ok) return;
      const body = await r.json();
      // Shown as an image from a blob: an SVG there cannot run script or reach the page.
      if (reportUrl) URL.revokeObjectURL(reportUrl);
      reportUrl = URL.createObjectURL(new Blob([body.svg], { type: 'image/svg+xml' }));
      $('report-chart').src = reportUrl;
      $('report-chart').dataset.tiers = body.tiers.join(',');
      $('report-meta').textContent = '(' + body.source + ', ' + new Date(body.at).toLocaleString('en-GB') + ')';
      $('report').hidden = false;
    } catch (e) {
      reportAt = null;
    }
  }

  // --- the key ------------------------------------------------------------------------------------

  $('keyform').addEventListener('submit', (e) => {
    e.preventDefault();
    key = $('key').value.trim();
    $('key').value = '';
    if (key) sessionStorage.setItem(KEY_STORE, key);
    connect();
  });
  $('forget').addEventListener('click', () => {
    key = '';
    sessionStorage.removeItem(KEY_STORE);
    connect();
  });

  connect();
})();
