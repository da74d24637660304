// Mimisbrunnr operator dashboard: polls {base}/data every second and draws it. No library, no build step.
// Every value from the server is put into the page with textContent (never as HTML).
(() => {
  'use strict';
  const base = document.body.dataset.base || '';
  const $ = (id) => document.getElementById(id);
  const number = new Intl.NumberFormat('en');
  const rate = new Intl.NumberFormat('en', { maximumFractionDigits: 1 });

  function bytes(n) {
    const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
    let i = 0;
    while (n >= 1024 && i < units.length - 1) { n /= 1024; i++; }
    return (i === 0 ? n : n.toFixed(1)) + ' ' + units[i];
  }

  function time(value) {
    return value ? new Date(value).toLocaleTimeString('en-GB') : '';
  }

  // Average of the last (up to) five complete seconds.
  function recent(series) {
    const tail = series.slice(-5);
    return tail.length === 0 ? 0 : tail.reduce((a, b) => a + b, 0) / tail.length;
  }

  function set(id, text) {
    const element = $(id);
    if (element.textContent !== text) element.textContent = text;
  }

  function cell(row, text, className) {
    const td = document.createElement('td');
    td.textContent = text;
    if (className) td.className = className;
    row.appendChild(td);
    return td;
  }

  function drawChart(series) {
    // At least the last minute, at most the five minutes the server keeps; newest on the right.
    const width = 600, height = 160, slots = Math.max(60, series.events.length);
    const lines = { 'events-line': series.events, 'deliveries-line': series.deliveries, 'failures-line': series.failures };
    const max = Math.max(1, ...series.events, ...series.deliveries, ...series.failures);
    for (const [id, values] of Object.entries(lines)) {
      const offset = slots - values.length; // newest on the right
      const points = values.map((v, i) =>
        `${((offset + i) * width / (slots - 1)).toFixed(1)},${(height - 2 - v / max * (height - 6)).toFixed(1)}`);
      $(id).setAttribute('points', points.join(' '));
    }
    set('chart-max', number.format(max));
    set('chart-window', slots >= 120 ? `Last ${Math.round(slots / 60)} minutes` : 'Last minute');
  }

  function drawDrops(dropped) {
    const body = $('drops').tBodies[0];
    body.replaceChildren();
    for (const [reason, count] of Object.entries(dropped)) {
      const row = body.insertRow();
      row.dataset.reason = reason;
      cell(row, reason.replace('_', ' '));
      cell(row, number.format(count), 'num');
    }
  }

  function drawNorns(norns) {
    const body = $('norns').tBodies[0];
    body.replaceChildren();
    for (const norn of norns) {
      const d = norn.delivery;
      const row = body.insertRow();
      row.dataset.nornId = norn.id;
      row.dataset.state = d.state;
      const id = cell(row, norn.id.slice(0, 12) + '…', 'mono');
      id.title = norn.id;
      cell(row, norn.deviceId, 'mono');
      const state = cell(row, '');
      const badge = document.createElement('span');
      badge.className = 'state ' + d.state;
      badge.textContent = d.state === 'cutOff' ? 'cut off until ' + time(d.cutOffUntil) : d.state;
      state.appendChild(badge);
      cell(row, number.format(d.queued), 'num');
      cell(row, number.format(d.delivered), 'num');
      cell(row, number.format(d.failed), 'num');
      cell(row, number.format(Object.values(d.dropped).reduce((a, b) => a + b, 0)), 'num');
      const failure = d.lastFailure;
      cell(row, failure ? `${time(failure.at)} ${failure.statusCode ?? failure.error ?? ''}`.trim() : '', 'last-failure');
    }
    $('norns-empty').hidden = norns.length > 0;
  }

  function draw(data) {
    set('instance', data.instance);
    set('updated', 'updated ' + time(data.at));
    set('events-rate', rate.format(recent(data.series.events)));
    set('deliveries-rate', rate.format(recent(data.series.deliveries)));
    set('events-total', number.format(data.totals.eventsReceived));
    set('deliveries-total', number.format(data.totals.delivered));
    set('failures-total', number.format(data.totals.failed));
    set('cutoffs-total', number.format(data.totals.cutOffs));
    set('norns-registered', number.format(data.host.registeredNorns));
    set('norns-active', number.format(data.host.activeNorns));
    set('buffered-bytes', bytes(data.host.bufferedBytes));
    set('buffered-events', number.format(data.host.bufferedEvents));
    set('norns-cutoff', number.format(data.host.cutOffNorns));
    set('norns-failing', number.format(data.host.failingNorns));
    $('norns-cutoff').parentElement.classList.toggle('alert', data.host.cutOffNorns > 0);
    $('norns-failing').parentElement.classList.toggle('alert', data.host.failingNorns > 0);
    drawChart(data.series);
    drawDrops(data.totals.dropped);
    drawNorns(data.norns);
  }

  async function poll() {
    try {
      const response = await fetch(base + '/data', { headers: { Accept: 'application/json' }, cache: 'no-store' });
      if (!response.ok) throw new Error('the server answered ' + response.status);
      draw(await response.json());
      set('status', '');
    } catch (error) {
      set('status', 'not updating: ' + error.message);
    } finally {
      setTimeout(poll, 1000);
    }
  }

  poll();
})();
