// The wallboard: renders queue tiles from the live feed (/api/live, authenticated by the
// session cookie), ticks waits locally between frames, colours figures past the
// configured thresholds, and says so loudly when the feed or a PBX is lost.
"use strict";
(function () {
  const config = JSON.parse(document.getElementById("wallboard-config").textContent);
  const M = config.messages, T = config.thresholds;
  const state = { queues: new Map(), today: new Map(), bridges: {}, receivedAt: 0, lastFrame: 0, socket: null, retry: 1000 };
  const tiles = document.getElementById("queues");
  const status = document.getElementById("feed-status");
  const banner = document.getElementById("banner");
  const events = document.getElementById("events");
  const STALE_MS = 25000; // no frame (heartbeats come every 10 s) for this long = feed lost

  const key = (serverId, queue) => serverId + "\u0000" + queue;
  const el = (tag, cls, text) => { const e = document.createElement(tag); if (cls) e.className = cls; if (text !== undefined) e.textContent = text; return e; };
  const fmtWait = (s) => { s = Math.max(0, Math.round(s)); return Math.floor(s / 60) + ":" + String(s % 60).padStart(2, "0"); };
  const fmtPct = (v) => (v === null || v === undefined ? "–" : (Math.round(v * 10) / 10) + "%");
  const level = (value, amber, red, below) => {
    if (value === null || value === undefined) return "";
    if (below ? value < red : value > red) return "red";
    if (below ? value < amber : value > amber) return "amber";
    return "";
  };

  function setQueues(serverId, rows) {
    for (const k of [...state.queues.keys()]) if (k.startsWith(serverId + "\u0000")) state.queues.delete(k);
    for (const row of rows) state.queues.set(key(row.server_id || serverId, row.queue), { row, at: performance.now() });
  }
  function setToday(rows) {
    state.today = new Map(rows.map((r) => [key(r.server_id, r.queue), r]));
  }

  function figure(label, value, cls) {
    const box = el("div", "figure " + (cls || ""));
    box.append(el("div", "label", label), el("div", "value", value));
    return box;
  }

  function render() {
    const now = performance.now();
    const fresh = state.socket && state.socket.readyState === WebSocket.OPEN && Date.now() - state.lastFrame < STALE_MS;
    status.textContent = fresh ? M.feed_live : M.feed_lost;
    status.className = "feed " + (fresh ? "live" : "lost");
    status.dataset.state = fresh ? "live" : "lost";
    const down = Object.entries(state.bridges).filter(([, up]) => !up).map(([sid]) => M.bridge_down.replace("{server}", sid));
    const problems = (fresh ? [] : [M.feed_lost]).concat(down);
    banner.hidden = problems.length === 0;
    banner.textContent = problems.join(" · ");
    document.getElementById("clock").textContent = new Date().toLocaleTimeString(config.lang === "zh" ? "zh-CN" : "en-GB");

    tiles.replaceChildren();
    if (state.queues.size === 0) { tiles.append(el("p", "empty", M.no_queues)); return; }
    for (const [k, { row, at }] of [...state.queues.entries()].sort()) {
      const today = state.today.get(k) || {};
      const sl = today.service_level_s || T.default_service_level_s;
      const elapsed = fresh && row.callers_waiting > 0 ? (now - at) / 1000 : 0;
      const longest = row.callers_waiting > 0 ? row.longest_wait_s + elapsed : 0;
      const waitLevel = longest > sl * T.wait_red_factor ? "red" : longest > sl ? "amber" : "";
      const slLevel = level(today.service_level, T.service_level_amber, T.service_level_red, true);
      const arLevel = level(today.answer_rate, T.answer_rate_amber, T.answer_rate_red, true);
      const worst = [waitLevel, slLevel, arLevel].includes("red") ? "red" : [waitLevel, slLevel, arLevel].includes("amber") ? "amber" : "";
      const tile = el("article", "tile " + worst + (row.live === false || !fresh ? " stale" : ""));
      tile.dataset.queue = row.queue;
      tile.dataset.level = worst || "ok";
      const title = el("h2", null, row.queue);
      title.append(el("small", null, row.server_id));
      const figs = el("div", "figures");
      figs.append(
        figure(M.waiting, String(row.callers_waiting), row.callers_waiting > 0 ? waitLevel : ""),
        figure(M.longest_wait, fmtWait(longest), waitLevel),
        figure(M.abandoned + " (" + M.today + ")", String(today.abandoned ?? 0), ""),
        figure(M.service_level + " (" + M.today + ")", fmtPct(today.service_level), slLevel),
        figure(M.answer_rate + " (" + M.today + ")", fmtPct(today.answer_rate), arLevel),
        figure(M.on_call, String(row.agents_on_call), ""),
      );
      figs.querySelector(".figure:nth-child(1)").dataset.metric = "waiting";
      const agents = el("div", "agents");
      for (const [label, n, metric] of [[M.available, row.agents_available, "available"], [M.on_call, row.agents_on_call, "on_call"], [M.paused, row.agents_paused, "paused"]]) {
        const span = el("span", null, label + " ");
        span.dataset.metric = metric;
        span.append(el("b", null, String(n)));
        agents.append(span);
      }
      const paused = el("ul", "paused-list");
      for (const a of row.agents.filter((a) => a.status === "paused")) paused.append(el("li", null, a.name + (a.paused_reason ? " — " + a.paused_reason : "")));
      tile.append(title, figs, agents, paused);
      tiles.append(tile);
    }
  }

  function noteCall(ev) {
    const label = M[ev.event] || ev.event;
    const time = new Date(ev.at || Date.now()).toLocaleTimeString(config.lang === "zh" ? "zh-CN" : "en-GB");
    const item = el("li", null, [time, ev.queue || "", label, ev.caller || "", ev.agent || ""].filter(Boolean).join("  "));
    events.prepend(item);
    while (events.children.length > 8) events.lastChild.remove();
  }

  function onFrame(frame) {
    state.lastFrame = Date.now();
    switch (frame.type) {
      case "snapshot":
        state.queues.clear();
        for (const row of frame.queues) state.queues.set(key(row.server_id, row.queue), { row, at: performance.now() });
        setToday(frame.today || []);
        state.bridges = frame.bridges || {};
        break;
      case "queues": setQueues(frame.server_id, frame.queues); break;
      case "today": setToday(frame.stats || []); break;
      case "bridge": state.bridges[frame.server_id] = frame.connected; break;
      case "call": noteCall(frame); break;
    }
    render();
  }

  function connect() {
    const url = (location.protocol === "https:" ? "wss://" : "ws://") + location.host + "/api/live";
    const socket = new WebSocket(url);
    state.socket = socket;
    socket.onopen = () => { state.retry = 1000; };
    socket.onmessage = (msg) => { try { onFrame(JSON.parse(msg.data)); } catch (e) { console.error(e); } };
    socket.onclose = (ev) => {
      render();
      if (ev.code === 4401) { location.href = "/login?next=/wallboard"; return; }
      setTimeout(connect, state.retry);
      state.retry = Math.min(state.retry * 2, 15000);
    };
  }

  connect();
  setInterval(render, 1000);
})();
