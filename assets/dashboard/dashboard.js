// The dashboard page: every POLL_MS it reads GET /api/applications and /metrics (and the selected replica's
// GET /api/logs), computes rates and percentiles from the difference between two scrapes, and redraws.
// Every series is bounded to POINTS points: a page left open for a day holds what it held after ten minutes.
(function () {
  'use strict';
  const M = window.TroupeMetrics;
  const POLL_MS = 1500;
  const POINTS = 400;
  const LOG_LINES = 200;
  const COLORS = ['#3b6fd8', '#c62828', '#1a7f37', '#b26b00', '#7b1fa2', '#00838f', '#5d4037', '#ad1457'];
  const LEVELS = { 10: 'trace', 20: 'debug', 30: 'info', 40: 'warn', 50: 'error', 60: 'fatal' };

  const $ = id => document.getElementById(id);

  /** A DOM element; children are nodes or text (set as text, never parsed as HTML). */
  function el(tag, props, ...children) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(props || {})) {
      if (k === 'class') node.className = v;
      else if (k.startsWith('on')) node.addEventListener(k.slice(2), v);
      else node.setAttribute(k, v);
    }
    for (const c of children) if (c !== undefined && c !== null) node.append(c instanceof Node ? c : String(c));
    return node;
  }

  /** A uPlot chart of a Series; rebuilt when the series' names change (a deployment added or gone). */
  class Chart {
    constructor(container, series, format, yAxis = {}) {
      this.container = container;
      this.series = series;
      this.format = format;
      this.yAxis = yAxis;
      this.plot = null;
      this.key = '';
    }
    draw() {
      const names = this.series.names();
      const key = names.join('\n');
      if (!this.plot || key !== this.key) {
        if (this.plot) this.plot.destroy();
        this.key = key;
        this.plot = new uPlot({
          width: Math.max(300, this.container.clientWidth),
          height: 200,
          legend: { live: false },
          series: [{}, ...names.map((label, i) => ({ label, stroke: COLORS[i % COLORS.length], width: 1.5, value: (_u, v) => this.format(v) }))],
          axes: [{ space: 70, values: (_u, ticks) => ticks.map(clock) }, { size: 56, values: (_u, ticks) => ticks.map(this.format), ...this.yAxis }],
          scales: { y: { range: (_u, _min, max) => [0, max > 0 ? max * 1.1 : 1] } },
        }, this.series.data(), this.container);
      } else {
        this.plot.setData(this.series.data());
      }
    }
    resize() {
      if (this.plot) this.plot.setSize({ width: Math.max(300, this.container.clientWidth), height: 200 });
    }
  }

  const clock = t => new Date(t * 1000).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit', second: '2-digit' });
  const fixed = digits => v => (v === null || v === undefined ? '–' : Number(v).toFixed(digits));
  const series = { rate: new M.Series(POINTS), latency: new M.Series(POINTS), replicas: new M.Series(POINTS) };
  const charts = {
    rate: new Chart($('chart-rate'), series.rate, fixed(1)),
    latency: new Chart($('chart-latency'), series.latency, fixed(1)),
    replicas: new Chart($('chart-replicas'), series.replicas, fixed(0), { incrs: [1, 2, 5, 10, 20, 50, 100] }),
  };

  const view = {
    app: '',
    /** The replica whose logs are shown: { application, deployment, replica }. */
    selected: null,
    /** The previous scrape: { time (s), samples }. */
    last: null,
    metrics: 'unknown',
    logs: 'unknown',
  };

  function bytes(n) {
    if (n === undefined) return '–';
    const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
    let i = 0;
    while (n >= 1024 && i < units.length - 1) (n /= 1024), i++;
    return `${n.toFixed(i ? 1 : 0)} ${units[i]}`;
  }
  const num = (v, digits = 0) => (v === undefined || v === null || Number.isNaN(v) ? '–' : Number(v).toFixed(digits));
  const state = s => el('span', { class: `state state-${s}` }, s);

  // With admin.token set, open /dashboard#token=<token>: the fragment never reaches a server or its logs; the
  // token is kept for this tab only and sent on every call.
  function takeToken() {
    const match = /(?:^#|&)token=([^&]+)/.exec(location.hash);
    if (!match) return;
    sessionStorage.setItem('troupe-admin-token', decodeURIComponent(match[1]));
    history.replaceState(null, '', location.pathname);
  }
  takeToken();
  window.addEventListener('hashchange', takeToken);

  async function get(path) {
    const token = sessionStorage.getItem('troupe-admin-token');
    // A call that hangs gives up, so one stuck answer cannot stop the page from updating.
    const res = await fetch(path, { cache: 'no-store', headers: token ? { authorization: `Bearer ${token}` } : {}, signal: AbortSignal.timeout(10_000) });
    if (!res.ok) {
      const err = new Error(res.status === 401
        ? 'this admin server needs its token: open /dashboard#token=<admin.token>'
        : `GET /${path} answered ${res.status}`);
      err.status = res.status;
      throw err;
    }
    return res;
  }

  // ---- poll ----

  async function poll() {
    const time = Date.now() / 1000;
    const [status, text] = await Promise.allSettled([
      get('api/applications').then(r => r.json()),
      view.metrics === 'missing' ? Promise.resolve(undefined) : get('metrics').then(r => r.text()),
    ]);
    const problems = [];
    if (status.status === 'rejected') problems.push(`admin API: ${status.reason.message}`);
    if (text.status === 'rejected') {
      // Asked once: a server without /metrics is not asked again until the page reloads.
      if (text.reason.status === 404) view.metrics = 'missing';
      else problems.push(`metrics: ${text.reason.message}`);
    }
    const samples = text.status === 'fulfilled' && text.value !== undefined ? M.parse(text.value) : undefined;
    if (samples) view.metrics = 'present';
    const st = status.status === 'fulfilled' ? status.value : undefined;
    if (st) renderStatus(st, samples, time);
    renderMetrics(time, samples);
    if (st) pushReplicas(time, st);
    if (samples) view.last = { time, samples };
    for (const c of Object.values(charts)) c.draw();
    await pollLogs();
    const unauthorized = [status, text].find(r => r.status === 'rejected' && r.reason.status === 401);
    $('banner').hidden = problems.length === 0;
    $('banner').textContent = unauthorized ? unauthorized.reason.message : problems.join('; ');
    $('updated').textContent = `updated ${new Date(time * 1000).toLocaleTimeString()}${view.metrics === 'missing' ? ' · this server has no /metrics' : ''}`;
  }

  async function loop() {
    try {
      await poll();
    } catch (err) {
      $('banner').hidden = false;
      $('banner').textContent = `dashboard: ${err.message}`;
    }
    setTimeout(loop, POLL_MS);
  }

  // ---- metrics: stats and charts ----

  function renderMetrics(time, samples) {
    const filter = { application: view.app };
    const last = view.last;
    const dt = last ? time - last.time : 0;
    if (!samples) return;
    const total = M.sum(samples, 'troupe_http_requests_total', filter);
    const errors = s => M.sum(s, 'troupe_http_requests_total', filter, l => Number(l.status) >= 500);
    let rate, errRate, p;
    if (last) {
      rate = M.rate(M.sum(last.samples, 'troupe_http_requests_total', filter) ?? 0, total ?? 0, dt);
      errRate = M.rate(errors(last.samples) ?? 0, errors(samples) ?? 0, dt);
      const name = 'troupe_http_request_duration_seconds';
      const seen = M.bucketDelta(M.buckets(last.samples, name, filter), M.buckets(samples, name, filter));
      p = [0.5, 0.95, 0.99].map(q => {
        const v = M.quantile(q, seen);
        return v === undefined ? null : v * 1000;
      });
      series.rate.push(time, { 'requests/s': rate, 'errors/s': errRate });
      series.latency.push(time, { p50: p[0], p95: p[1], p99: p[2] });
    }
    $('stat-requests').textContent = num(total ?? 0);
    $('stat-rate').textContent = rate === undefined ? '–' : num(rate, 1);
    $('stat-rate-peak').textContent = num(series.rate.max('requests/s'), 1);
    $('stat-errors').textContent = errRate === undefined ? '–' : num(errRate, 2);
    const all = M.buckets(samples, 'troupe_http_request_duration_seconds', filter);
    const since = [0.5, 0.95, 0.99].map(q => M.quantile(q, all));
    $('stat-latency').textContent = since[0] === undefined ? '–' : since.map(v => num(v * 1000, 1)).join(' / ') + ' ms';
    const ongoing = M.sum(samples, 'troupe_deployment_ongoing_requests', filter);
    const queued = M.sum(samples, 'troupe_deployment_queued_requests', filter);
    $('stat-ongoing').textContent = `${num(ongoing)} / ${num(queued)}`;
  }

  function pushReplicas(time, st) {
    const counts = {};
    for (const [app, a] of Object.entries(st.applications)) {
      if (view.app && app !== view.app) continue;
      for (const [name, d] of Object.entries(a.deployments)) {
        counts[`${app}/${name}`] = d.replicas.filter(r => r.state === 'RUNNING').length;
        if (d.autoscaling) counts[`${app}/${name} target`] = d.targetReplicas;
      }
    }
    series.replicas.push(time, counts);
  }

  // ---- status: tables, problems, resources ----

  function renderStatus(st, samples, time) {
    const apps = Object.keys(st.applications).sort();
    const select = $('app-filter');
    const options = [...select.options].slice(1).map(o => o.value);
    if (options.join('\n') !== apps.join('\n')) {
      select.replaceChildren(el('option', { value: '' }, 'all'), ...apps.map(a => el('option', { value: a }, a)));
      select.value = apps.includes(view.app) ? view.app : '';
    }
    const shown = apps.filter(a => !view.app || a === view.app);
    const last = view.last;
    const dt = last && samples ? time - last.time : 0;
    const reqNow = samples && M.sumBy(samples, 'troupe_replica_requests_total', ['application', 'deployment']);
    const reqBefore = last && M.sumBy(last.samples, 'troupe_replica_requests_total', ['application', 'deployment']);
    const failed = l => l.outcome !== undefined && !['ok', 'success', 'cancelled'].includes(l.outcome);
    const errNow = samples && sumWhere(samples, 'troupe_replica_requests_total', failed);
    const errBefore = last && sumWhere(last.samples, 'troupe_replica_requests_total', failed);

    const appRows = [];
    const depRows = [];
    const repRows = [];
    const problems = [];
    for (const app of shown) {
      const a = st.applications[app];
      appRows.push(el('tr', {}, el('td', {}, app), el('td', {}, state(a.status)), el('td', {}, a.routePrefix), el('td', {}, a.message || '')));
      if (a.status === 'UNHEALTHY' || a.status === 'DEPLOY_FAILED') problems.push([`application ${app}`, a.status, a.message]);
      for (const [name, d] of Object.entries(a.deployments)) {
        const key = `${app}/${name}`;
        const f = { application: app, deployment: name };
        const running = d.replicas.filter(r => r.state === 'RUNNING').length;
        const scaling = d.autoscaling ? `${d.autoscaling.minReplicas}–${d.autoscaling.maxReplicas}, avg ongoing ${num(d.autoscaling.ongoingRequests, 1)}` : '';
        depRows.push(el('tr', {},
          el('td', {}, key), el('td', {}, state(d.status)),
          el('td', { class: 'num' }, `${running} / ${d.targetReplicas}`),
          el('td', { class: 'num' }, num(samples && M.sum(samples, 'troupe_deployment_ongoing_requests', f))),
          el('td', { class: 'num' }, num(samples && M.sum(samples, 'troupe_deployment_queued_requests', f))),
          el('td', { class: 'num' }, reqBefore ? num(M.rate(reqBefore[key], reqNow[key], dt), 1) : '–'),
          el('td', { class: 'num' }, errBefore ? num(M.rate(errBefore[key] ?? 0, errNow[key] ?? 0, dt), 2) : '–'),
          el('td', {}, scaling)));
        if (d.status === 'UNHEALTHY') problems.push([`deployment ${key}`, d.status, d.message]);
        if (d.autoscaling && d.autoscaling.error) problems.push([`autoscaling of ${key}`, 'ERROR', d.autoscaling.error]);
        for (const r of d.replicas) {
          const selected = view.selected && view.selected.replica === r.name;
          const ongoing = samples && M.sum(samples, 'troupe_replica_ongoing_requests', { ...f, replica: r.name });
          repRows.push(el('tr', { class: selected ? 'selected' : '', 'data-replica': r.name, onclick: () => pickReplica(app, name, r.name) },
            el('td', {}, r.name), el('td', {}, state(r.state)), el('td', {}, r.version),
            el('td', { class: 'num' }, num(ongoing)), el('td', {}, r.reason || '')));
          if (r.state === 'UNHEALTHY') problems.push([`replica ${r.name}`, r.state, r.reason]);
        }
      }
    }
    $('applications').tBodies[0].replaceChildren(...appRows);
    $('deployments').tBodies[0].replaceChildren(...depRows);
    $('replicas').tBodies[0].replaceChildren(...repRows);
    $('problems').hidden = problems.length === 0;
    $('problem-list').replaceChildren(...problems.map(([what, s, why]) => el('li', {}, `${what} `, state(s), why ? `: ${why}` : '')));
    renderResources(st.resources, samples);
  }

  function sumWhere(samples, name, where) {
    const out = {};
    for (const s of samples) {
      if (s.name !== name || !where(s.labels)) continue;
      const key = `${s.labels.application}/${s.labels.deployment}`;
      out[key] = (out[key] || 0) + s.value;
    }
    return out;
  }

  function bar(label, used, total, format) {
    const share = total > 0 ? Math.min(1, used / total) : 0;
    return el('div', { class: 'bar' },
      el('div', {}, `${label}: ${format(used)} of ${format(total)}`),
      el('div', { class: 'track' }, el('div', { class: 'fill', style: `width:${(share * 100).toFixed(1)}%` })));
  }

  function renderResources(res, samples) {
    const parts = [];
    if (res) {
      parts.push(bar('CPUs', res.cpus.used, res.cpus.total, v => num(v, 2)));
      parts.push(bar('GPUs', res.gpus.used, res.gpus.total, v => num(v, 2)));
      parts.push(bar('Memory', res.memoryMb.used * 2 ** 20, res.memoryMb.total * 2 ** 20, bytes));
    }
    if (samples) {
      const used = M.sum(samples, 'troupe_object_store_bytes_used');
      const capacity = M.sum(samples, 'troupe_object_store_capacity_bytes');
      if (used !== undefined && capacity !== undefined) parts.push(bar('Object store', used, capacity, bytes));
      const rows = [
        ['Objects in store', num(M.sum(samples, 'troupe_object_store_objects'))],
        ['Failed puts', num(M.sum(samples, 'troupe_object_store_failed_puts_total'))],
        ['GPU slot memory', bytes(M.sum(samples, 'troupe_gpu_slot_bytes'))],
        ['Heap (all threads)', bytes(M.sum(samples, 'troupe_heap_used_bytes'))],
        ['Event-loop lag (worst thread)', lagText(samples)],
      ];
      parts.push(el('div', { class: 'kv' }, ...rows.flatMap(([k, v]) => [el('span', { class: 'muted' }, k), el('span', {}, v)])));
    }
    $('resources').replaceChildren(...parts);
  }

  function lagText(samples) {
    const lags = samples.filter(s => s.name === 'troupe_event_loop_lag_seconds').map(s => s.value);
    return lags.length ? `${num(Math.max(...lags) * 1000, 1)} ms` : '–';
  }

  // ---- logs of the selected replica ----

  function pickReplica(application, deployment, replica) {
    view.selected = { application, deployment, replica };
    if (view.logs === 'missing') view.logs = 'unknown';
    for (const tr of $('replicas').tBodies[0].rows) tr.classList.toggle('selected', tr.dataset.replica === replica);
    $('log-target').textContent = `(${replica})`;
    $('logs').replaceChildren();
    pollLogs().catch(() => {});
  }

  async function pollLogs() {
    const sel = view.selected;
    if (!sel || view.logs === 'missing') return;
    const query = new URLSearchParams({ ...sel, limit: String(LOG_LINES) });
    let lines;
    try {
      lines = (await (await get(`api/logs?${query}`)).json()).lines || [];
    } catch (err) {
      // A server without /api/logs is asked again only when another replica is picked.
      if (err.status === 404) view.logs = 'missing';
      $('logs').replaceChildren(`no logs: ${err.message}`);
      return;
    }
    if (view.selected !== sel) return;
    const box = $('logs');
    const atEnd = box.scrollTop + box.clientHeight >= box.scrollHeight - 4;
    box.replaceChildren(...lines.slice(-LOG_LINES).map(logLine));
    if (lines.length === 0) box.append('no log lines from this replica yet');
    if (atEnd) box.scrollTop = box.scrollHeight;
  }

  function logLine(l) {
    const level = typeof l.level === 'number' ? LEVELS[l.level] || String(l.level) : String(l.level || 'info');
    const time = l.time ? new Date(l.time).toLocaleTimeString() : '';
    // The trace id is long: it shows on hover, the request id in the line.
    const line = el('div', { class: `lvl-${level}` }, `${time} ${level.toUpperCase().padEnd(5)} ${l.msg ?? ''}${l.requestId ? `  req=${l.requestId}` : ''}`);
    if (l.traceId) line.title = `trace ${l.traceId}`;
    return line;
  }

  // ---- wiring ----

  $('app-filter').addEventListener('change', e => {
    view.app = e.target.value;
    // Another application's numbers: the series start over rather than join two different lines.
    for (const s of Object.values(series)) s.clear();
  });
  window.addEventListener('resize', () => Object.values(charts).forEach(c => c.resize()));
  loop();
})();
