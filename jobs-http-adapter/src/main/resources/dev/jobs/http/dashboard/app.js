// The jobs dashboard: plain JavaScript over the public HTTP API, nothing else. Job data is shown
// with textContent only, never as HTML, since anyone who can create a job chooses it.
'use strict';
(() => {
  const $ = (id) => document.getElementById(id);
  const SVG = 'http://www.w3.org/2000/svg';
  const COUNTED = ['READY', 'SCHEDULED', 'PENDING', 'RUNNING', 'RETRYING', 'SUCCEEDED', 'FAILED', 'CANCELLED'];
  const TERMINAL = ['SUCCEEDED', 'FAILED', 'CANCELLED'];
  const PAGE = 50;
  const CHART_MINUTES = 30;

  const ui = {
    token: sessionStorage.getItem('jobs.token'),
    role: null,
    jobs: new Map(),     // id -> job, for the rows shown
    cursor: null,
    openId: null,
    stream: null,
    timers: [],
    queueRefresh: null,
  };

  // ---- the API ----

  async function api(method, path, body) {
    const headers = { Authorization: 'Bearer ' + ui.token };
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    const response = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    if (response.status === 401) {
      signOut('The token is not accepted (any more). Sign in again.');
      throw new Error('unauthorized');
    }
    const text = await response.text();
    const data = text ? JSON.parse(text) : null;
    if (!response.ok) throw new Error((data && data.detail) || ('HTTP ' + response.status));
    return data;
  }

  function notice(text) {
    $('notice').textContent = text || '';
  }

  async function attempt(work) {
    try {
      notice('');
      await work();
    } catch (e) {
      if (e.message !== 'unauthorized') notice(e.message);
    }
  }

  // ---- sign in and out ----

  async function signIn(token) {
    ui.token = token;
    const me = await api('GET', '/api/me');
    ui.role = me.role;
    sessionStorage.setItem('jobs.token', token);
    $('login').hidden = true;
    $('app').hidden = false;
    $('logout').hidden = false;
    $('role').textContent = 'role: ' + ui.role + (ui.role === 'admin' ? '' : ' (read only: actions are hidden)');
    document.body.dataset.role = ui.role;
    await Promise.all([loadQueues(), loadWorkers(), loadRecurring(), loadJobs(true), loadThroughput()]);
    startLive();
    ui.timers.push(setInterval(() => attempt(loadWorkers), 10000));
    ui.timers.push(setInterval(() => attempt(loadRecurring), 30000));
    ui.timers.push(setInterval(() => attempt(loadQueues), 15000));
    ui.timers.push(setInterval(() => attempt(loadThroughput), 30000));
  }

  function signOut(message) {
    sessionStorage.removeItem('jobs.token');
    ui.token = null;
    ui.timers.forEach(clearInterval);
    ui.timers = [];
    if (ui.stream) ui.stream.abort();
    $('app').hidden = true;
    $('logout').hidden = true;
    $('login').hidden = false;
    $('role').textContent = '';
    $('login-error').textContent = message || '';
  }

  const isAdmin = () => ui.role === 'admin';

  // ---- queues and workers ----

  async function loadQueues() {
    const data = await api('GET', '/api/queues');
    const body = $('queues').tBodies[0];
    body.replaceChildren(...data.queues.map(queueRow));
  }

  function scheduleQueueRefresh() {
    if (ui.queueRefresh) return;
    ui.queueRefresh = setTimeout(() => {
      ui.queueRefresh = null;
      attempt(() => Promise.all([loadQueues(), loadThroughput()]));
    }, 500);
  }

  /** A queue's limits in a few words: "≤ 2 running · 5 / 1 s · ≤ 1 per key", or a dash for none. */
  function limitsText(limits) {
    if (!limits) return '–';
    const parts = [];
    if (limits.maxRunning !== null) parts.push('≤ ' + limits.maxRunning + ' running');
    if (limits.maxStarts !== null) parts.push(limits.maxStarts.starts + ' / ' + duration(limits.maxStarts.perMs));
    if (limits.maxRunningPerKey !== null) parts.push('≤ ' + limits.maxRunningPerKey + ' per key');
    return parts.length ? parts.join(' · ') : '–';
  }

  function duration(ms) {
    if (ms % 3600000 === 0) return (ms / 3600000) + ' h';
    if (ms % 60000 === 0) return (ms / 60000) + ' min';
    if (ms % 1000 === 0) return (ms / 1000) + ' s';
    return ms + ' ms';
  }

  function queueRow(queue) {
    const row = document.createElement('tr');
    row.id = 'queue-' + queue.name;
    const name = cell(queue.name);
    if (queue.paused) {
      const badge = document.createElement('span');
      badge.className = 'paused';
      badge.textContent = ' paused';
      name.append(badge);
    }
    row.append(name);
    const limits = cell(limitsText(queue.limits));
    limits.className = 'limits';
    row.append(limits);
    COUNTED.forEach((s) => {
      const count = cell(String(queue.counts[s] || 0));
      count.dataset.state = s;
      row.append(count);
    });
    row.append(cell(queue.successRate === null ? '–' : Math.round(queue.successRate * 100) + ' %'));
    row.append(cell(queue.averageRunMs === null ? '–' : Math.round(queue.averageRunMs) + ' ms'));
    const actions = cell('');
    if (isAdmin()) {
      const toggle = button(queue.paused ? 'Resume' : 'Pause', () =>
        attempt(async () => {
          await api('POST', '/api/queues/' + encodeURIComponent(queue.name) + (queue.paused ? '/resume' : '/pause'));
          await loadQueues();
        }));
      toggle.id = (queue.paused ? 'resume-' : 'pause-') + queue.name;
      actions.append(toggle);
    }
    row.append(actions);
    row.onclick = (e) => {
      if (e.target.tagName === 'BUTTON') return;
      $('filter-queue').value = queue.name;
      attempt(() => loadJobs(true));
    };
    return row;
  }

  async function loadWorkers() {
    const data = await api('GET', '/api/workers');
    $('workers').tBodies[0].replaceChildren(...data.workers.map((w) => {
      const row = document.createElement('tr');
      row.append(cell(w.id), cell(w.host), cell(w.queues.join(', ')), cell(w.running + ' / ' + w.concurrency),
        stateCell(['alive', 'stopped'].includes(w.status) ? w.status : 'dead'), cell(time(w.lastHeartbeatAt)));
      return row;
    }));
  }

  // Recurring schedules and when each runs next, in the viewer's local time.
  async function loadRecurring() {
    const data = await api('GET', '/api/recurring');
    $('no-recurring').hidden = data.recurring.length > 0;
    $('recurring').tBodies[0].replaceChildren(...data.recurring.map((r) => {
      const row = document.createElement('tr');
      row.id = 'recurring-' + r.name;
      const next = cell(r.nextRuns.slice(0, 3).map(time).join(' · ') || 'never again');
      next.className = 'next-runs';
      row.append(cell(r.name), cell(r.schedule), cell(r.job.type + ' on ' + r.job.queue),
        cell(r.missed.replace('_', ' ')), next);
      return row;
    }));
  }

  // ---- jobs ----

  function filterQuery() {
    const params = new URLSearchParams();
    const stateValue = $('filter-state').value;
    if (stateValue) params.append('state', stateValue);
    if ($('filter-queue').value.trim()) params.append('queue', $('filter-queue').value.trim());
    if ($('filter-type').value.trim()) params.append('type', $('filter-type').value.trim());
    if ($('filter-since').value) params.append('since', new Date($('filter-since').value).toISOString());
    return params;
  }

  function matchesFilter(job) {
    const params = filterQuery();
    return (!params.get('state') || job.state === params.get('state').toUpperCase())
      && (!params.get('queue') || job.queue === params.get('queue'))
      && (!params.get('type') || job.type === params.get('type'))
      && (!params.get('since') || job.createdAt >= params.get('since'));
  }

  async function loadJobs(fresh) {
    const params = filterQuery();
    params.append('limit', String(PAGE));
    if (!fresh && ui.cursor) params.append('cursor', ui.cursor);
    const page = await api('GET', '/api/jobs?' + params);
    const body = $('job-table').tBodies[0];
    if (fresh) {
      ui.jobs.clear();
      body.replaceChildren();
    }
    page.jobs.forEach((job) => {
      ui.jobs.set(job.id, job);
      body.append(jobRow(job));
    });
    ui.cursor = page.nextCursor;
    $('more').hidden = !page.nextCursor;
  }

  function jobRow(job) {
    const row = document.createElement('tr');
    row.id = 'job-' + job.id;
    fillJobRow(row, job);
    row.onclick = () => attempt(() => openJob(job.id));
    return row;
  }

  function fillJobRow(row, job) {
    row.replaceChildren(cell(job.id.slice(-12)), cell(job.type), cell(job.queue), stateCell(job.state),
      cell(job.attempt + ' / ' + job.maxAttempts), cell(job.progress + ' %'), cell(time(job.updatedAt)));
    row.title = job.id;
  }

  async function downloadCsv() {
    const response = await fetch('/api/jobs.csv?' + filterQuery(), { headers: { Authorization: 'Bearer ' + ui.token } });
    if (!response.ok) throw new Error('the CSV export failed: HTTP ' + response.status);
    const link = document.createElement('a');
    link.href = URL.createObjectURL(await response.blob());
    link.download = 'jobs.csv';
    link.click();
    setTimeout(() => URL.revokeObjectURL(link.href), 10000);
  }

  // ---- one job ----

  async function openJob(id) {
    const job = await api('GET', '/api/jobs/' + id);
    ui.openId = id;
    $('app').classList.add('with-detail');
    $('detail').hidden = false;
    $('detail').dataset.jobId = id;
    $('detail-type').textContent = job.type;
    const badge = $('detail-state');
    badge.textContent = job.state;
    badge.className = 'state state-' + job.state;
    $('detail-id').textContent = job.id;
    $('detail-progress').value = job.progress;
    $('detail-progress-message').textContent = job.progressMessage || '';
    const fields = $('detail-fields');
    fields.replaceChildren();
    [['queue', job.queue], ['priority', job.priority], ['attempt', job.attempt + ' of ' + job.maxAttempts],
      ['run at', time(job.runAt)], ['created', time(job.createdAt)], ['started', time(job.startedAt)],
      ['finished', time(job.finishedAt)], ['updated', time(job.updatedAt)], ['worker', job.leaseOwner || '–'],
      ['lease until', time(job.leaseExpiresAt)], ['timeout', job.timeoutMs === null ? '–' : job.timeoutMs + ' ms'],
      ['unique key', job.uniqueKey || '–'], ['on dependency failure', job.onDependencyFailure],
      ['cancel requested', job.cancelRequested ? 'yes' : 'no'], ['metadata', JSON.stringify(job.metadata)]]
      .forEach(([name, value]) => {
        const dt = document.createElement('dt');
        dt.textContent = name;
        const dd = document.createElement('dd');
        dd.textContent = String(value);
        fields.append(dt, dd);
      });
    $('detail-attempts').tBodies[0].replaceChildren(...attemptRows(job));
    const work = await api('GET', '/api/jobs/' + id + '/steps');
    $('detail-steps').tBodies[0].replaceChildren(...work.steps.map((step) => {
      const row = document.createElement('tr');
      row.append(cell(String(step.index + 1)), cell(step.name), cell(time(step.recordedAt)),
        cell(JSON.stringify(step.result)));
      return row;
    }));
    $('no-steps').hidden = work.steps.length > 0;
    $('detail-checkpoint').textContent = work.checkpoint === null ? '–'
      : JSON.stringify(work.checkpoint.state, null, 2) + '\n\nsaved ' + time(work.checkpoint.savedAt);
    $('detail-payload').textContent = JSON.stringify(job.payload, null, 2);
    $('detail-result').textContent = job.result === null ? '–' : JSON.stringify(job.result, null, 2);
    $('detail-error').textContent = job.lastError === null ? '–'
      : job.lastError.type + ': ' + job.lastError.message + (job.lastError.stack ? '\n\n' + job.lastError.stack : '');
    $('retry').hidden = !isAdmin() || !['FAILED', 'CANCELLED'].includes(job.state);
    $('cancel').hidden = !isAdmin() || TERMINAL.includes(job.state) || job.cancelRequested;
    await drawGraph(job);
  }

  /** Finished runs, newest first, then the one in progress. */
  function attemptRows(job) {
    const rows = job.attempts.slice().reverse().map((a) => {
      const row = document.createElement('tr');
      const ran = (Date.parse(a.endedAt) - Date.parse(a.startedAt)) / 1000;
      row.append(cell(String(a.number)), cell(a.worker), cell(time(a.startedAt)), cell(ran.toFixed(1) + ' s'),
        stateCell(a.outcome), cell(a.error ? a.error.type + ': ' + a.error.message : ''));
      return row;
    });
    if (job.state === 'RUNNING') {
      const row = document.createElement('tr');
      row.append(cell(String(job.attempt)), cell(job.leaseOwner || '?'), cell(time(job.startedAt)), cell('…'),
        stateCell('RUNNING'), cell(''));
      rows.unshift(row);
    }
    return rows;
  }

  async function act(action) {
    const id = ui.openId;
    const job = await api('POST', '/api/jobs/' + id + '/' + action);
    updateJob(job);
    await openJob(id);
    scheduleQueueRefresh();
  }

  /** Parents (its dependencies) on the left, the job, and its children (jobs depending on it) on the right. */
  async function drawGraph(job) {
    const parents = await Promise.all(job.dependsOn.map((id) =>
      api('GET', '/api/jobs/' + id).catch(() => ({ id, type: '(purged)', state: '' }))));
    const children = (await api('GET', '/api/jobs?limit=500&dependsOn=' + job.id)).jobs;
    const graph = $('graph');
    const rows = Math.max(parents.length, children.length, 1);
    const height = Math.max(60, rows * 34 + 10);
    graph.setAttribute('height', String(height));
    graph.replaceChildren();
    const place = (list, x) => list.map((j, i) => ({ job: j, x, y: 10 + i * 34 + (height - 20 - list.length * 34) / 2 }));
    const self = { job, x: 150, y: height / 2 - 14 };
    const left = place(parents, 2);
    const right = place(children, 300);
    left.forEach((n) => graph.append(line(n.x + 125, n.y + 14, self.x, self.y + 14)));
    right.forEach((n) => graph.append(line(self.x + 125, self.y + 14, n.x, n.y + 14)));
    [...left, ...right].forEach((n) => graph.append(node(n, false)));
    graph.append(node(self, true));
  }

  function node(n, isSelf) {
    const group = svg('g', { class: 'node ' + n.job.state + (isSelf ? ' self' : '') });
    group.dataset.jobId = n.job.id;
    const rect = svg('rect', { x: n.x, y: n.y, width: 125, height: 28 });
    const label = svg('text', { x: n.x + 6, y: n.y + 18 });
    label.textContent = (n.job.type + ' · ' + (n.job.state || '?')).slice(0, 24);
    group.append(rect, label);
    if (!isSelf && n.job.state) group.onclick = () => attempt(() => openJob(n.job.id));
    return group;
  }

  function line(x1, y1, x2, y2) {
    return svg('line', { x1, y1, x2, y2 });
  }

  // ---- live ----

  function setLive(on) {
    $('live').className = 'live ' + (on ? 'on' : 'off');
    $('live').textContent = on ? 'live' : 'offline';
  }

  /** Reads /api/events with fetch, since EventSource cannot send the token. Reconnects on loss. */
  async function startLive() {
    const control = new AbortController();
    ui.stream = control;
    try {
      const response = await fetch('/api/events', { headers: { Authorization: 'Bearer ' + ui.token }, signal: control.signal });
      if (!response.ok) throw new Error('HTTP ' + response.status);
      setLive(true);
      const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
      let buffer = '';
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buffer += value;
        let end;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const frame = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const data = frame.split('\n').filter((l) => l.startsWith('data: ')).map((l) => l.slice(6)).join('\n');
          if (data) onEvent(JSON.parse(data));
        }
      }
    } catch (e) {
      if (control.signal.aborted) return;
    }
    setLive(false);
    if (!control.signal.aborted && ui.token) {
      setTimeout(() => attempt(async () => {
        await Promise.all([loadQueues(), loadJobs(true)]);
        startLive();
      }), 2000);
    }
  }

  function onEvent(event) {
    if (event.kind === 'overflow') {
      attempt(() => loadJobs(true));
      return;
    }
    const job = event.job;
    if (event.kind === 'created' && !ui.jobs.has(job.id) && matchesFilter(job)) {
      ui.jobs.set(job.id, job);
      $('job-table').tBodies[0].prepend(jobRow(job));
    } else {
      updateJob(job);
    }
    if (ui.openId === job.id) attempt(() => openJob(job.id));
    scheduleQueueRefresh();
  }

  function updateJob(job) {
    if (!ui.jobs.has(job.id)) return;
    ui.jobs.set(job.id, job);
    const row = $('job-' + job.id);
    if (row) fillJobRow(row, job);
  }

  /** Jobs finished per minute, from the store: every instance's work, not only this page's. */
  async function loadThroughput() {
    const data = await api('GET', '/api/throughput?minutes=' + CHART_MINUTES);
    const chart = $('chart');
    let max = 1;
    data.series.forEach((m) => { max = Math.max(max, m.succeeded + m.failed); });
    const width = 360 / data.series.length;
    chart.replaceChildren();
    data.series.forEach((m, i) => {
      const okHeight = (m.succeeded / max) * 76;
      const badHeight = (m.failed / max) * 76;
      const title = svg('title', {});
      title.textContent = new Date(m.minute).toLocaleTimeString() + ': ' + m.succeeded + ' succeeded, ' + m.failed + ' failed';
      const group = svg('g', {});
      group.append(title, bar(i * width, 78 - okHeight, width - 2, okHeight, 'ok'),
        bar(i * width, 78 - okHeight - badHeight, width - 2, badHeight, 'bad'));
      chart.append(group);
    });
  }

  function bar(x, y, width, height, cls) {
    return svg('rect', { x, y, width, height, class: cls });
  }

  /** An SVG element with these attributes. */
  function svg(tag, attributes) {
    const element = document.createElementNS(SVG, tag);
    Object.entries(attributes).forEach(([name, value]) => element.setAttribute(name, value));
    return element;
  }

  // ---- small helpers ----

  function cell(text) {
    const td = document.createElement('td');
    td.textContent = text;
    return td;
  }

  function stateCell(value) {
    const td = cell(value);
    td.className = 'state state-' + value;
    return td;
  }

  function button(text, onClick) {
    const b = document.createElement('button');
    b.type = 'button';
    b.textContent = text;
    b.onclick = onClick;
    return b;
  }

  function time(iso) {
    return iso ? new Date(iso).toLocaleString() : '–';
  }

  // ---- wiring ----

  $('login-form').onsubmit = (e) => {
    e.preventDefault();
    $('login-error').textContent = '';
    signIn($('token').value.trim()).catch((error) => {
      if (error.message !== 'unauthorized') $('login-error').textContent = error.message;
    });
  };
  $('logout').onclick = () => signOut('');
  $('filters').onsubmit = (e) => {
    e.preventDefault();
    attempt(() => loadJobs(true));
  };
  $('more').onclick = () => attempt(() => loadJobs(false));
  $('csv').onclick = () => attempt(downloadCsv);
  $('retry').onclick = () => attempt(() => act('retry'));
  $('cancel').onclick = () => attempt(() => act('cancel'));
  $('close-detail').onclick = () => {
    ui.openId = null;
    $('detail').hidden = true;
    $('app').classList.remove('with-detail');
  };

  if (ui.token) {
    signIn(ui.token).catch(() => signOut('Sign in again.'));
  } else {
    $('login').hidden = false;
  }
})();
