// riir-airflow UI: theme, live refresh (server-sent events from the metastore's NOTIFY), grid toggles, actions
// through the REST API (/api/v2, authenticated by the session cookie), and live logs. No framework, no build.
"use strict";
(function () {
  const root = document.documentElement;
  const RUNNING = new Set(["running", "queued", "scheduled", "up_for_retry", "up_for_reschedule", "deferred", "restarting", "awaiting_input"]);

  // --- theme ----------------------------------------------------------------------------------------------------
  function applyTheme(theme) {
    root.dataset.theme = theme;
    const button = document.getElementById("theme-toggle");
    if (button) button.setAttribute("aria-label", theme === "dark" ? "Switch to light mode" : "Switch to dark mode");
  }
  applyTheme(localStorage.getItem("riir-theme") || (matchMedia("(prefers-color-scheme: dark)").matches ? "dark" : "light"));
  document.addEventListener("click", (ev) => {
    if (ev.target.closest("#theme-toggle")) {
      const next = root.dataset.theme === "dark" ? "light" : "dark";
      localStorage.setItem("riir-theme", next);
      applyTheme(next);
    }
  });

  // --- REST calls -------------------------------------------------------------------------------------------------
  async function api(method, url, body) {
    const response = await fetch(url, {
      method, credentials: "same-origin",
      headers: body === undefined ? {} : { "Content-Type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    let data = null;
    const text = await response.text();
    try { data = text ? JSON.parse(text) : null; } catch (_) { data = text; }
    if (!response.ok) {
      let detail = data && data.detail !== undefined ? data.detail : data;
      if (Array.isArray(detail)) detail = detail.map((d) => `${(d.loc || []).join(".")}: ${d.msg}`).join("; ");
      throw new Error(`${response.status}: ${typeof detail === "string" ? detail : JSON.stringify(detail)}`);
    }
    return data;
  }
  function showError(where, error) {
    const box = where.querySelector(".form-error") || document.getElementById("page-error");
    if (box) { box.textContent = String(error.message || error); box.hidden = false; }
  }

  // --- grid cells ---------------------------------------------------------------------------------------------------
  // The server sends the grid's rows and a compact table of states; the cells are drawn here (10,000 cells as HTML
  // would dominate the page's size and server time). Every text goes through esc(): ids are shown, never parsed.
  const ACTIVE = RUNNING;
  function esc(text) {
    return String(text).replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);
  }
  function drawGrids() {
    document.querySelectorAll("script.grid-data:not([data-drawn])").forEach((script) => {
      script.dataset.drawn = "1";
      const data = JSON.parse(script.textContent);
      const table = script.parentElement.querySelector("table.grid");
      const runs = data.runs.map(([id, quoted]) => [esc(id), quoted]);
      data.rows.forEach(([kind, id, mapIndex], i) => {
        const tr = table.querySelector(`tr[data-row-index="${i}"]`);
        if (!tr) return;
        const task = esc(id);
        const name = kind === "index" ? `${task}[${mapIndex}]` : task;
        const href = `${data.dag}/runs/{run}/tasks/${encodeURIComponent(id)}${kind === "index" ? "?map_index=" + mapIndex : ""}`;
        const html = data.cells[i].map((cell, r) => {
          if (!cell) return '<td><span class="c empty" title="no task instance" aria-hidden="true"></span></td>';
          const [state, count] = cell;
          const css = state || "none";
          const label = state === null ? "no status" : state.replaceAll("_", " ");
          const active = ACTIVE.has(state) ? ' data-active="1"' : "";
          if (kind === "group")
            return `<td><span class="c s-${css}" role="img" title="${task} in ${runs[r][0]}: ${label} (${count} tasks)"${active}></span></td>`;
          const extra = count > 1 ? ` (${count} mapped)` : "";
          return `<td><a class="s-${css}" href="${href.replace("{run}", runs[r][1])}" title="${name} in ${runs[r][0]}: ${label}${extra}"${active}></a></td>`;
        });
        tr.insertAdjacentHTML("beforeend", html.join(""));
      });
    });
  }

  // --- grid toggles -----------------------------------------------------------------------------------------------
  const dagId = document.body.dataset.dagId || "";
  const storeKey = "riir-expanded:" + dagId;
  const expanded = new Set(JSON.parse(sessionStorage.getItem(storeKey) || "[]"));
  function applyGrid() {
    document.querySelectorAll("tr[data-ancestors]").forEach((tr) => {
      const ancestors = tr.dataset.ancestors.split(" ").filter(Boolean);
      tr.hidden = !ancestors.every((a) => expanded.has(a));
    });
    document.querySelectorAll("button.grid-toggle").forEach((b) => {
      const open = expanded.has(b.dataset.toggle);
      b.setAttribute("aria-expanded", String(open));
      b.textContent = open ? "▾" : "▸";
    });
  }
  document.addEventListener("click", (ev) => {
    const button = ev.target.closest("button.grid-toggle");
    if (!button) return;
    const id = button.dataset.toggle;
    if (expanded.has(id)) expanded.delete(id); else expanded.add(id);
    sessionStorage.setItem(storeKey, JSON.stringify([...expanded]));
    applyGrid();
  });

  // --- live refresh -----------------------------------------------------------------------------------------------
  let refreshTimer = null;
  let followTimer = null;
  async function refresh() {
    const parts = document.querySelectorAll("[data-live-src]");
    await Promise.all([...parts].map(async (el) => {
      const response = await fetch(el.dataset.liveSrc, { credentials: "same-origin" });
      if (response.ok) el.innerHTML = await response.text();
    }));
    drawGrids();
    applyGrid();
    document.dispatchEvent(new CustomEvent("riir:refreshed"));
    // A run's own state change has no NOTIFY of its own: look again shortly while anything is still going on.
    clearTimeout(followTimer);
    // Changes made between rendering the page and subscribing were not notified to us: look once on (re)connect.
    let opened = false;
    source.addEventListener("open", () => {
      if (opened) scheduleRefresh();
      opened = true;
      document.dispatchEvent(new CustomEvent("riir:open"));
    });
    if (document.querySelector("[data-live-src] [data-active='1']")) followTimer = setTimeout(refresh, 1500);
  }
  function scheduleRefresh() {
    clearTimeout(refreshTimer);
    refreshTimer = setTimeout(refresh, 250);
  }
  if (document.querySelector("[data-live-src]") || document.querySelector("pre.log")) {
    const url = "/ui/events" + (dagId ? "?dag_id=" + encodeURIComponent(dagId) : "");
    const source = new EventSource(url);
    ["riir_run_created", "riir_task_state", "riir_dag_paused", "riir_app_registered"].forEach((name) =>
      source.addEventListener(name, (ev) => {
        scheduleRefresh();
        document.dispatchEvent(new CustomEvent("riir:event", { detail: { name, data: JSON.parse(ev.data) } }));
      }));
    // Changes made between rendering the page and subscribing were not notified to us: look once on (re)connect.
    let opened = false;
    source.addEventListener("open", () => {
      if (opened) scheduleRefresh();
      opened = true;
      document.dispatchEvent(new CustomEvent("riir:open"));
    });
    if (document.querySelector("[data-live-src] [data-active='1']")) followTimer = setTimeout(refresh, 1500);
  }

  // --- live log ---------------------------------------------------------------------------------------------------
  const log = document.querySelector("pre.log[data-log-url]");
  if (log) {
    let token = null;
    let busy = false;
    let running = log.dataset.running === "1";
    async function pull() {
      if (busy) return;
      busy = true;
      try {
        do {
          const url = log.dataset.logUrl + (token ? "&token=" + encodeURIComponent(token) : "");
          const data = await api("GET", url);
          token = data.continuation_token;
          if (data.content.length) {
            const atBottom = log.scrollTop + log.clientHeight >= log.scrollHeight - 4;
            // textContent: a log line is text, never markup.
            log.append(document.createTextNode(data.content.map((l) => l.event).join("\n") + "\n"));
            if (atBottom) log.scrollTop = log.scrollHeight;
            log.querySelector(".log-empty")?.remove();
          }
          if (data.content.length < 1000) break;
        } while (true);
      } catch (err) {
        showError(document, err);
      } finally {
        busy = false;
      }
    }
    pull();
    setInterval(() => { if (running) pull(); }, 1000);
    // While the try is in flight, re-read its state now and then as well: a wake-up lost in a reconnect would
    // otherwise leave the page showing "running" (this costs nothing once the try has finished).
    setInterval(async () => {
      if (!running) return;
      try { const ti = await api("GET", log.dataset.tiUrl); if (!RUNNING.has(ti.state)) showState(ti.state, ti.try_number); }
      catch (err) { showError(document, err); }
    }, 3000);
    function showState(state, tryNumber) {
      // Following the latest try (no try chosen in the URL): a rerun's log replaces the previous one.
      const shown = Number(log.dataset.try);
      if (log.dataset.follow === "1" && tryNumber > shown) {
        log.dataset.try = String(tryNumber);
        log.dataset.logUrl = log.dataset.logUrl.replace(/\/logs\/\d+\?/, `/logs/${tryNumber}?`);
        log.setAttribute("aria-label", `Log of try ${tryNumber}`);
        const heading = document.getElementById("log-try");
        if (heading) heading.textContent = `try ${tryNumber}`;
        log.textContent = "";
        token = null;
      }
      running = RUNNING.has(state);
      const label = document.getElementById("ti-state");
      if (label) { label.textContent = (state || "no status").replaceAll("_", " "); }
      const dot = document.getElementById("ti-dot");
      if (dot) { dot.className = "dot s-" + (state || "none"); dot.title = state || "no status"; }
      pull();
    }
    document.addEventListener("riir:event", (ev) => {
      const d = ev.detail.data;
      if (ev.detail.name !== "riir_task_state" || d.task_id !== log.dataset.taskId || d.run_id !== log.dataset.runId
          || String(d.map_index) !== log.dataset.mapIndex) return;
      showState(d.state, d.try_number);
    });
    // The state may have changed before the event stream was connected: read it once then.
    document.addEventListener("riir:open", async () => {
      try { const ti = await api("GET", log.dataset.tiUrl); showState(ti.state, ti.try_number); } catch (err) { showError(document, err); }
    });
  }

  // --- actions ----------------------------------------------------------------------------------------------------
  document.addEventListener("click", async (ev) => {
    const opener = ev.target.closest("[data-open]");
    if (opener) {
      const dialog = document.getElementById(opener.dataset.open);
      dialog.querySelectorAll(".form-error").forEach((e) => { e.hidden = true; e.textContent = ""; });
      dialog.showModal();
      return;
    }
    const tester = ev.target.closest("button[data-test-connection]");
    if (tester) {  // the connection form, sent to the test endpoint instead, showing the answer
      const form = tester.form;
      const [url, then] = [form.dataset.apiUrl, form.dataset.then];
      form.dataset.apiUrl = tester.dataset.testConnection; form.dataset.then = "show";
      form.requestSubmit();
      form.dataset.apiUrl = url; form.dataset.then = then;
      return;
    }
    const closer = ev.target.closest("[data-close]");
    if (closer) { closer.closest("dialog").close(); return; }
    const toggle = ev.target.closest("button.toggle[data-pause-dag]");
    if (toggle) {
      const active = toggle.getAttribute("aria-checked") === "true";
      try {
        await api("PATCH", `/api/v2/dags/${encodeURIComponent(toggle.dataset.pauseDag)}?update_mask=is_paused`, { is_paused: active });
        toggle.setAttribute("aria-checked", String(!active));
        toggle.title = active ? "Paused: click to unpause" : "Active: click to pause";
        const label = toggle.parentElement.querySelector(".pause-label");
        if (label) label.textContent = active ? "Paused" : "Active";
      } catch (err) { showError(document, err); }
      return;
    }
    const call = ev.target.closest("button[data-api-url]");
    if (call) {
      if (call.dataset.confirm && !confirm(call.dataset.confirm)) return;
      try {
        await api(call.dataset.apiMethod || "POST", call.dataset.apiUrl, call.dataset.apiBody ? JSON.parse(call.dataset.apiBody) : undefined);
        if (call.dataset.then === "reload") location.reload(); else scheduleRefresh();
      } catch (err) { showError(call.closest("dialog") || document, err); }
    }
  });

  function paramValue(input) {
    const type = input.dataset.type;
    if (input.type === "checkbox") return input.checked;
    const raw = input.value;
    if (raw === "" && input.dataset.nullable === "1") return null;
    if (type === "integer" || type === "number") {
      if (raw === "") return null;
      const n = Number(raw);
      if (Number.isNaN(n) || (type === "integer" && !Number.isInteger(n))) throw new Error(`${input.name}: ${raw} is not of type '${type}'`);
      return n;
    }
    if (type === "array" || type === "object") {
      let value;
      try { value = JSON.parse(raw || (type === "array" ? "[]" : "{}")); } catch (_) { throw new Error(`${input.name}: not valid JSON`); }
      if (type === "array" ? !Array.isArray(value) : (typeof value !== "object" || Array.isArray(value) || value === null))
        throw new Error(`${input.name}: ${raw} is not of type '${type}'`);
      return value;
    }
    return raw;
  }

  function buildBody(form, submitter) {
    const body = {};
    // A human-in-the-loop answer: the option button pressed, or every ticked option of a multiple choice.
    if (submitter && submitter.dataset.choose !== undefined) body.chosen_options = [submitter.dataset.choose];
    form.querySelectorAll("input[data-option]:checked").forEach((input) => {
      (body[input.dataset.option] = body[input.dataset.option] || []).push(input.value);
    });
    const conf = {};
    form.querySelectorAll("[data-param]").forEach((input) => { conf[input.dataset.param] = paramValue(input); });
    form.querySelectorAll("[data-field]").forEach((input) => {
      const name = input.dataset.field;
      let value = input.type === "checkbox" ? input.checked : input.value;
      if (input.type === "radio") { if (!input.checked) return; value = input.value; }
      if (input.dataset.kind === "json") {
        try { value = value.trim() ? JSON.parse(value) : {}; } catch (_) { throw new Error(`${name}: not valid JSON`); }
      } else if (input.dataset.kind === "number") value = Number(value);
      else if (input.dataset.kind === "bool") value = value === true || value === "true";
      else if (input.dataset.kind === "date") { if (!value) { if (input.dataset.null === "1") body[name] = null; return; } value = new Date(value + (value.length <= 16 ? ":00Z" : "Z")).toISOString(); }
      else if (input.dataset.kind === "list") value = value.split(",").map((s) => s.trim()).filter(Boolean);
      if (value === "" && input.dataset.optional === "1") return;
      body[name] = value;
    });
    if (form.querySelector("[data-param]") || form.dataset.conf === "1") {
      const key = form.dataset.paramsKey || "conf";  // a trigger's conf, or a human-in-the-loop answer's params_input
      body[key] = Object.assign({}, body[key] || {}, conf);
    }
    return body;
  }

  document.addEventListener("submit", async (ev) => {
    const plain = ev.target.closest("form[data-confirm]:not([data-api-url])");
    if (plain) { if (!confirm(plain.dataset.confirm)) ev.preventDefault(); return; }
    const form = ev.target.closest("form[data-api-url]");
    if (!form) return;
    ev.preventDefault();
    const error = form.querySelector(".form-error");
    if (error) { error.hidden = true; error.textContent = ""; }
    if (!form.reportValidity()) return;
    try {
      const body = buildBody(form, ev.submitter);
      let url = form.dataset.apiUrl;
      if (form.dataset.urlField) url = url.replace("{}", encodeURIComponent(body[form.dataset.urlField]));
      const result = await api(form.dataset.apiMethod || "POST", url, body);
      const then = form.dataset.then || "refresh";
      if (then === "reload") location.reload();
      else if (then.startsWith("goto:")) location.href = then.slice(5);
      else if (then === "show") { const out = form.querySelector(".form-result"); out.textContent = JSON.stringify(result, null, 2); out.hidden = false; return; }
      else scheduleRefresh();
      form.closest("dialog")?.close();
    } catch (err) {
      showError(form, err);
    }
  });

  // A <select data-autosubmit> submits its form on change (the directory asset page's event picker).
  document.querySelectorAll("select[data-autosubmit]").forEach((select) => {
    select.addEventListener("change", () => select.form.submit());
  });

  drawGrids();
  applyGrid();
})();
