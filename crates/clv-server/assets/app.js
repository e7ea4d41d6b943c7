// clv dashboard: a hand-written single page app (no build step, no dependencies).
// Hash routes: #/  #/upload  #/analysis/ID  #/analysis/ID/customers  #/analysis/ID/customer/CID
"use strict";

(function () {
  const $ = (sel, root) => (root || document).querySelector(sel);
  const main = $("#main");
  const state = { config: null, pollTimer: null, route: "", gen: 0 };
  // each render belongs to one visit of a route; a slow request from an earlier visit must not draw
  function visit() { const g = state.gen; return () => g !== state.gen; }

  // ---------- formatting: never NaN/undefined on screen ----------
  const DASH = "\u2013";
  const ok = (v) => v !== null && v !== undefined && !(typeof v === "number" && !isFinite(v));
  function num(v, digits) {
    if (!ok(v) || typeof v !== "number") return ok(v) ? esc(String(v)) : DASH;
    const d = digits === undefined ? (Math.abs(v) >= 100 || Number.isInteger(v) ? 0 : 2) : digits;
    return v.toLocaleString("en-US", { minimumFractionDigits: d, maximumFractionDigits: d });
  }
  const int = (v) => num(v, 0);
  const money = (v) => (ok(v) && typeof v === "number" ? (v < 0 ? "-$" : "$") + num(Math.abs(v), Math.abs(v) >= 1000 ? 0 : 2) : DASH);
  const pct = (v, d) => (ok(v) && typeof v === "number" ? num(v * 100, d === undefined ? 0 : d) + "%" : DASH);
  const txt = (v) => (ok(v) && v !== "" ? esc(String(v)) : DASH);
  function esc(s) {
    return String(s).replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c]));
  }
  const gname = (x, key) => (x && ok(x[key]) ? x[key] : x && ok(x.name) ? x.name : null);
  const plural = (u) => (/s$/.test(u) ? u : u + "s");
  const label = (s) => (ok(s) ? String(s).replace(/_/g, " ") : DASH);
  function shortNum(v) {
    if (!ok(v)) return DASH;
    const a = Math.abs(v);
    if (a >= 1e6) return num(v / 1e6, a >= 1e7 ? 0 : 1) + "M";
    if (a >= 1e4) return num(v / 1e3, 0) + "k";
    if (a >= 1000) return num(v, 0);
    if (a >= 10 || Number.isInteger(v)) return num(v, 0);
    return num(v, a >= 1 ? 1 : 2);
  }

  // ---------- dataset kinds ----------
  const KINDS = [["transactions", "Transactions"], ["customers", "Customers"], ["spend", "Marketing spend"], ["events", "Engagement events"]];
  const KIND_NAME = { transactions: "transactions", customers: "customers", spend: "marketing spend", events: "engagement events" };
  const KIND_HELP = {
    transactions: "One row per purchase: <code>customer_id</code>, <code>date</code>, <code>amount</code> (CSV or Parquet).",
    customers: "One row per customer: <code>customer_id</code>, <code>channel</code>, <code>acquisition_cost</code>, <code>referred_by</code>, then any attributes (CSV).",
    spend: "Marketing spend: <code>date</code>, <code>channel</code>, <code>amount</code> (CSV); with a customers file it gives CAC per channel.",
    events: "Engagement: <code>customer_id</code>, <code>timestamp</code>, <code>kind</code> (review, mention, …), <code>weight</code> (CSV).",
  };
  const dsKind = (d) => (d && d.kind) || "transactions";
  function datasetsTable(datasets, withActions) {
    if (!datasets.length) return `<p class="muted">No datasets uploaded.</p>`;
    return `<div class="table-wrap"><table data-testid="datasets-table"><thead><tr><th scope="col">Name</th><th scope="col">Kind</th><th scope="col">Format</th><th scope="col" class="n">Rows</th><th scope="col" class="n">Customers</th><th scope="col">Uploaded</th>${withActions ? `<th scope="col"><span class="sr-only">Actions</span></th>` : ""}</tr></thead><tbody>
      ${datasets.map((d) => { const k = dsKind(d); return `<tr data-testid="dataset-row" data-kind="${esc(k)}"><td>${txt(d.name)}</td><td><span class="badge kind-${esc(k)}" data-testid="dataset-kind">${esc(KIND_NAME[k] || k)}</span></td><td>${txt(d.format)}</td><td class="n">${int(d.rows)}</td><td class="n">${k !== "transactions" && !d.customers ? DASH : int(d.customers)}</td><td>${txt(fmtTime(d.uploaded_at))}</td>${withActions ? `<td class="actions-cell">${k === "transactions" ? `<a class="button small" href="#/upload?dataset=${encodeURIComponent(d.name)}">Analyse</a>` : `<a class="button small secondary" href="#/upload?dataset=${encodeURIComponent(d.name)}">Use</a>`} <button type="button" class="small secondary" data-delete="${esc(d.name)}">Delete</button></td>` : ""}</tr>`; }).join("")}
    </tbody></table></div>`;
  }

  // ---------- API with token handling ----------
  const TOKEN_KEY = "clv.token";
  const token = () => localStorage.getItem(TOKEN_KEY) || "";
  let tokenWaiters = [];
  function showTokenPanel(msg) {
    $("#token-msg").textContent = msg;
    $("#token-panel").hidden = false;
    $("#token-input").focus();
  }
  function askToken(status) {
    showTokenPanel(status === 403 ? "That token was not accepted. Try again." : "Customer data and changes need the access token.");
    return new Promise((resolve) => tokenWaiters.push(resolve));
  }
  // A customer-level read of an analysis that does not exist: the token is checked before the
  // lookup, so 401/403 means a bad token and anything else (404) a good one.
  async function tokenAccepted(t) {
    try {
      const res = await fetch("/api/analyses/token-check/customers?limit=1", { headers: { Authorization: "Bearer " + t } });
      return res.status !== 401 && res.status !== 403;
    } catch (e) { return true; }
  }
  $("#token-form").addEventListener("submit", async (e) => {
    e.preventDefault();
    const t = $("#token-input").value.trim();
    $("#token-submit").disabled = true;
    const good = await tokenAccepted(t);
    $("#token-submit").disabled = false;
    if (!good) { $("#token-input").value = ""; showTokenPanel("That token was not accepted. Try again."); return; }
    localStorage.setItem(TOKEN_KEY, t);
    $("#token-input").value = "";
    $("#token-panel").hidden = true;
    $("#token-button").hidden = false;
    const w = tokenWaiters; tokenWaiters = [];
    w.forEach((r) => r());
  });
  $("#token-button").addEventListener("click", () => showTokenPanel(token() ? "Enter another access token." : "Customer data and changes need the access token."));

  class ApiError extends Error {
    constructor(status, message) { super(message); this.status = status; }
  }
  async function api(path, opts) {
    opts = opts || {};
    for (let attempt = 0; attempt < 5; attempt++) {
      const headers = Object.assign({}, opts.headers || {});
      if (token()) headers["Authorization"] = "Bearer " + token();
      let res;
      try {
        res = await fetch(path, { method: opts.method || "GET", headers, body: opts.body });
      } catch (e) {
        throw new ApiError(0, "The server could not be reached (" + e.message + ").");
      }
      if (res.status === 401 || res.status === 403) { await askToken(res.status); continue; }
      if (opts.raw) {
        if (!res.ok) throw new ApiError(res.status, await errorText(res));
        return res;
      }
      if (res.status === 204) return null;
      const body = await res.text();
      let data = null;
      try { data = body ? JSON.parse(body) : null; } catch (e) { data = null; }
      if (!res.ok) throw new ApiError(res.status, (data && data.error) || body || res.statusText || "HTTP " + res.status);
      return data;
    }
    throw new ApiError(403, "No valid token.");
  }
  async function errorText(res) {
    const t = await res.text();
    try { return JSON.parse(t).error || t; } catch (e) { return t || "HTTP " + res.status; }
  }
  async function download(path, filename) {
    const res = await api(path, { raw: true });
    const blob = await res.blob();
    const cd = res.headers.get("Content-Disposition") || "";
    const m = /filename="?([^";]+)"?/.exec(cd);
    const a = document.createElement("a");
    a.href = URL.createObjectURL(blob);
    a.download = m ? m[1] : filename;
    document.body.appendChild(a);
    a.click();
    setTimeout(() => { URL.revokeObjectURL(a.href); a.remove(); }, 1000);
  }

  // ---------- routing ----------
  function stopPolling() { if (state.pollTimer) { clearTimeout(state.pollTimer); state.pollTimer = null; } }
  async function router() {
    stopPolling();
    state.gen++;
    state.redraw = null;
    const h = location.hash.replace(/^#/, "") || "/";
    state.route = h;
    const parts = h.split("?")[0].split("/").filter(Boolean).map(decodeURIComponent);
    document.querySelectorAll("header nav a").forEach((a) => a.removeAttribute("aria-current"));
    try {
      if (parts.length === 0) { $("#nav-home").setAttribute("aria-current", "page"); await pageHome(); }
      else if (parts[0] === "upload") { $("#nav-upload").setAttribute("aria-current", "page"); await pageUpload(); }
      else if (parts[0] === "analysis" && parts[1]) {
        if (parts[2] === "customer" && parts[3]) await pageCustomer(parts[1], parts[3]);
        else await pageAnalysis(parts[1], parts[2] === "customers" ? "customers" : "overview");
      } else main.innerHTML = `<h1>Not found</h1><p><a href="#/">Back to the analyses</a></p>`;
    } catch (e) {
      if (h !== state.route) return;
      if (e.status === 404) { main.innerHTML = `<h1>Not found</h1><p class="error" role="alert">${esc(e.message)}</p><p><a href="#/">Back to the analyses</a></p>`; return; }
      main.innerHTML = `<h1>Something went wrong</h1><p class="error" role="alert">${esc(e.message)}</p><p><a href="#/">Back to the analyses</a></p>`;
    }
  }
  let resizeTimer = null, lastWidth = window.innerWidth;
  window.addEventListener("resize", () => {
    clearTimeout(resizeTimer);
    resizeTimer = setTimeout(() => {
      if (Math.abs(window.innerWidth - lastWidth) < 40 || !state.redraw) return;
      lastWidth = window.innerWidth;
      state.redraw();
    }, 200);
  });
  window.addEventListener("hashchange", () => { router(); main.focus({ preventScroll: true }); window.scrollTo(0, 0); });

  // ---------- pages ----------
  async function pageHome() {
    main.innerHTML = `<h1>Analyses</h1><p class="muted">Loading…</p>`;
    const stale = visit();
    const [ds, an] = await Promise.all([api("/api/datasets"), api("/api/analyses")]);
    if (stale()) return;
    const datasets = (ds && ds.datasets) || [];
    const analyses = ((an && an.analyses) || []).slice().sort((a, b) => String(b.created_at).localeCompare(String(a.created_at)));
    main.innerHTML = `
      <div class="page-head" data-testid="home"><h1>Analyses</h1><a class="button" href="#/upload" data-testid="new-analysis">New analysis</a></div>
      <section class="card" aria-labelledby="an-h"><h2 id="an-h">Analyses</h2>
      ${analyses.length ? `<div class="table-wrap"><table data-testid="analyses-table"><thead><tr><th scope="col">Analysis</th><th scope="col">Dataset</th><th scope="col">Model</th><th scope="col">State</th><th scope="col">Created</th></tr></thead><tbody>
        ${analyses.map((a) => `<tr><td><a href="#/analysis/${encodeURIComponent(a.id)}">${esc(a.id)}</a></td><td>${txt(a.dataset)}${sideNames(a.options)}</td><td>${esc((a.options && a.options.model) || "bg-nbd")}</td><td><span class="badge state-${esc(a.state)}">${txt(a.state)}</span></td><td>${txt(fmtTime(a.created_at))}</td></tr>`).join("")}
      </tbody></table></div>` : `<p class="muted">No analyses yet. <a href="#/upload">Upload a transaction file</a> to start.</p>`}
      </section>
      <section class="card" aria-labelledby="ds-h"><h2 id="ds-h">Datasets</h2>
      ${datasetsTable(datasets, true)}
      </section>`;
    main.querySelectorAll("[data-delete]").forEach((b) => b.addEventListener("click", async () => {
      if (!confirm("Delete dataset " + b.dataset.delete + "?")) return;
      await api("/api/datasets/" + encodeURIComponent(b.dataset.delete), { method: "DELETE" });
      pageHome();
    }));
  }
  function sideNames(o) {
    const side = [["customers", "customers"], ["spend_file", "spend"], ["events", "events"]].filter(([k]) => o && o[k]).map(([k, t]) => `${t} ${esc(o[k])}`);
    return side.length ? ` <span class="muted">+ ${side.join(", ")}</span>` : "";
  }
  function fmtTime(t) { return ok(t) ? String(t).replace("T", " ").replace(/(\.\d+)?Z$/, " UTC") : t; }

  async function pageUpload() {
    const models = (state.config && state.config.models) || ["bg-nbd", "pareto-nbd", "mbg-nbd", "bg-bb"];
    const pre = new URLSearchParams(location.hash.split("?")[1] || "").get("dataset") || "";
    main.innerHTML = `
      <h1>Upload data and run an analysis</h1>
      <div class="grid two">
      <section class="card" aria-labelledby="up-h">
        <h2 id="up-h">1. Upload a file</h2>
        <form id="upload-form" class="form">
          <label for="kind-select">What the file holds</label>
          <select id="kind-select" data-testid="kind-select" aria-describedby="kind-help">${KINDS.map(([k, t]) => `<option value="${k}">${esc(t)}</option>`).join("")}</select>
          <small id="kind-help" class="muted" data-testid="kind-help">${KIND_HELP.transactions}</small>
          <label for="file-input">File</label>
          <input id="file-input" data-testid="file-input" type="file" accept=".csv,.parquet,.txt,text/csv" required>
          <label for="name-input">Dataset name</label>
          <input id="name-input" data-testid="name-input" type="text" pattern="[A-Za-z0-9_\\-]{1,64}" maxlength="64" required placeholder="e.g. orders_2024" aria-describedby="name-help">
          <small id="name-help" class="muted">Letters, digits, _ and -; up to 64 characters.</small>
          <details class="advanced" id="columns-details"><summary>Column names (when not customer_id, date, amount)</summary>
            <div class="row three">
              <div><label for="customer-col">Customer column</label><input id="customer-col" type="text" placeholder="customer_id"></div>
              <div><label for="date-col">Date column</label><input id="date-col" type="text" placeholder="date"></div>
              <div><label for="amount-col">Amount column</label><input id="amount-col" type="text" placeholder="amount"></div>
            </div>
          </details>
          <div><button type="submit" id="upload-button" data-testid="upload-button">Upload</button></div>
        </form>
        <div id="upload-status" role="status" aria-live="polite"></div>
        <div id="report" data-testid="report"></div>
      </section>
      <section class="card" aria-labelledby="an-h">
        <h2 id="an-h">2. Run an analysis</h2>
        <form id="analysis-form" class="form">
          <label for="dataset-select">Transactions</label>
          <select id="dataset-select" data-testid="dataset-select" required></select>
          <fieldset class="side-inputs">
            <legend>Optional data (only datasets of that kind are offered)</legend>
            <div class="side-grid">
              <label for="customers-select">Customers</label><select id="customers-select" data-testid="customers-select"></select>
              <label for="spendfile-select">Marketing spend</label><select id="spendfile-select" data-testid="spendfile-select"></select>
              <label for="events-select">Engagement events</label><select id="events-select" data-testid="events-select"></select>
            </div>
            <small class="muted" id="side-help">Customers give value by channel, referral value (CRV) and, with acquisition costs or with spend, unit economics; spend needs customers.</small>
          </fieldset>
          <label for="model-select">Purchase model</label>
          <select id="model-select" data-testid="model-select">${models.map((m) => `<option value="${esc(m)}">${esc(m)}</option>`).join("")}</select>
          <label for="spend-select">Spend model</label>
          <select id="spend-select" data-testid="spend-select"><option value="gamma-gamma">gamma-gamma</option><option value="none">none (each customer's mean purchase)</option></select>
          <label for="horizon-input">Horizon</label>
          <input id="horizon-input" data-testid="horizon-input" type="text" value="12 months" aria-describedby="horizon-help">
          <small id="horizon-help" class="muted">e.g. 12 months, 52 weeks, 365 days.</small>
          <label for="calibration-input">Calibration end (optional, holds out later purchases to validate)</label>
          <input id="calibration-input" data-testid="calibration-input" type="date">
          <div class="row">
            <div><label for="margin-input">Margin (fraction)</label>
            <input id="margin-input" data-testid="margin-input" type="number" step="0.01" min="0" value="1.0"></div>
            <div><label for="discount-input">Annual discount rate</label>
            <input id="discount-input" data-testid="discount-input" type="number" step="0.01" min="0" value="0.1"></div>
          </div>
          <div><button type="submit" id="run-button" data-testid="run-button">Run analysis</button></div>
        </form>
        <div id="run-status" role="status" aria-live="polite"></div>
      </section>
      </div>
      <section class="card" aria-labelledby="dsl-h"><h2 id="dsl-h">Datasets on the server</h2><div id="upload-datasets" data-testid="upload-datasets"></div></section>`;
    const sel = $("#dataset-select");
    const sides = [["customers", "#customers-select"], ["spend", "#spendfile-select"], ["events", "#events-select"]];
    const stale = visit();
    async function fillDatasets(selectName) {
      const ds = ((await api("/api/datasets")) || {}).datasets || [];
      if (stale()) return;
      const of = (k) => ds.filter((d) => dsKind(d) === k);
      const tx = of("transactions");
      const keep = sel.value;
      sel.innerHTML = tx.length ? tx.map((d) => `<option value="${esc(d.name)}">${esc(d.name)} (${int(d.customers)} customers)</option>`).join("") : `<option value="">Upload a transaction file first</option>`;
      if (keep && tx.some((d) => d.name === keep)) sel.value = keep;
      sides.forEach(([k, id]) => {
        const el = $(id), cur = el.value, list = of(k);
        el.innerHTML = `<option value="">${list.length ? "none" : `none (no ${esc(KIND_NAME[k])} file uploaded)`}</option>` + list.map((d) => `<option value="${esc(d.name)}">${esc(d.name)} (${k === "customers" && d.customers ? `${int(d.customers)} customers` : `${int(d.rows)} rows`})</option>`).join("");
        el.disabled = !list.length;
        if (cur && list.some((d) => d.name === cur)) el.value = cur;
      });
      const pick = ds.find((d) => d.name === selectName);
      if (pick) {
        const side = sides.find(([k]) => k === dsKind(pick));
        (side ? $(side[1]) : sel).value = pick.name;
      }
      $("#upload-datasets").innerHTML = datasetsTable(ds, false);
    }
    await fillDatasets(pre);
    const kindSel = $("#kind-select");
    kindSel.addEventListener("change", () => {
      const k = kindSel.value;
      $("#kind-help").innerHTML = KIND_HELP[k] || "";
      $("#columns-details").hidden = k !== "transactions";
      $("#file-input").accept = k === "transactions" ? ".csv,.parquet,.txt,text/csv" : ".csv,.txt,text/csv";
    });
    $("#file-input").addEventListener("change", () => {
      const f = $("#file-input").files[0];
      if (f && !$("#name-input").value) $("#name-input").value = f.name.replace(/\.[^.]*$/, "").replace(/[^A-Za-z0-9_-]/g, "_").slice(0, 64);
    });
    $("#upload-form").addEventListener("submit", async (e) => {
      e.preventDefault();
      const f = $("#file-input").files[0];
      const name = $("#name-input").value.trim();
      const st = $("#upload-status");
      if (!f) { st.innerHTML = `<p class="error">Choose a file.</p>`; return; }
      st.innerHTML = `<p class="muted">Uploading ${esc(f.name)} (${int(f.size)} bytes)…</p>`;
      $("#upload-button").disabled = true;
      try {
        const kind = kindSel.value;
        const qs = new URLSearchParams({ name, kind });
        if (kind === "transactions") [["customer_col", "#customer-col"], ["date_col", "#date-col"], ["amount_col", "#amount-col"]].forEach(([k, sel]) => { const v = $(sel).value.trim(); if (v) qs.set(k, v); });
        const d = await api("/api/datasets?" + qs, { method: "POST", body: f, headers: { "Content-Type": "application/octet-stream" } });
        const k = dsKind(d);
        st.innerHTML = `<p class="success" data-testid="upload-ok">Uploaded <strong>${txt(d.name)}</strong> (${esc(KIND_NAME[k] || k)}): ${int(d.rows)} rows${d.customers ? `, ${int(d.customers)} customers` : ""}.</p>`;
        $("#report").innerHTML = k === "transactions" ? reportHtml(d.report) : sideReportHtml(d.report);
        await fillDatasets(d.name);
        $("#run-button").focus();
      } catch (err) {
        st.innerHTML = `<p class="error" role="alert" data-testid="upload-error">${esc(err.message)}</p>`;
      } finally { $("#upload-button").disabled = false; }
    });
    $("#analysis-form").addEventListener("submit", async (e) => {
      e.preventDefault();
      const st = $("#run-status");
      if (!sel.value) { st.innerHTML = `<p class="error">Upload a transaction file first.</p>`; return; }
      if ($("#spendfile-select").value && !$("#customers-select").value) { st.innerHTML = `<p class="error" role="alert">Marketing spend needs a customers file too (it gives each customer's channel).</p>`; $("#customers-select").focus(); return; }
      const body = {
        dataset: sel.value,
        model: $("#model-select").value,
        spend: $("#spend-select").value,
        horizon: $("#horizon-input").value.trim() || null,
        calibration_end: $("#calibration-input").value || null,
        observation_end: null,
        margin: numOrNull($("#margin-input").value),
        discount_rate: numOrNull($("#discount-input").value),
        customers: $("#customers-select").value || null,
        spend_file: $("#spendfile-select").value || null,
        events: $("#events-select").value || null,
      };
      $("#run-button").disabled = true;
      try {
        const r = await api("/api/analyses", { method: "POST", body: JSON.stringify(body), headers: { "Content-Type": "application/json" } });
        location.hash = "#/analysis/" + encodeURIComponent(r.id);
      } catch (err) {
        st.innerHTML = `<p class="error" role="alert">${esc(err.message)}</p>`;
        $("#run-button").disabled = false;
      }
    });
  }
  function sideReportHtml(r) {
    if (!r) return "";
    return `<h3>What was read</h3>
      <dl class="facts"><div><dt>Rows read</dt><dd>${int(r.rows_read)}</dd></div>${ok(r.customers) && r.customers > 0 ? `<div><dt>Customers</dt><dd>${int(r.customers)}</dd></div>` : ""}</dl>
      ${(r.lines || []).length ? `<pre class="report-lines" data-testid="report-lines">${(r.lines || []).map(esc).join("\n")}</pre>` : ""}`;
  }
  function numOrNull(s) { const v = parseFloat(s); return isFinite(v) ? v : null; }
  function reportHtml(r) {
    if (!r) return "";
    const cells = [["Rows read", int(r.rows_read)], ["Rows used", int(r.rows_used)], ["Customers", int(r.customers)],
      ["First date", txt(r.first_date)], ["Last date", txt(r.last_date)], ["Negative amounts", int(r.negative_rows)],
      ["Zero amounts", int(r.zero_rows)], ["Invalid rows", int(r.invalid_rows)]];
    return `<h3>Data-quality report</h3>
      <dl class="facts">${cells.map(([k, v]) => `<div><dt>${k}</dt><dd>${v}</dd></div>`).join("")}</dl>
      ${(r.lines || []).length ? `<pre class="report-lines" data-testid="report-lines">${(r.lines || []).map(esc).join("\n")}</pre>` : ""}`;
  }

  // ---------- analysis ----------
  async function pageAnalysis(id, tab) {
    const stale = visit();
    let a;
    try { a = await api("/api/analyses/" + encodeURIComponent(id)); }
    catch (e) {
      // a queued job may not be listed as an analysis yet: follow the job itself
      if (e.status !== 404) throw e;
      const j = await api("/api/jobs/" + encodeURIComponent(id));
      if (stale()) return;
      return showJob(id, { id, dataset: "", state: j.state, error: j.error });
    }
    if (stale()) return;
    if (a.state !== "done" || !a.result) return showJob(id, a);
    const r = a.result;
    main.innerHTML = analysisHead(a, tab) + `<div id="tab-body"></div>`;
    const body = $("#tab-body");
    if (tab === "customers") return customersView(body, a);
    body.innerHTML = overviewHtml(a);
    state.redraw = () => drawCharts(r.charts || {});
    state.redraw();
    body.querySelectorAll("[data-download]").forEach((b) => b.addEventListener("click", async () => {
      const name = b.dataset.download, fmt = b.dataset.format || "csv";
      b.disabled = true;
      try { await download(`/api/analyses/${encodeURIComponent(id)}/results/${encodeURIComponent(name)}.${fmt}`, `${name}.${fmt}`); }
      catch (e) { alert("Download failed: " + e.message); }
      finally { b.disabled = false; }
    }));
    body.querySelectorAll("[data-show-action]").forEach((b) => b.addEventListener("click", () => showAction(id, b.dataset.showAction, 0)));
  }
  function analysisHead(a, tab) {
    const o = a.options || {}, m = (a.result && a.result.model) || {}, ov = (a.result && a.result.overview) || {};
    const base = "#/analysis/" + encodeURIComponent(a.id);
    const spend = m.name ? m.spend || "mean purchase (no spend model)" : o.spend === "none" ? "mean purchase (no spend model)" : o.spend || "gamma-gamma";
    return `<div class="page-head"><div><h1>Analysis of ${txt(a.dataset)}</h1>
      <p class="muted">${txt(m.name || o.model || "bg-nbd")} + ${esc(spend)} · horizon ${txt(ov.horizon || o.horizon || "12 months")}${o.calibration_end ? " · calibration end " + esc(o.calibration_end) : ""}${ok(ov.observation_end) ? " · data to " + esc(ov.observation_end) : ""}${[["customers", "customers"], ["spend_file", "spend"], ["events", "events"]].filter(([k]) => o[k]).map(([k, t]) => ` · ${t} ${esc(o[k])}`).join("")} · id ${esc(a.id)}</p></div></div>
      <nav class="tabs" aria-label="Analysis sections">
        <a href="${base}" ${tab === "overview" ? 'aria-current="page"' : ""} data-testid="tab-overview">Overview</a>
        <a href="${base}/customers" ${tab === "customers" ? 'aria-current="page"' : ""} data-testid="tab-customers" id="tab-customers">Customers</a>
      </nav>`;
  }

  function showJob(id, a) {
    main.innerHTML = `<h1>Analysis${a.dataset ? " of " + esc(a.dataset) : ""}</h1>
      <section class="card" aria-labelledby="job-h"><h2 id="job-h">Progress</h2>
        <div class="progress"><progress id="job-progress" data-testid="job-progress" max="1" value="0" aria-labelledby="job-stage"></progress><span id="job-pct">0%</span></div>
        <p id="job-stage" role="status" aria-live="polite">${txt(a.state)}</p>
        <ul id="job-messages" class="messages"></ul>
        <div id="job-error"></div>
        <button type="button" id="cancel-button" data-testid="cancel-button" class="secondary">Cancel</button>
      </section>`;
    $("#cancel-button").addEventListener("click", async () => {
      $("#cancel-button").disabled = true;
      try { await api(`/api/jobs/${encodeURIComponent(id)}/cancel`, { method: "POST" }); } catch (e) { /* shown on next poll */ }
    });
    const route = state.route;
    async function poll() {
      if (state.route !== route) return;
      let j;
      try { j = await api("/api/jobs/" + encodeURIComponent(id)); }
      catch (e) {
        if (e.status === 404 && a.state !== "queued" && a.state !== "running") j = { state: a.state, progress: 1, error: a.error, messages: [] };
        else { $("#job-stage").textContent = "Lost contact with the server: " + e.message + " (retrying)"; state.pollTimer = setTimeout(poll, 2000); return; }
      }
      if (state.route !== route) return;
      const p = ok(j.progress) ? Math.max(0, Math.min(1, j.progress)) : 0;
      $("#job-progress").value = p;
      $("#job-pct").textContent = Math.round(p * 100) + "%";
      $("#job-stage").textContent = (j.state === "running" || j.state === "queued") ? `${label(j.state)}: ${j.stage || ""}` : label(j.state);
      $("#job-messages").innerHTML = (j.messages || []).slice(-8).map((m) => `<li>${esc(m)}</li>`).join("");
      if (j.state === "done") { stopPolling(); state.pollTimer = setTimeout(router, a.state === "done" ? 1000 : 200); return; }
      if (j.state === "failed" || j.state === "cancelled") {
        $("#cancel-button").hidden = true;
        $("#job-error").innerHTML = `<p class="error" role="alert" data-testid="job-error">${j.state === "failed" ? "The analysis failed: " + txt(j.error || a.error) : "The analysis was cancelled."}</p><p><a class="button" href="#/upload?dataset=${encodeURIComponent(a.dataset || "")}">Start again</a></p>`;
        return;
      }
      state.pollTimer = setTimeout(poll, 500);
    }
    poll();
  }

  function card(title, bodyHtml, opts) {
    opts = opts || {};
    return `<section class="card ${opts.cls || ""}" ${opts.id ? `id="${opts.id}"` : ""} aria-labelledby="${opts.hid || ""}">
      <h2 ${opts.hid ? `id="${opts.hid}"` : ""}>${title}</h2>${opts.sub ? `<p class="muted sub">${opts.sub}</p>` : ""}${bodyHtml}</section>`;
  }
  function overviewHtml(a) {
    const r = a.result, o = r.overview || {}, m = r.model || {}, v = r.validation, e = r.economics, c = r.charts || {};
    const horizon = o.horizon || (a.options && a.options.horizon) || "horizon";
    const kpis = [
      ["kpi-customers", "Customers", int(o.customers), `${int(o.repeat_customers)} bought again`],
      ["kpi-revenue", "Revenue to date", money(o.revenue), `${int(o.orders)} orders since ${txt(o.first_date)}`],
      ["kpi-predicted", `Predicted value, next ${esc(horizon)}`, money(o.predicted_value), `${num(o.predicted_purchases, 0)} purchases expected`],
      ["kpi-clv", "CLV per customer", money(o.mean_clv), `mean; median ${money(o.median_clv)}`],
      ltvCacKpi(e),
      paybackKpi(e),
    ];
    const params = Object.keys(m.params || {});
    const fit = `<div class="table-wrap"><table class="compact" data-testid="model-params"><thead><tr><th scope="col">Parameter</th><th scope="col" class="n">Estimate</th><th scope="col" class="n">Std. error</th></tr></thead><tbody>
      ${params.map((k) => `<tr><td>${esc(k)}</td><td class="n">${num(m.params[k], 4)}</td><td class="n">${num((m.standard_errors || {})[k], 4)}</td></tr>`).join("")}
      ${Object.keys(m.spend_params || {}).map((k, i) => `<tr${i === 0 ? ' class="group-start"' : ""}><td>${esc(k)} <span class="muted">(${txt(m.spend)})</span></td><td class="n">${num(m.spend_params[k], 4)}</td><td class="n">${num((m.spend_standard_errors || {})[k], 4)}</td></tr>`).join("")}</tbody></table></div>
      <p class="muted">Log-likelihood ${num(m.log_likelihood, 2)} · ${m.converged ? "converged" : "<strong>did not converge</strong>"} · ${m.identified === false ? "<strong>not identified</strong>" : "identified"}</p>
      ${(m.warnings || []).map((w) => `<p class="warn">${esc(w)}</p>`).join("")}`;
    const valid = v ? `<p class="muted">Fitted up to ${txt(v.calibration_end)}, checked against purchases to ${txt(v.observation_end)}.</p>
      <table class="compact" data-testid="validation"><tbody>${(v.metrics || []).map((x) => `<tr><th scope="row">${txt(x.label || x.name)}</th><td class="n">${/relative|share|rate/.test(x.name || "") ? pct(x.value, 1) : num(x.value, ok(x.value) && Math.abs(x.value) >= 100 ? 0 : 3)}</td></tr>`).join("")}</tbody></table>`
      : `<p class="muted">No holdout: set a calibration end to measure fit quality on later purchases.</p>`;
    const actions = (r.actions || []);
    const results = (r.results || []);
    const resultRows = results.map((x) => `<tr><td>${esc(label(x.name))}</td><td class="n">${int(x.rows)}</td><td class="actions-cell">
      <button type="button" class="small" data-download="${esc(x.name)}" data-format="csv" data-testid="download-${esc(x.name)}-csv">CSV</button>
      <button type="button" class="small secondary" data-download="${esc(x.name)}" data-format="parquet" data-testid="download-${esc(x.name)}-parquet">Parquet</button></td></tr>`).join("");
    const segRows = (c.segments || []).map((s) => `<tr><td><a href="#/analysis/${encodeURIComponent(a.id)}/customers?segment=${encodeURIComponent(gname(s, "segment"))}">${esc(label(gname(s, "segment")))}</a></td><td class="n">${int(s.customers)}</td><td class="n">${money(s.value)}</td><td class="n">${money(s.mean_clv)}</td></tr>`).join("");
    return `
      ${(r.warnings || []).length ? `<div class="notice" role="note">${r.warnings.map((w) => `<p>${esc(w)}</p>`).join("")}</div>` : ""}
      <div class="kpis" id="overview" data-testid="overview">${kpis.map(([id, k, val, sub]) => `<div class="kpi" id="${id}" data-testid="${id}"><div class="k">${k}</div><div class="v${String(val).replace(/<[^>]*>|&[a-z]+;/g, "x").length > 9 ? " long" : ""}">${val}</div><div class="s muted">${sub}</div></div>`).join("")}</div>
      ${e ? economicsCard(e) : ""}
      <div class="grid">
        ${card("Model fit", fit, { hid: "fit-h", sub: `${txt(m.name)}${m.spend ? " + " + esc(m.spend) : ""}` })}
        ${card("Fit quality on held-out data", valid, { hid: "val-h", id: "validation-card" })}
        ${card("Predicted CLV per customer", `<div class="chart" id="chart-clv" data-testid="chart-clv"></div>`, { hid: "h-clv", sub: `Customers by predicted value over the next ${esc(horizon)}` })}
        ${card("P(alive) by recency and frequency", `<div class="chart" id="chart-palive" data-testid="chart-palive"></div>`, { hid: "h-palive", sub: "Probability a customer is still active, given repeat purchases and the time of the last one" })}
        ${card("Tracking: predicted vs actual", `<div class="chart" id="chart-tracking" data-testid="chart-tracking"></div>`, { hid: "h-tracking", sub: "Cumulative repeat purchases" })}
        ${card("Cohort retention", `<div class="chart" id="chart-cohorts" data-testid="chart-cohorts"></div>`, { hid: "h-cohorts", sub: "Share of each first-purchase cohort buying in each month after" })}
        ${card("CLV × CRV quadrants", `<div class="chart" id="chart-quadrants" data-testid="chart-quadrants"></div>`, { hid: "h-quad", sub: "Customer value vs referral value" })}
        ${card("Value by channel", `<div class="chart" id="chart-channels" data-testid="chart-channels"></div>`, { hid: "h-chan", sub: "Predicted value by acquisition channel" })}
        ${card("Segments", `<div class="chart" id="chart-segments" data-testid="chart-segments"></div>`, { hid: "h-seg", sub: "Customers and predicted value per RFM segment" })}
        ${card("Value tiers and churn risk", `<div class="chart" id="chart-tiers" data-testid="chart-tiers"></div><div class="chart" id="chart-risk" data-testid="chart-risk"></div>`, { hid: "h-tiers" })}
      </div>
      <div class="grid">
        ${card("Segment list", `<div class="table-wrap"><table data-testid="segments-table"><thead><tr><th scope="col">Segment</th><th scope="col" class="n">Customers</th><th scope="col" class="n">Value</th><th scope="col" class="n">Mean CLV</th></tr></thead><tbody>${segRows || `<tr><td colspan="4" class="muted">No segments.</td></tr>`}</tbody></table></div>`, { hid: "h-seglist" })}
        ${card("Actions", `<ul class="action-list" data-testid="actions">${actions.map((x) => `<li><div><strong>${esc(label(x.name))}</strong> <span class="muted">${int(x.customers)} customers</span><br><span class="muted">${txt(x.description)}</span></div>
            <div class="btns"><button type="button" class="small secondary" data-show-action="${esc(x.name)}" data-testid="show-${esc(x.name)}">Show list</button>
            <button type="button" class="small" data-download="${esc(x.name)}" data-format="csv" data-testid="download-action-${esc(x.name)}">Download CSV</button></div></li>`).join("") || `<li class="muted">No actions.</li>`}</ul>
            <div id="action-rows" aria-live="polite"></div>`, { hid: "h-actions", id: "actions-card" })}
        ${card("Downloads", `<div class="table-wrap"><table data-testid="results-table"><thead><tr><th scope="col">Table</th><th scope="col" class="n">Rows</th><th scope="col">Download</th></tr></thead><tbody>${resultRows || `<tr><td colspan="3" class="muted">No result tables.</td></tr>`}</tbody></table></div>`, { hid: "h-downloads" })}
      </div>`;
  }

  // ---------- unit economics ----------
  const NEEDS_CAC = "upload a customers file with acquisition costs, or customers + spend";
  function ltvCacKpi(e) {
    if (!e) return ["kpi-ltvcac", "LTV:CAC", DASH, esc(NEEDS_CAC)];
    const v = ok(e.ltv_cac) ? num(e.ltv_cac, 1) + "×" : DASH;
    const sub = ok(e.cac) ? `blended CAC ${money(e.cac)} · margin LTV ${money(e.margin_ltv)}` : "no channel has a CAC";
    return ["kpi-ltvcac", "LTV:CAC", v, sub];
  }
  function paybackKpi(e) {
    if (!e) return ["kpi-payback", "Payback", DASH, esc(NEEDS_CAC)];
    if (ok(e.payback_months)) return ["kpi-payback", "Payback", `${num(e.payback_months, 0)} months`, "blended"];
    const chans = (e.channels || []).filter((c) => ok(c.cac));
    const reached = chans.filter((c) => ok(c.payback_months)).sort((a, b) => a.payback_months - b.payback_months);
    const months = (m) => `${int(m + 1)} month${m === 0 ? "" : "s"}`;
    if (!chans.length) return ["kpi-payback", "Payback", DASH, "no channel has a CAC"];
    if (!reached.length) {
      const st = chans.map((c) => c.payback_status).find(ok);
      return ["kpi-payback", "Payback", "not reached", `${chans.length === 1 ? `${txt(chans[0].channel)}'s CAC not earned back` : "CAC not earned back in any channel"}${st ? ` (${esc(st)})` : ""}`];
    }
    const lo = reached[0], hi = reached[reached.length - 1];
    const v = lo.payback_months === hi.payback_months ? months(lo.payback_months) : `${int(lo.payback_months + 1)}–${months(hi.payback_months)}`;
    const notYet = chans.length - reached.length;
    const sub = "to earn back the CAC; " + (reached.length === 1 ? `${txt(lo.channel)}` : `fastest ${txt(lo.channel)}, slowest ${txt(hi.channel)}`);
    return ["kpi-payback", "Payback", v, sub + (notYet ? `; ${int(notYet)} not paid back yet (see channels)` : "")];
  }
  const VERDICT_CLS = { "loses money": "verdict-loses", "makes money": "verdict-makes", "not enough data to tell": "verdict-unsure" };
  function economicsCard(e) {
    const chans = e.channels || [];
    const payback = (c) => {
      // payback month 0 is the acquisition month: month m means within m + 1 months
      if (ok(c.payback_months)) return `within ${int(c.payback_months + 1)} month${c.payback_months === 0 ? "" : "s"}`;
      if (!ok(c.cac)) return DASH;
      return `<span class="muted">${txt(c.payback_status)}</span>`;
    };
    // data-label: the column's name, shown beside each value when the table stacks on a phone
    const rows = chans.map((c) => `<tr data-testid="economics-row"><th scope="row" class="chan">${esc(label(c.channel))}</th><td class="n" data-label="Customers">${int(c.customers)}</td><td class="n" data-label="CAC">${money(c.cac)}</td><td class="n" data-label="Margin LTV">${money(c.margin_ltv)}</td>
      <td class="n" data-label="LTV:CAC">${ok(c.ltv_to_cac) ? num(c.ltv_to_cac, 1) + "×" : DASH}</td><td class="payback" data-label="Payback">${payback(c)}</td>
      <td class="verdict-cell" data-label="Verdict"><span class="badge verdict ${VERDICT_CLS[c.verdict] || "verdict-unknown"}" data-testid="verdict">${txt(c.verdict)}</span></td></tr>`).join("");
    const blended = ok(e.ltv_cac) ? `<tr class="group-start total"><th scope="row" class="chan">Blended</th><td class="n" data-label="With a CAC">${int(e.customers_with_cac)}</td><td class="n" data-label="CAC">${money(e.cac)}</td><td class="n" data-label="Margin LTV">${money(e.margin_ltv)}</td><td class="n" data-label="LTV:CAC">${num(e.ltv_cac, 1)}×</td><td class="empty"></td><td class="empty"></td></tr>` : "";
    const warns = (e.warnings || []).filter(ok);
    return card("Unit economics by channel", `<div class="table-wrap"><table class="econ" data-testid="economics-table"><thead><tr><th scope="col">Channel</th><th scope="col" class="n">Customers</th><th scope="col" class="n">CAC</th><th scope="col" class="n">Margin LTV</th><th scope="col" class="n">LTV:CAC</th><th scope="col">Payback</th><th scope="col">Verdict</th></tr></thead>
      <tbody>${rows || `<tr><td colspan="7" class="muted">No channels.</td></tr>`}${blended}</tbody></table></div>
      ${warns.length ? `<ul class="econ-warnings" data-testid="economics-warnings">${warns.map((w) => `<li>${esc(w)}</li>`).join("")}</ul>` : ""}`,
      { hid: "h-econ", id: "economics-card", sub: "Acquisition cost against the margin a customer brings; blended figures are weighted by customers over the channels with a CAC" });
  }

  async function showAction(id, name, offset) {
    const box = $("#action-rows");
    box.innerHTML = `<p class="muted">Loading…</p>`;
    try {
      const d = await api(`/api/analyses/${encodeURIComponent(id)}/actions/${encodeURIComponent(name)}?limit=20&offset=${offset}`);
      const rows = d.rows || [];
      const extra = [["clv", "CLV", money], ["p_alive", "P(alive)", (v) => pct(v)], ["revenue", "Revenue", money]].filter(([k]) => rows.some((x) => ok(x[k])));
      box.innerHTML = `<h3>${esc(label(name))} <span class="muted">(${int(d.total)} customers, ranked by the expected value of acting)</span></h3>
        <div class="table-wrap"><table data-testid="action-table"><thead><tr><th scope="col">Customer</th><th scope="col">Reason</th><th scope="col" class="n">Expected value</th>${extra.map(([, t]) => `<th scope="col" class="n">${t}</th>`).join("")}</tr></thead><tbody>
        ${rows.map((x) => `<tr><td><a href="#/analysis/${encodeURIComponent(id)}/customer/${encodeURIComponent(x.customer_id)}">${txt(x.customer_id)}</a></td><td>${txt(x.reason)}</td><td class="n">${money(x.expected_value)}</td>${extra.map(([k, , f]) => `<td class="n">${f(x[k])}</td>`).join("")}</tr>`).join("") || `<tr><td colspan="${3 + extra.length}" class="muted">Nobody on this list.</td></tr>`}
        </tbody></table></div>
        <div class="pager">${offset > 0 ? `<button type="button" class="small secondary" data-off="${Math.max(0, offset - 20)}">Previous</button>` : ""}
        <span class="muted">${rows.length ? `${int(offset + 1)}–${int(offset + rows.length)} of ${int(d.total)}` : "none"}</span>
        ${offset + rows.length < d.total ? `<button type="button" class="small secondary" data-off="${offset + 20}">Next</button>` : ""}</div>`;
      box.querySelectorAll("[data-off]").forEach((b) => b.addEventListener("click", () => showAction(id, name, +b.dataset.off)));
    } catch (e) { box.innerHTML = `<p class="error">${esc(e.message)}</p>`; }
  }

  // ---------- customers table ----------
  const COLS = [
    ["customer_id", "Customer", "text"], ["segment", "Segment", "label"], ["value_tier", "Tier", "label"], ["churn_risk", "Churn risk", "label"],
    ["orders", "Orders", "int"], ["revenue", "Revenue", "money"], ["p_alive", "P(alive)", "pct"], ["expected_purchases", "Exp. purchases", "num2"],
    ["clv", "CLV", "money"], ["expected_next_purchase", "Next purchase", "text"],
  ];
  const SORTABLE = new Set(["customer_id", "orders", "revenue", "p_alive", "expected_purchases", "clv", "crv"]);
  // with a customers file: referral value and referrals after the CLV
  const colsFor = (rows) => rows.some((r) => ok(r.crv) || ok(r.referrals))
    ? COLS.flatMap((c) => (c[0] === "clv" ? [c, ["crv", "CRV", "money"], ["referrals", "Referrals", "int"]] : [c])) : COLS;
  function cell(v, kind) {
    if (kind === "money") return money(v);
    if (kind === "pct") return pct(v);
    if (kind === "int") return int(v);
    if (kind === "num2") return num(v, 2);
    if (kind === "label") return esc(label(v));
    return txt(v);
  }
  function customersView(body, a) {
    const q = new URLSearchParams(location.hash.split("?")[1] || "");
    const st = { sort: q.get("sort") || "clv", order: q.get("order") || "desc", segment: q.get("segment") || "", tier: q.get("tier") || "", churn_risk: q.get("churn_risk") || "", q: q.get("q") || "", offset: +(q.get("offset") || 0), limit: 50 };
    const c = (a.result && a.result.charts) || {};
    const opts = (xs, key) => (xs || []).map((x) => gname(x, key)).filter(ok);
    const sel = (id, name, list, cur) => `<div><label for="${id}">${name}</label><select id="${id}" data-testid="${id}"><option value="">All</option>${list.map((s) => `<option value="${esc(s)}" ${s === cur ? "selected" : ""}>${esc(label(s))}</option>`).join("")}</select></div>`;
    body.innerHTML = `<section class="card" aria-labelledby="cust-h"><h2 id="cust-h">Customers</h2>
      <form class="filters" id="filters" role="search">
        <div><label for="search-input">Search customer id</label><input id="search-input" data-testid="search-input" type="search" value="${esc(st.q)}" placeholder="id contains…"></div>
        ${sel("segment-filter", "Segment", opts(c.segments, "segment"), st.segment)}
        ${sel("tier-filter", "Tier", opts(c.tiers, "tier"), st.tier)}
        ${sel("risk-filter", "Churn risk", opts(c.churn_risk, "risk"), st.churn_risk)}
        <div class="filter-btn"><button type="submit" id="search-button" data-testid="search-button">Apply</button></div>
      </form>
      <div id="cust-table" aria-live="polite"></div></section>`;
    const updateHash = () => {
      const p = new URLSearchParams();
      ["sort", "order", "segment", "tier", "churn_risk", "q"].forEach((k) => { if (st[k]) p.set(k, st[k]); });
      if (st.offset) p.set("offset", st.offset);
      history.replaceState(null, "", "#/analysis/" + encodeURIComponent(a.id) + "/customers?" + p.toString());
    };
    async function load(focusSort) {
      updateHash();
      const p = new URLSearchParams({ sort: st.sort, order: st.order, limit: st.limit, offset: st.offset });
      ["segment", "tier", "churn_risk", "q"].forEach((k) => { if (st[k]) p.set(k, st[k]); });
      const box = $("#cust-table");
      let d;
      const stale = visit();
      try { d = await api(`/api/analyses/${encodeURIComponent(a.id)}/customers?${p}`); }
      catch (e) { if (stale()) return; box.innerHTML = `<p class="error" role="alert">${esc(e.message)}</p>`; return; }
      if (stale() || !document.body.contains(box)) return;
      const rows = d.customers || [];
      const cols = colsFor(rows);
      box.innerHTML = `<p class="muted">${int(d.total)} customers${d.total ? ` · showing ${int(st.offset + 1)}–${int(st.offset + rows.length)}` : ""}</p>
        <div class="table-wrap"><table id="customers-table" data-testid="customers-table" class="customers"><thead><tr>
        ${cols.map(([k, name, kind]) => {
          const numeric = !["text", "label"].includes(kind) || k === "customer_id" ? "" : "";
          const cls = ["int", "money", "pct", "num2"].includes(kind) ? "n" : "";
          if (!SORTABLE.has(k)) return `<th scope="col" class="${cls}">${name}</th>`;
          const cur = st.sort === k;
          return `<th scope="col" class="${cls}" aria-sort="${cur ? (st.order === "asc" ? "ascending" : "descending") : "none"}"><button type="button" class="sort" data-sort="${k}" data-testid="sort-${k}">${name}<span aria-hidden="true">${cur ? (st.order === "asc" ? "&nbsp;▲" : "&nbsp;▼") : "&nbsp;↕"}</span></button>${numeric}</th>`;
        }).join("")}</tr></thead><tbody>
        ${rows.map((r) => `<tr data-testid="customer-row" data-customer="${esc(r.customer_id)}">${cols.map(([k, , kind]) => k === "customer_id"
          ? `<td><a href="#/analysis/${encodeURIComponent(a.id)}/customer/${encodeURIComponent(r.customer_id)}" data-testid="customer-link">${txt(r.customer_id)}</a></td>`
          : `<td class="${["int", "money", "pct", "num2"].includes(kind) ? "n" : ""}">${cell(r[k], kind)}</td>`).join("")}</tr>`).join("") || `<tr><td colspan="${cols.length}" class="muted">No customers match.</td></tr>`}
        </tbody></table></div>
        <div class="pager">
          <button type="button" class="small secondary" id="prev-page" ${st.offset <= 0 ? "disabled" : ""}>Previous</button>
          <button type="button" class="small secondary" id="next-page" ${st.offset + rows.length >= d.total ? "disabled" : ""}>Next</button>
        </div>`;
      box.querySelectorAll("button.sort").forEach((b) => b.addEventListener("click", () => {
        const k = b.dataset.sort;
        if (st.sort === k) st.order = st.order === "asc" ? "desc" : "asc";
        else { st.sort = k; st.order = k === "customer_id" ? "asc" : "desc"; }
        st.offset = 0; load(k);
      }));
      $("#prev-page").addEventListener("click", () => { st.offset = Math.max(0, st.offset - st.limit); load(); });
      $("#next-page").addEventListener("click", () => { st.offset += st.limit; load(); });
      if (focusSort) { const b = box.querySelector(`[data-sort="${focusSort}"]`); if (b) b.focus(); }
    }
    $("#filters").addEventListener("submit", (e) => {
      e.preventDefault();
      st.q = $("#search-input").value.trim(); st.segment = $("#segment-filter").value; st.tier = $("#tier-filter").value; st.churn_risk = $("#risk-filter").value; st.offset = 0;
      load();
    });
    ["segment-filter", "tier-filter", "risk-filter"].forEach((id) => $("#" + id).addEventListener("change", () => $("#filters").requestSubmit()));
    load();
  }

  // ---------- customer page ----------
  async function pageCustomer(id, cid) {
    const base = `/api/analyses/${encodeURIComponent(id)}/customers/${encodeURIComponent(cid)}`;
    const stale = visit();
    const [a, r, h] = await Promise.all([api("/api/analyses/" + encodeURIComponent(id)), api(base), api(base + "/history")]);
    if (stale()) return;
    const unit = plural((a.result && a.result.charts && a.result.charts.p_alive_matrix && a.result.charts.p_alive_matrix.unit) || "days");
    const facts = [["Segment", esc(label(r.segment))], ["Value tier", esc(label(r.value_tier))], ["Churn risk", esc(label(r.churn_risk))], ["RFM score", txt(r.rfm)],
      ["Orders", int(r.orders)], ["Revenue", money(r.revenue)], ["Average order", money(r.monetary_value)], ["First purchase", txt(r.first_purchase)], ["Last purchase", txt(r.last_purchase)],
      ["Repeat purchases", int(r.frequency)], [`Recency (${esc(unit)})`, num(r.recency, 1)], [`Age T (${esc(unit)})`, num(r.T, 1)],
      ["P(alive)", pct(r.p_alive, 1)], ["P(purchase in 30 days)", pct(r.p_purchase_30d, 1)], ["Expected purchases", num(r.expected_purchases, 2)],
      ["Expected spend per order", money(r.expected_spend)], ["CLV", money(r.clv)], ["Referral value (CRV)", money(r.crv)], ...(ok(r.referrals) ? [["Referrals", int(r.referrals)]] : []), ["Expected next purchase", txt(r.expected_next_purchase)]];
    // purchases one by one ({date, amount}) or by month ({month, orders, revenue})
    const byMonth = !(h && h.purchases) && Array.isArray(h && h.months);
    const purchases = byMonth
      ? h.months.map((x) => ({ date: x.month + "-01", label: x.month, amount: x.revenue, orders: x.orders }))
      : ((h && h.purchases) || []).map((x) => ({ date: x.date, label: x.date, amount: x.amount }));
    main.innerHTML = analysisHead(a, "customer") + `
      <p><a href="#/analysis/${encodeURIComponent(id)}/customers" data-testid="back-to-customers">← All customers</a></p>
      <h2 class="cust-title" id="customer-title" data-testid="customer-title">Customer ${esc(cid)}</h2>
      <div class="kpis small">
        <div class="kpi"><div class="k">CLV</div><div class="v" data-testid="customer-clv">${money(r.clv)}</div></div>
        <div class="kpi"><div class="k">P(alive)</div><div class="v">${pct(r.p_alive)}</div></div>
        <div class="kpi"><div class="k">Expected purchases</div><div class="v">${num(r.expected_purchases, 2)}</div></div>
        <div class="kpi"><div class="k">Revenue to date</div><div class="v">${money(r.revenue)}</div></div>
      </div>
      <div class="grid">
        ${card("Purchase history", `<div class="chart" id="chart-purchases" data-testid="chart-purchases"></div>
          <details><summary>${byMonth ? `${int(purchases.length)} months with purchases` : `${int(purchases.length)} purchases`} as a table</summary><div class="table-wrap"><table class="compact" data-testid="purchases-table"><thead><tr><th scope="col">${byMonth ? "Month" : "Date"}</th>${byMonth ? `<th scope="col" class="n">Orders</th>` : ""}<th scope="col" class="n">${byMonth ? "Revenue" : "Amount"}</th></tr></thead><tbody>
          ${purchases.map((p) => `<tr data-testid="purchase-row"><td>${txt(p.label)}</td>${byMonth ? `<td class="n">${int(p.orders)}</td>` : ""}<td class="n">${money(p.amount)}</td></tr>`).join("")}</tbody></table></div></details>`, { hid: "h-purch", sub: byMonth ? "Revenue per month" : "Each order's amount" })}
        ${card("P(alive) over time", `<div class="chart" id="chart-customer-palive" data-testid="chart-customer-palive"></div>`, { hid: "h-cpal" })}
        ${card("Why these numbers", `<ul class="explain" data-testid="explanation">${((h && h.explanation) || []).map((s) => `<li>${esc(s)}</li>`).join("") || `<li class="muted">No explanation available.</li>`}</ul>`, { hid: "h-why" })}
        ${card("All numbers", `<dl class="facts" data-testid="customer-facts">${facts.map(([k, v]) => `<div><dt>${k}</dt><dd>${v}</dd></div>`).join("")}</dl>`, { hid: "h-facts" })}
      </div>`;
    state.redraw = () => { drawPurchases($("#chart-purchases"), purchases, byMonth); drawPAliveHistory(); };
    const drawPAliveHistory = () => drawLine($("#chart-customer-palive"), {
      x: ((h && h.p_alive) || []).map((p) => Date.parse(p.date)), series: [{ name: "P(alive)", y: ((h && h.p_alive) || []).map((p) => p.p_alive), cls: "s1" }],
      xDate: true, yMin: 0, yMax: 1, yFmt: (v) => pct(v), yLabel: "P(alive)", marks: purchases.map((p) => Date.parse(p.date)),
      empty: "No P(alive) history for this customer.",
    });
    state.redraw();
  }

  // ---------- SVG charts ----------
  // drawing width = the chart's width on screen (so text keeps its size on a phone)
  let W = 560;
  function fit(el) { W = Math.round(Math.max(300, Math.min(760, (el && el.clientWidth) || 560))); }
  function ticks(min, max, n) {
    if (!(max > min)) return [min];
    const span = max - min, step0 = span / (n || 5), mag = Math.pow(10, Math.floor(Math.log10(step0)));
    const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => span / s <= (n || 5)) || mag * 10;
    const out = [];
    // up to the first tick at or above max, so the top gridline frames the data
    for (let v = Math.ceil(min / step - 1e-9) * step; v <= max + step * 0.999; v += step) out.push(+v.toFixed(10));
    return out;
  }
  function note(el, msg) { el.innerHTML = `<p class="chart-note" data-testid="chart-note">${msg}</p>`; }
  function svg(h, inner, desc) { return `<svg viewBox="0 0 ${W} ${h}" role="img" aria-label="${esc(desc)}" preserveAspectRatio="xMidYMid meet">${inner}</svg>`; }
  function axisText(x, y, s, anchor, extra) { return `<text x="${x}" y="${y}" text-anchor="${anchor || "middle"}" ${extra || ""}>${s}</text>`; }

  function drawHistogram(el, hist) {
    fit(el);
    const edges = (hist && hist.edges) || [], counts = (hist && hist.counts) || [];
    if (!counts.length || edges.length !== counts.length + 1) return note(el, "No CLV distribution to show.");
    const H = 280, m = { l: 56, r: 12, t: 12, b: 46 }, iw = W - m.l - m.r, ih = H - m.t - m.b;
    const x0 = edges[0], x1 = edges[edges.length - 1], ymax = Math.max(1, ...counts);
    const yt = ticks(0, ymax, 5), top = Math.max(ymax, yt[yt.length - 1]);
    const sx = (v) => m.l + ((v - x0) / (x1 - x0 || 1)) * iw, sy = (v) => m.t + ih - (v / top) * ih;
    let s = yt.map((t) => `<line class="grid" x1="${m.l}" x2="${W - m.r}" y1="${sy(t)}" y2="${sy(t)}"/>${axisText(m.l - 6, sy(t) + 4, shortNum(t), "end")}`).join("");
    s += counts.map((c, i) => `<rect class="bar" x="${sx(edges[i]) + 0.5}" y="${sy(c)}" width="${Math.max(0.5, sx(edges[i + 1]) - sx(edges[i]) - 1)}" height="${Math.max(0, m.t + ih - sy(c))}"><title>${money(edges[i])}–${hist.last_bin_open && i === counts.length - 1 ? "more" : money(edges[i + 1])}: ${int(c)} customers</title></rect>`).join("");
    s += ticks(x0, x1, 6).filter((t) => t <= x1 + 1e-9).map((t) => `<line class="axis" x1="${sx(t)}" x2="${sx(t)}" y1="${m.t + ih}" y2="${m.t + ih + 4}"/>${axisText(sx(t), m.t + ih + 17, "$" + shortNum(t))}`).join("");
    s += `<line class="axis" x1="${m.l}" x2="${W - m.r}" y1="${m.t + ih}" y2="${m.t + ih}"/>`;
    s += axisText(m.l + iw / 2, H - 6, "Predicted CLV ($ per customer)" + (hist.last_bin_open && W > 480 ? "; the last bar holds everyone above" : ""), "middle", 'class="axis-label"');
    s += axisText(14, m.t + ih / 2, "Customers", "middle", `class="axis-label" transform="rotate(-90 14 ${m.t + ih / 2})"`);
    el.innerHTML = svg(H, s, "Histogram of predicted CLV");
  }

  // colour scale: light to dark blue
  function color(v) {
    if (!ok(v)) return "#f1f5f9";
    const t = Math.max(0, Math.min(1, v));
    const a = [239, 246, 255], b = [29, 78, 216];
    return `rgb(${a.map((x, i) => Math.round(x + (b[i] - x) * t)).join(",")})`;
  }
  function legend(x, y, w, lo, hi, title) {
    const id = "g" + Math.random().toString(36).slice(2, 8);
    return `<defs><linearGradient id="${id}"><stop offset="0" stop-color="${color(0)}"/><stop offset="1" stop-color="${color(1)}"/></linearGradient></defs>
      <g class="legend">${axisText(x, y - 4, title, "start", 'class="axis-label"')}<rect x="${x}" y="${y}" width="${w}" height="10" fill="url(#${id})" stroke="#94a3b8" stroke-width="0.5"/>
      ${axisText(x, y + 22, lo, "start")}${axisText(x + w, y + 22, hi, "end")}</g>`;
  }
  function drawHeatmap(el, o) {
    fit(el);
    // o: {rows: [labels], cols: [labels], values: [[...]], xLabel, yLabel, fmt, legendTitle, colEvery, desc, cellText}
    const nr = o.rows.length, nc = o.cols.length;
    if (!nr || !nc) return note(el, "No data to show.");
    const m = { l: o.left || 52, r: 10, t: 44, b: 44 };
    const cw = (W - m.l - m.r) / nc, ch = Math.max(10, Math.min(o.cellH || 26, 320 / nr)), H = m.t + ch * nr + m.b;
    let s = legend(m.l, 18, 160, o.fmt(0), o.fmt(1), o.legendTitle);
    if (o.extraLegend) s += o.extraLegend(W - m.r, 22);
    for (let i = 0; i < nr; i++) {
      const y = m.t + i * ch;
      for (let j = 0; j < nc; j++) {
        const v = (o.values[i] || [])[j];
        s += `<rect class="cell" x="${m.l + j * cw}" y="${y}" width="${cw + 0.3}" height="${ch + 0.3}" fill="${color(v)}"><title>${esc(o.yLabel)} ${esc(o.rows[i])}, ${esc(o.xLabel)} ${esc(o.cols[j])}: ${ok(v) ? o.fmt(v) : "no data"}</title></rect>`;
        if (o.cellText && ok(v) && cw >= 26 && ch >= 16) s += `<text class="cell-text ${v > 0.55 ? "inv" : ""}" x="${m.l + j * cw + cw / 2}" y="${y + ch / 2 + 4}" text-anchor="middle">${o.cellText(v)}</text>`;
      }
      if (nr <= 20 || i % Math.ceil(nr / 16) === 0) s += axisText(m.l - 6, y + ch / 2 + 4, esc(o.rows[i]), "end");
    }
    const every = Math.max(1, Math.ceil(nc / Math.min(o.maxColLabels || 10, Math.floor((W - m.l - m.r) / 24))));
    for (let j = 0; j < nc; j += every) s += axisText(m.l + j * cw + cw / 2, m.t + nr * ch + 16, esc(o.cols[j]));
    s += axisText(m.l + (W - m.l - m.r) / 2, H - 6, esc(o.xLabel), "middle", 'class="axis-label"');
    s += axisText(12, m.t + (nr * ch) / 2, esc(o.yLabel), "middle", `class="axis-label" transform="rotate(-90 12 ${m.t + (nr * ch) / 2})"`);
    el.innerHTML = svg(H, s, o.desc);
  }
  function drawPAlive(el, pm) {
    fit(el);
    if (!pm || !(pm.frequency || []).length || !(pm.recency || []).length) return note(el, "No P(alive) matrix to show.");
    const unit = plural(pm.unit || "days");
    // rows: frequency descending (high at the top), columns: recency
    const idx = pm.frequency.map((_, i) => i).reverse();
    drawHeatmap(el, {
      rows: idx.map((i) => pm.frequency[i]), cols: pm.recency.map((r) => num(r, r >= 10 ? 0 : 1)), values: idx.map((i) => pm.values[i] || []),
      xLabel: W > 480 ? `Recency: time of the last purchase (${unit} after the first)` : `Recency (${unit})${ok(pm.T) ? `; age T = ${num(pm.T, 1)}` : ""}`, yLabel: "Repeat purchases", fmt: (v) => pct(v), legendTitle: "P(alive)",
      desc: "Heatmap of P(alive) by recency and frequency", cellH: 18, maxColLabels: 8,
      extraLegend: ok(pm.T) && W > 480 ? (x, y) => axisText(x, y + 6, `for a customer of age T = ${num(pm.T, 1)} ${esc(unit)}`, "end", 'class="muted-text"') : null,
    });
  }
  function drawCohorts(el, cr) {
    if (!cr || !(cr.cohorts || []).length) return note(el, "No cohorts to show.");
    drawHeatmap(el, {
      rows: cr.cohorts.map((c, i) => `${c} (${shortNum((cr.sizes || [])[i])})`), cols: (cr.months || []).map(String), values: cr.values || [],
      xLabel: "Months since first purchase", yLabel: "Cohort (size)", fmt: (v) => pct(v), legendTitle: "Share buying", left: 104,
      desc: "Cohort retention heatmap", cellText: (v) => pct(v), cellH: 28, maxColLabels: 18,
    });
  }

  function drawLine(el, o) {
    fit(el);
    // o: {x: [numbers], series: [{name, y, cls}], xDate, yMin, yMax, yFmt, yLabel, xLabel, vline: {x, label}, marks}
    const xs = (o.x || []).filter(ok);
    if (xs.length < 2) return note(el, o.empty || "Not enough points to draw.");
    const H = 280, m = { l: 56, r: 14, t: 30, b: 46 }, iw = W - m.l - m.r, ih = H - m.t - m.b;
    const x0 = Math.min(...xs), x1 = Math.max(...xs);
    const all = o.series.flatMap((s) => s.y.filter(ok));
    const y0 = ok(o.yMin) ? o.yMin : Math.min(0, ...all), y1max = ok(o.yMax) ? o.yMax : Math.max(1, ...all);
    const yt = ticks(y0, y1max, 5), y1 = Math.max(y1max, yt[yt.length - 1]);
    const sx = (v) => m.l + ((v - x0) / (x1 - x0 || 1)) * iw, sy = (v) => m.t + ih - ((v - y0) / (y1 - y0 || 1)) * ih;
    const yf = o.yFmt || shortNum;
    let s = yt.map((t) => `<line class="grid" x1="${m.l}" x2="${W - m.r}" y1="${sy(t)}" y2="${sy(t)}"/>${axisText(m.l - 6, sy(t) + 4, yf(t), "end")}`).join("");
    if (o.xDate) {
      const d0 = new Date(x0), d1 = new Date(x1), months = (d1.getUTCFullYear() - d0.getUTCFullYear()) * 12 + d1.getUTCMonth() - d0.getUTCMonth();
      const step = [1, 2, 3, 4, 6, 12, 24].find((st) => months / st <= Math.max(2, Math.floor(iw / 75))) || 24;
      for (let k = 0; k <= months + 1; k += step) {
        const t = Date.UTC(d0.getUTCFullYear(), d0.getUTCMonth() + k + (d0.getUTCDate() > 1 ? 1 : 0), 1);
        if (t < x0 || t > x1) continue;
        const d = new Date(t);
        s += `<line class="axis" x1="${sx(t)}" x2="${sx(t)}" y1="${m.t + ih}" y2="${m.t + ih + 4}"/>${axisText(sx(t), m.t + ih + 17, d.toLocaleString("en-US", { month: "short", timeZone: "UTC" }) + " " + d.getUTCFullYear())}`;
      }
    }
    if (o.vline && ok(o.vline.x)) {
      s += `<line class="vline" x1="${sx(o.vline.x)}" x2="${sx(o.vline.x)}" y1="${m.t}" y2="${m.t + ih}"/>${axisText(sx(o.vline.x) + 4, m.t + 12, esc(o.vline.label), "start", 'class="muted-text"')}`;
    }
    (o.marks || []).filter((t) => ok(t) && t >= x0 && t <= x1).forEach((t) => { s += `<line class="mark" x1="${sx(t)}" x2="${sx(t)}" y1="${m.t + ih - 8}" y2="${m.t + ih}"/>`; });
    o.series.forEach((se) => {
      const pts = o.x.map((x, i) => (ok(x) && ok(se.y[i]) ? `${sx(x).toFixed(1)},${sy(se.y[i]).toFixed(1)}` : null)).filter(Boolean);
      s += `<polyline class="line ${se.cls}" points="${pts.join(" ")}"/>`;
    });
    s += `<line class="axis" x1="${m.l}" x2="${W - m.r}" y1="${m.t + ih}" y2="${m.t + ih}"/>`;
    if (o.series.length > 1 || o.marks) {
      let lx = m.l;
      o.series.forEach((se) => { s += `<line class="line ${se.cls}" x1="${lx}" x2="${lx + 22}" y1="12" y2="12"/>${axisText(lx + 27, 16, esc(se.name), "start")}`; lx += 40 + se.name.length * 7; });
      if (o.marks) s += `<line class="mark" x1="${lx}" x2="${lx}" y1="6" y2="16"/>${axisText(lx + 6, 16, "purchase", "start")}`;
    }
    if (o.xLabel) s += axisText(m.l + iw / 2, H - 6, esc(o.xLabel), "middle", 'class="axis-label"');
    s += axisText(14, m.t + ih / 2, esc(o.yLabel || ""), "middle", `class="axis-label" transform="rotate(-90 14 ${m.t + ih / 2})"`);
    el.innerHTML = svg(H, s, o.yLabel || "line chart");
  }
  function drawTracking(el, tr) {
    fit(el);
    if (!tr || !(tr.dates || []).length) return note(el, "The tracking curve needs a calibration end (a holdout period).");
    drawLine(el, {
      x: tr.dates.map((d) => Date.parse(d)), xDate: true, yLabel: "Repeat purchases (cumulative)", yMin: 0,
      series: [{ name: "Actual", y: tr.actual || [], cls: "s1" }, { name: "Predicted", y: tr.predicted || [], cls: "s2" }],
      vline: tr.calibration_end ? { x: Date.parse(tr.calibration_end), label: (W > 480 ? "calibration end " : "") + tr.calibration_end } : null,
    });
  }
  function drawBars(el, items, o) {
    fit(el);
    // horizontal bars: items [{label, value, extra}]
    items = (items || []).filter((x) => ok(x.value));
    if (!items.length) return note(el, o.empty || "Nothing to show.");
    const rowH = 24, m = { l: o.left || 130, r: 70, t: o.title ? 22 : 6, b: 6 }, H = m.t + items.length * rowH + m.b, iw = W - m.l - m.r;
    const max = Math.max(...items.map((x) => x.value), 1e-9);
    let s = o.title ? axisText(0, 14, esc(o.title), "start", 'class="axis-label"') : "";
    items.forEach((x, i) => {
      const y = m.t + i * rowH, w = Math.max(1, (x.value / max) * iw);
      s += axisText(m.l - 8, y + 16, esc(x.label), "end");
      s += `<rect class="bar ${o.cls || ""}" x="${m.l}" y="${y + 4}" width="${w}" height="${rowH - 8}"><title>${esc(x.label)}: ${o.fmt(x.value)}${x.extra ? " · " + x.extra : ""}</title></rect>`;
      s += axisText(m.l + w + 6, y + 16, o.fmt(x.value), "start", 'class="val"');
    });
    el.innerHTML = svg(H, s, o.desc || o.title || "bar chart");
  }
  function drawSegments(el, segs) {
    fit(el);
    segs = (segs || []).filter((x) => ok(x.customers));
    if (!segs.length) return note(el, "No segments.");
    const sorted = segs.slice().sort((a, b) => (b.value || 0) - (a.value || 0));
    const rowH = 24, lw = W < 420 ? 100 : 118, gap = W < 420 ? 10 : 18, bw = (W - lw - 2 * gap) / 2 - 44, t = 24, H = t + sorted.length * rowH + 6;
    const maxC = Math.max(1, ...sorted.map((x) => x.customers || 0)), maxV = Math.max(1e-9, ...sorted.map((x) => x.value || 0));
    const x1 = lw + gap, x2 = x1 + bw + 44 + gap;
    let s = axisText(x1, 14, "Customers", "start", 'class="axis-label"') + axisText(x2, 14, "Predicted value ($)", "start", 'class="axis-label"');
    sorted.forEach((x, i) => {
      const y = t + i * rowH, wc = Math.max(1, (x.customers / maxC) * bw), wv = Math.max(1, ((x.value || 0) / maxV) * bw);
      const nm = label(gname(x, "segment"));
      s += axisText(lw, y + 16, esc(nm), "end");
      s += `<rect class="bar" x="${x1}" y="${y + 4}" width="${wc}" height="${rowH - 8}"><title>${esc(nm)}: ${int(x.customers)} customers</title></rect>${axisText(x1 + wc + 4, y + 16, int(x.customers), "start", 'class="val"')}`;
      s += `<rect class="bar alt" x="${x2}" y="${y + 4}" width="${wv}" height="${rowH - 8}"><title>${esc(nm)}: ${money(x.value)}, mean CLV ${money(x.mean_clv)}</title></rect>${axisText(x2 + wv + 4, y + 16, "$" + shortNum(x.value), "start", 'class="val"')}`;
    });
    el.innerHTML = svg(H, s, "Customers and predicted value per segment");
  }
  const TIER_ORDER = (t) => { const m = /top_?(\d+)/.exec(String(t)); return m ? +m[1] : 1e9; };
  const RISK_ORDER = { high: 0, medium: 1, low: 2 };
  function drawQuadrants(el, q) {
    fit(el);
    if (!q || !q.counts) return note(el, "Needs referral data: upload a customers file with who referred whom to see CLV × CRV quadrants.");
    const names = Object.keys(q.counts);
    const H = 260, m = { l: 40, r: 10, t: 10, b: 34 }, iw = W - m.l - m.r, ih = H - m.t - m.b;
    const total = names.reduce((a, k) => a + (q.counts[k] || 0), 0) || 1;
    // lay out four cells: high CRV on top, high CLV on the right
    // [column, row]: high CLV on the right, high CRV on top (clv-core's Quadrant names)
    const QUAD = { champion: [1, 0], champions: [1, 0], affluent: [1, 1], advocate: [0, 0], advocates: [0, 0], misers: [0, 1], miser: [0, 1] };
    const pos = (k) => QUAD[String(k).toLowerCase()] || [0, 0];
    const used = {};
    let s = "";
    names.forEach((k, i) => {
      let [cx, cy] = pos(k);
      if (used[cx + "," + cy]) { cx = i % 2; cy = Math.floor(i / 2) % 2; }
      used[cx + "," + cy] = 1;
      const v = q.counts[k] || 0, x = m.l + cx * iw / 2, y = m.t + cy * ih / 2;
      s += `<rect class="quad" x="${x + 2}" y="${y + 2}" width="${iw / 2 - 4}" height="${ih / 2 - 4}" fill="${color(0.15 + 0.85 * v / total)}"><title>${esc(label(k))}: ${int(v)}</title></rect>`;
      s += `<text class="cell-text big ${v / total > 0.5 ? "inv" : ""}" x="${x + iw / 4}" y="${y + ih / 4}" text-anchor="middle">${int(v)}</text>`;
      s += `<text class="cell-text ${v / total > 0.5 ? "inv" : ""}" x="${x + iw / 4}" y="${y + ih / 4 + 20}" text-anchor="middle">${esc(label(k))}</text>`;
    });
    s += axisText(m.l + iw / 2, H - 8, `CLV → (cut ${money(q.clv_cut)})`, "middle", 'class="axis-label"');
    s += axisText(14, m.t + ih / 2, `CRV → (cut ${money(q.crv_cut)})`, "middle", `class="axis-label" transform="rotate(-90 14 ${m.t + ih / 2})"`);
    el.innerHTML = svg(H, s, "CLV by CRV quadrants");
  }
  function drawPurchases(el, ps, byMonth) {
    fit(el);
    ps = (ps || []).filter((p) => ok(p.amount) && ok(Date.parse(p.date)));
    if (!ps.length) return note(el, "No purchases.");
    const H = 240, m = { l: 56, r: 14, t: 14, b: 40 }, iw = W - m.l - m.r, ih = H - m.t - m.b;
    let x0 = Math.min(...ps.map((p) => Date.parse(p.date))), x1 = Math.max(...ps.map((p) => Date.parse(p.date)));
    if (byMonth) x1 += 31 * 864e5;
    const pad = Math.max(20 * 864e5, (x1 - x0) * 0.04);
    x0 -= pad; x1 += pad;
    const ymax = Math.max(...ps.map((p) => p.amount), 1), yt = ticks(0, ymax, 4), y1 = Math.max(ymax, yt[yt.length - 1]);
    const sx = (t) => m.l + ((t - x0) / (x1 - x0)) * iw, sy = (v) => m.t + ih - (v / y1) * ih;
    let s = yt.map((t) => `<line class="grid" x1="${m.l}" x2="${W - m.r}" y1="${sy(t)}" y2="${sy(t)}"/>${axisText(m.l - 6, sy(t) + 4, "$" + shortNum(t), "end")}`).join("");
    const bw = byMonth ? Math.max(4, Math.min(24, sx(x0 + 26 * 864e5) - sx(x0))) : Math.max(2, Math.min(6, (iw / ps.length) * 0.5));
    ps.forEach((p) => { const x = sx(Date.parse(p.date) + (byMonth ? 15 * 864e5 : 0)); s += `<rect class="bar" x="${x - bw / 2}" y="${sy(p.amount)}" width="${bw}" height="${m.t + ih - sy(p.amount)}"><title>${esc(p.label || p.date)}: ${money(p.amount)}${ok(p.orders) ? ` in ${int(p.orders)} orders` : ""}</title></rect>`; });
    const d0 = new Date(x0), months = Math.round((x1 - x0) / (30.44 * 864e5)), step = [1, 2, 3, 4, 6, 12, 24].find((st) => months / st <= Math.max(2, Math.floor(iw / 75))) || 24;
    for (let k = 1; k <= months + 1; k += step) {
      const t = Date.UTC(d0.getUTCFullYear(), d0.getUTCMonth() + k, 1);
      if (t > x1) break;
      const d = new Date(t);
      s += axisText(sx(t), m.t + ih + 17, d.toLocaleString("en-US", { month: "short", timeZone: "UTC" }) + " " + d.getUTCFullYear());
    }
    s += `<line class="axis" x1="${m.l}" x2="${W - m.r}" y1="${m.t + ih}" y2="${m.t + ih}"/>`;
    s += axisText(14, m.t + ih / 2, byMonth ? "Revenue per month ($)" : "Order amount ($)", "middle", `class="axis-label" transform="rotate(-90 14 ${m.t + ih / 2})"`);
    el.innerHTML = svg(H, s, "Purchases over time");
  }
  function drawCharts(c) {
    const safe = (f) => { try { f(); } catch (e) { console.error(e); } };
    safe(() => drawHistogram($("#chart-clv"), c.clv_histogram));
    safe(() => drawPAlive($("#chart-palive"), c.p_alive_matrix));
    safe(() => drawTracking($("#chart-tracking"), c.tracking));
    safe(() => drawCohorts($("#chart-cohorts"), c.cohort_retention));
    safe(() => drawQuadrants($("#chart-quadrants"), c.quadrants));
    safe(() => (c.channels && c.channels.length
      ? drawBars($("#chart-channels"), c.channels.map((x) => ({ label: label(gname(x, "channel")), value: x.value, extra: `${int(x.customers)} customers, mean ${money(x.mean_clv)}` })), { fmt: money, desc: "Value by channel" })
      : note($("#chart-channels"), "Needs customer data: upload a customers file with an acquisition channel to see value by channel.")));
    safe(() => drawSegments($("#chart-segments"), c.segments));
    safe(() => drawBars($("#chart-tiers"), (c.tiers || []).slice().sort((a, b) => TIER_ORDER(gname(a, "tier")) - TIER_ORDER(gname(b, "tier"))).map((x) => ({ label: label(gname(x, "tier")), value: x.customers, extra: "value " + money(x.value) })), { fmt: int, title: "Customers per value tier", desc: "Customers per value tier", empty: "No tiers." }));
    safe(() => drawBars($("#chart-risk"), (c.churn_risk || []).slice().sort((a, b) => (RISK_ORDER[gname(a, "risk")] ?? 9) - (RISK_ORDER[gname(b, "risk")] ?? 9)).map((x) => ({ label: label(gname(x, "risk")) + " risk", value: x.customers, extra: "value " + money(x.value) })), { fmt: int, title: "Customers per churn risk", cls: "alt", desc: "Customers per churn risk", empty: "No churn risk." }));
  }

  // ---------- start ----------
  (async function start() {
    try {
      state.config = await api("/api/config");
      if (state.config && state.config.version) $("#version").textContent = "v" + state.config.version;
      if (state.config && state.config.auth) {
        $("#token-button").hidden = !token();
        if (!token()) showTokenPanel("Customer data and changes need the access token.");
      }
    } catch (e) { /* the page still routes; errors show per page */ }
    router();
  })();
})();
