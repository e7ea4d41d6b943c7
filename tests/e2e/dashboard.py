#!/usr/bin/env python3
"""End-to-end test of the clv dashboard in headless Chromium.

Standard library only: speaks the W3C WebDriver JSON protocol to `chromedriver` with urllib.

    python3 tests/e2e/dashboard.py --clv target/debug/clv --screenshots /tmp/e2e-shots

Starts `clv serve` on a free loopback port with a temporary data directory and a token, starts
chromedriver and a headless Chromium session, uploads the CDNOW sample through the page, runs an
analysis, checks every chart, the customer table, a customer page and a CSV download, saves
screenshots, and prints `N passed, M failed` as its last line (exit 1 on any failure).
"""
import argparse
import base64
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import traceback
import urllib.error
import urllib.request

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SAMPLE = os.path.join(REPO, "data", "cdnow_sample.csv")
SIDE_DATA = os.path.join(REPO, "crates", "clv-server", "tests", "data")
CUSTOMERS = os.path.join(SIDE_DATA, "cdnow_customers.csv")
EVENTS = os.path.join(SIDE_DATA, "cdnow_events.csv")
TOKEN = "e2e-secret-token"
KEY_ENTER = "\ue007"


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def http(method, url, body=None, timeout=30, headers=None):
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(url, data=data, method=method, headers=headers or {})
    if data is not None:
        req.add_header("Content-Type", "application/json")
    with urllib.request.urlopen(req, timeout=timeout) as r:
        raw = r.read()
        return r.status, (json.loads(raw) if raw else None)


def wait_http(url, timeout, what, proc=None):
    end = time.time() + timeout
    last = None
    while time.time() < end:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"{what} exited with code {proc.returncode} before it answered")
        try:
            status, body = http("GET", url, timeout=2)
            if status == 200:
                return body
        except Exception as e:  # not up yet
            last = e
        time.sleep(0.2)
    raise RuntimeError(f"{what} did not answer {url} within {timeout} s ({last})")


class WebDriverError(Exception):
    pass


class Browser:
    def __init__(self, port, download_dir, profile_dir):
        self.base = f"http://127.0.0.1:{port}"
        caps = {
            "capabilities": {
                "alwaysMatch": {
                    "browserName": "chrome",
                    "goog:chromeOptions": {
                        "binary": "/usr/bin/chromium",
                        "args": [
                            "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                            "--disable-background-networking", "--disable-component-update", "--disable-sync",
                            f"--user-data-dir={profile_dir}", "--window-size=1280,1800",
                        ],
                        "prefs": {
                            "download.default_directory": download_dir,
                            "download.prompt_for_download": False,
                            "download.directory_upgrade": True,
                            "safebrowsing.enabled": False,
                        },
                    },
                    "timeouts": {"script": 30000, "pageLoad": 30000, "implicit": 0},
                }
            }
        }
        v = self._call("POST", "/session", caps, timeout=60)
        self.sid = v["sessionId"]
        self.download_dir = download_dir

    def _call(self, method, path, body=None, timeout=40):
        try:
            _, resp = http(method, self.base + path, body if body is not None else ({} if method == "POST" else None), timeout=timeout)
        except urllib.error.HTTPError as e:
            try:
                v = json.loads(e.read()).get("value", {})
                raise WebDriverError(f"{method} {path}: {v.get('error')}: {v.get('message', '')[:300]}") from None
            except (ValueError, AttributeError):
                raise WebDriverError(f"{method} {path}: HTTP {e.code}") from None
        return resp.get("value") if resp else None

    def s(self, method, path, body=None, timeout=40):
        return self._call(method, f"/session/{self.sid}{path}", body, timeout)

    def get(self, url):
        self.s("POST", "/url", {"url": url})

    def js(self, script, *args):
        return self.s("POST", "/execute/sync", {"script": script, "args": list(args)})

    def find(self, css):
        v = self.s("POST", "/element", {"using": "css selector", "value": css})
        return next(iter(v.values()))

    def click(self, css):
        self.s("POST", f"/element/{self.find(css)}/click")

    def type(self, css, text):
        self.s("POST", f"/element/{self.find(css)}/value", {"text": text})

    def wait(self, script, timeout, what, *args):
        """Wait until `script` (a JS function body returning a value) returns something truthy."""
        end = time.time() + timeout
        last = None
        while time.time() < end:
            try:
                v = self.js(script, *args)
                if v:
                    return v
            except WebDriverError as e:
                last = e
            time.sleep(0.25)
        raise AssertionError(f"timed out after {timeout} s waiting for {what}" + (f" ({last})" if last else ""))

    def set_size(self, w, h):
        self.s("POST", "/window/rect", {"width": w, "height": h})

    def screenshot(self, path, full_page=True):
        """Full-page PNG through Chromium's DevTools (chromedriver's goog/cdp), else the viewport."""
        data = None
        if full_page:
            try:
                m = self.s("POST", "/goog/cdp/execute", {"cmd": "Page.getLayoutMetrics", "params": {}})
                size = m.get("cssContentSize") or m.get("contentSize")
                clip = {"x": 0, "y": 0, "width": size["width"], "height": min(size["height"], 8000), "scale": 1}
                r = self.s("POST", "/goog/cdp/execute", {"cmd": "Page.captureScreenshot",
                                                         "params": {"format": "png", "captureBeyondViewport": True, "clip": clip}}, timeout=60)
                data = r["data"]
            except Exception:
                data = None
        if data is None:
            data = self.s("GET", "/screenshot", timeout=60)
        with open(path, "wb") as f:
            f.write(base64.b64decode(data))

    def quit(self):
        try:
            self.s("DELETE", "", timeout=15)
        except Exception:
            pass


class Checks:
    def __init__(self, shots):
        self.passed, self.failed = [], []
        self.shots = shots
        self.browser = None

    def run(self, name, fn, critical=True):
        t = time.time()
        try:
            fn()
        except Exception as e:  # a failed check: record it, stop the flow if later steps need it
            self.failed.append((name, f"{type(e).__name__}: {e}"))
            print(f"FAIL {name} ({time.time() - t:.1f} s): {e}", flush=True)
            if self.browser is not None:  # what the page showed, for the CI log
                try:
                    path = os.path.join(self.shots, f"failed-{len(self.failed)}.png")
                    self.browser.screenshot(path, full_page=False)
                    print(f"     page at the failure: {path}, {self.browser.js('return location.href')}", flush=True)
                except Exception:
                    pass
            if os.environ.get("E2E_TRACE"):
                traceback.print_exc()
            if critical:
                raise StopFlow() from None
            return
        self.passed.append(name)
        print(f"ok   {name} ({time.time() - t:.1f} s)", flush=True)


class StopFlow(Exception):
    pass


NO_BAD_TEXT = "const t = document.body.innerText; return /\\bNaN\\b|\\bundefined\\b|\\bnull\\b|Infinity/.test(t) ? t.match(/.{0,40}(NaN|undefined|null|Infinity).{0,40}/)[0] : '';"


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--clv", required=True, help="path to the clv binary (with `serve`)")
    ap.add_argument("--screenshots", default=None, help="directory for the PNG screenshots")
    ap.add_argument("--chromedriver", default=shutil.which("chromedriver") or "/usr/bin/chromedriver")
    ap.add_argument("--timeout", type=float, default=120, help="seconds to wait for the analysis")
    args = ap.parse_args()

    started = time.time()
    shots = os.path.abspath(args.screenshots or tempfile.mkdtemp(prefix="clv-e2e-shots-"))
    os.makedirs(shots, exist_ok=True)
    for f in os.listdir(shots):  # failure screenshots of an earlier run
        if f.startswith("failed-") and f.endswith(".png"):
            os.remove(os.path.join(shots, f))
    work = tempfile.mkdtemp(prefix="clv-e2e-")
    data_dir, dl_dir, profile = (os.path.join(work, d) for d in ("data", "downloads", "profile"))
    for d in (data_dir, dl_dir, profile):
        os.makedirs(d)
    port, wd_port = free_port(), free_port()
    url = f"http://127.0.0.1:{port}"
    checks = Checks(shots)
    server = driver = browser = None
    server_log = open(os.path.join(work, "server.log"), "wb")
    driver_log = open(os.path.join(work, "chromedriver.log"), "wb")
    ctx = {}

    try:
        def start_server():
            nonlocal server
            clv = os.path.abspath(args.clv)
            server = subprocess.Popen([clv, "serve", "--data", data_dir, "--bind", f"127.0.0.1:{port}", "--token", TOKEN],
                                      stdout=server_log, stderr=subprocess.STDOUT, start_new_session=True)
            body = wait_http(url + "/healthz", 60, "clv serve", server)
            assert body.get("status") == "ok", body
            _, cfg = http("GET", url + "/api/config", timeout=10)
            assert cfg.get("auth") is True, f"/api/config says {cfg}"

        def start_browser():
            nonlocal driver, browser
            driver = subprocess.Popen([args.chromedriver, f"--port={wd_port}"], stdout=driver_log, stderr=subprocess.STDOUT,
                                      start_new_session=True)
            wait_http(f"http://127.0.0.1:{wd_port}/status", 30, "chromedriver", driver)
            browser = Browser(wd_port, dl_dir, profile)

        checks.run("server starts and answers /healthz with auth on", start_server)
        checks.run("chromedriver and headless Chromium start", start_browser)
        b = checks.browser = browser

        def token_form():
            b.get(url + "/")
            b.wait("const p = document.getElementById('token-panel'); return p && !p.hidden;", 15, "the token form")
            b.type("#token-input", "wrong-token")
            b.click("#token-submit")
            b.wait("const p = document.getElementById('token-panel'); return !p.hidden && /not accepted/.test(document.getElementById('token-msg').textContent);",
                   15, "the wrong token to be refused")
            assert not b.js("return localStorage.getItem('clv.token')"), "a refused token was kept"
            b.type("#token-input", TOKEN)
            b.click("#token-submit")
            b.wait("return document.getElementById('token-panel').hidden && !!document.querySelector('[data-testid=home]');",
                   15, "the analyses page after the token")
            assert b.js("return localStorage.getItem('clv.token')") == TOKEN

        checks.run("token form: wrong token refused, right one kept", token_form)

        def upload():
            b.get(url + "/#/")
            b.wait("return !!document.querySelector('[data-testid=home]');", 10, "the analyses page")
            b.click("#nav-upload")
            b.wait("return !!document.getElementById('file-input') && !document.querySelector('[data-testid=upload-error]');", 10, "the upload page")
            b.type("#file-input", os.path.abspath(SAMPLE))
            b.js("document.getElementById('name-input').value = 'cdnow';")
            b.click("#upload-button")
            lines = b.wait("const r = document.querySelector('[data-testid=report-lines]'); return r && r.textContent;", 60, "the data-quality report")
            ok = b.js("return document.querySelector('[data-testid=upload-ok]').textContent")
            assert "cdnow" in ok and "2,357 customers" in ok, f"upload message: {ok!r}"
            ctx["report"] = lines
            b.screenshot(os.path.join(shots, "upload.png"), full_page=False)

        def bad_upload():
            bad = os.path.join(work, "bad.csv")
            with open(bad, "w") as f:
                f.write("customer_id,date,amount\n1,1997-01-01,10.0\n2,not-a-date,5.0\n")
            b.click("#nav-upload")
            b.wait("return !!document.getElementById('file-input');", 10, "the upload page")
            b.type("#file-input", bad)
            b.js("document.getElementById('name-input').value = 'bad';")
            b.click("#upload-button")
            err = b.wait("const e = document.querySelector('[data-testid=upload-error]'); return e && e.textContent;", 30, "the upload error")
            assert "date" in err and ("3" in err or "line" in err), f"the error does not name the line and column: {err!r}"
            ctx["bad_upload_error"] = err

        checks.run("a bad file is refused with the line and column named", bad_upload, critical=False)
        checks.run("upload the CDNOW sample and see the data-quality report", upload)

        def run_analysis():
            b.wait("return document.getElementById('dataset-select').value === 'cdnow';", 10, "the dataset in the analysis form")
            b.js("const c = document.getElementById('calibration-input'); c.value = '1997-09-30'; c.dispatchEvent(new Event('input'));")
            b.click("#run-button")
            b.wait("return /^#\\/analysis\\/[^/]+$/.test(location.hash);", 20, "the analysis page")
            ctx["analysis_hash"] = b.js("return location.hash")
            # the progress bar shows while the job runs (or the job finished before we looked) ...
            ctx["saw_progress"] = b.wait("return document.getElementById('job-progress') ? 'progress' : document.getElementById('chart-clv') ? 'done' : '';",
                                         20, "a progress bar") == "progress"
            # ... and comes back after a reload: the page polls /api/jobs/{id} again
            b.s("POST", "/refresh")
            b.wait("return location.hash === arguments[0] && (document.getElementById('job-progress') || document.getElementById('chart-clv'));",
                   20, "the job's progress after a reload", ctx["analysis_hash"])
            t0 = time.time()
            b.wait("const e = document.querySelector('[data-testid=job-error]'); if (e) return 'error: ' + e.textContent;"
                   "return document.querySelectorAll('#chart-clv rect').length > 0 ? 'done' : '';", args.timeout, "the analysis to finish")
            err = b.js("const e = document.querySelector('[data-testid=job-error]'); return e ? e.textContent : ''")
            assert not err, err
            ctx["analysis_seconds"] = time.time() - t0

        checks.run("run an analysis with calibration end 1997-09-30 and wait for it", run_analysis)

        def charts():
            counts = b.js("""
              const n = (sel) => document.querySelectorAll(sel).length;
              const note = (id) => !!document.querySelector('#' + id + ' .chart-note');
              return {clv: n('#chart-clv rect.bar'), palive: n('#chart-palive rect.cell'), tracking: n('#chart-tracking polyline'),
                      cohorts: n('#chart-cohorts rect.cell'), quadrants: n('#chart-quadrants rect') || (note('chart-quadrants') ? -1 : 0),
                      channels: n('#chart-channels rect') || (note('chart-channels') ? -1 : 0), segments: n('#chart-segments rect.bar'),
                      tiers: n('#chart-tiers rect.bar'), risk: n('#chart-risk rect.bar'), legends: n('.legend')};""")
            bad = [k for k, v in counts.items() if not v]
            assert not bad, f"charts with nothing drawn: {bad} ({counts})"
            assert counts["legends"] >= 2, f"heatmap legends: {counts['legends']}"
            assert counts["tracking"] >= 2, f"tracking lines: {counts['tracking']}"
            ctx["charts"] = counts

        checks.run("every chart drew something (or a 'needs data' note)", charts, critical=False)

        def overview():
            kp = b.js("return ['kpi-customers','kpi-revenue','kpi-predicted','kpi-ltvcac'].map(id => document.querySelector('#' + id + ' .v').textContent);")
            assert kp[0] == "2,357", f"customers KPI {kp[0]!r}"
            assert kp[1].startswith("$") and "," in kp[1], f"revenue KPI {kp[1]!r}"
            assert kp[2].startswith("$"), f"predicted value KPI {kp[2]!r}"
            assert b.js("return document.querySelectorAll('[data-testid=validation] tr').length") > 0, "no validation metrics"
            bad = b.js(NO_BAD_TEXT)
            assert not bad, f"page shows {bad!r}"
            b.screenshot(os.path.join(shots, "overview.png"))

        checks.run("overview numbers (thousands separators, validation, no NaN/undefined); screenshot", overview, critical=False)

        def reload_keeps_place():
            b.s("POST", "/refresh")
            b.wait("return location.hash === arguments[0] && document.querySelectorAll('#chart-clv rect').length > 0;", 30,
                   "the analysis after a reload", ctx["analysis_hash"])

        checks.run("a reload keeps the analysis page", reload_keeps_place, critical=False)

        def download_action():
            for f in os.listdir(dl_dir):
                os.remove(os.path.join(dl_dir, f))
            name = b.wait("const x = document.querySelector('[data-testid^=download-action-]'); return x && x.dataset.download;", 10, "an action download button")
            b.click(f"[data-testid=download-action-{name}]")
            end = time.time() + 30
            got = None
            while time.time() < end and not got:
                done = [f for f in os.listdir(dl_dir) if f.endswith(".csv")]
                if done:
                    got = os.path.join(dl_dir, done[0])
                time.sleep(0.25)
            assert got, f"no CSV in the download directory after 30 s: {os.listdir(dl_dir)}"
            time.sleep(0.3)
            with open(got, encoding="utf-8", errors="replace") as f:
                head = f.readline().strip()
            assert "customer_id" in head and "," in head, f"{os.path.basename(got)} header line {head!r}"
            ctx["download"] = (os.path.basename(got), head)
            b.click(f"[data-testid=show-{name}]")
            b.wait("return document.querySelectorAll('[data-testid=action-table] tbody tr').length > 0;", 15, "the action list rows")

        checks.run("download an action list as CSV (fetch with the token) and show it", download_action, critical=False)

        def customers():
            b.click("#tab-customers")
            b.wait("return document.querySelectorAll('[data-testid=customer-row]').length > 0;", 20, "customer rows")
            first = b.js("return [...document.querySelectorAll('[data-testid=customer-row]')].slice(0, 3).map(r => r.dataset.customer)")
            # sort by customer id with the keyboard (Enter on the header button), then by CLV descending again
            b.s("POST", f"/element/{b.find('[data-testid=sort-customer_id]')}/value", {"text": KEY_ENTER})
            b.wait("const th = document.querySelector('[data-testid=sort-customer_id]'); return th && th.closest('th').getAttribute('aria-sort') === 'ascending';",
                   15, "sorting by customer id")
            # filter by a segment
            seg = b.js("const o = document.querySelectorAll('#segment-filter option'); return o.length > 1 ? o[1].value : ''")
            assert seg, "no segments in the filter"
            b.js("const s = document.getElementById('segment-filter'); s.value = arguments[0]; s.dispatchEvent(new Event('change'));", seg)
            b.wait("const r = [...document.querySelectorAll('[data-testid=customer-row]')]; return r.length > 0 && r.every(x => x.children[1].textContent === arguments[0].replace(/_/g, ' '));",
                   15, f"only {seg} customers", seg)
            b.js("const s = document.getElementById('segment-filter'); s.value = ''; s.dispatchEvent(new Event('change'));")
            # search by id substring
            b.js("document.getElementById('search-input').value = arguments[0];", first[0])
            b.click("#search-button")
            b.wait("const r = [...document.querySelectorAll('[data-testid=customer-row]')]; return r.length > 0 && r.every(x => x.dataset.customer.includes(arguments[0]));",
                   15, "the search result", first[0])
            b.js("document.getElementById('search-input').value = '';")
            b.click("#search-button")
            b.wait("return document.querySelectorAll('[data-testid=customer-row]').length >= 10;", 15, "the full table again")
            b.s("POST", f"/element/{b.find('[data-testid=sort-clv]')}/value", {"text": KEY_ENTER})
            b.wait("const th = document.querySelector('[data-testid=sort-clv]'); return th && th.closest('th').getAttribute('aria-sort') === 'descending';",
                   15, "sorting by CLV, highest first")
            clvs = b.js("return [...document.querySelectorAll('[data-testid=customer-row]')].map(r => parseFloat(r.children[8].textContent.replace(/[$,]/g, '')))")
            assert clvs == sorted(clvs, reverse=True), f"CLV column not in descending order: {clvs[:5]}"
            bad = b.js(NO_BAD_TEXT)
            assert not bad, f"page shows {bad!r}"
            b.screenshot(os.path.join(shots, "customers.png"), full_page=False)

        checks.run("customer table: rows, keyboard sort, segment filter, search; screenshot", customers, critical=False)

        def customer_page():
            if not b.js("return document.querySelectorAll('[data-testid=customer-link]').length > 0"):
                b.get(url + "/" + ctx["analysis_hash"] + "/customers")
                b.wait("return document.querySelectorAll('[data-testid=customer-link]').length > 0;", 20, "customer rows")
            b.click("[data-testid=customer-link]")
            b.wait("return document.querySelectorAll('[data-testid=purchase-row]').length > 0 && document.querySelectorAll('#chart-purchases rect').length > 0;",
                   20, "the purchase history")
            n_expl = b.js("return document.querySelectorAll('[data-testid=explanation] li').length")
            assert n_expl > 0, "no explanation sentences"
            assert b.js("return document.querySelectorAll('#chart-customer-palive polyline, #chart-customer-palive .chart-note').length") > 0, "no P(alive) chart"
            bad = b.js(NO_BAD_TEXT)
            assert not bad, f"page shows {bad!r}"
            b.screenshot(os.path.join(shots, "customer.png"))

        checks.run("customer page: purchase history, P(alive) over time, explanation; screenshot", customer_page, critical=False)

        def phone():
            b.set_size(390, 1800)
            b.get(url + "/" + ctx["analysis_hash"])
            b.wait("return document.querySelectorAll('#chart-clv rect').length > 0;", 20, "the overview at phone width")
            w = b.js("return [window.innerWidth, document.documentElement.scrollWidth, getComputedStyle(document.querySelector('.grid')).gridTemplateColumns.split(' ').length]")
            assert w[0] <= 420, f"window is {w[0]} px wide, not a phone width"
            if w[1] > w[0] + 1:
                wide = b.js("return [...document.querySelectorAll('body *')].filter(e => e.getBoundingClientRect().right > window.innerWidth + 1)"
                            ".slice(0, 5).map(e => e.tagName + (e.id ? '#' + e.id : '') + '.' + e.className + ' ' + Math.round(e.getBoundingClientRect().right))")
                raise AssertionError(f"page scrolls sideways at {w[0]} px: {w[1]} px wide; too wide: {wide}")
            assert w[2] == 1, f"{w[2]} columns at phone width"
            b.screenshot(os.path.join(shots, "overview-phone.png"), full_page=False)
            b.screenshot(os.path.join(shots, "overview-phone-full.png"))
            b.set_size(1280, 1800)

        checks.run("phone width (390 px): one column, no sideways scroll; screenshot", phone, critical=False)

        def failing_analysis():
            b.get(url + "/#/upload?dataset=cdnow")
            b.wait("return document.getElementById('dataset-select') && document.getElementById('dataset-select').value === 'cdnow';", 15, "the analysis form")
            b.js("document.getElementById('calibration-input').value = '2030-01-01';")
            b.click("#run-button")
            err = b.wait("const e = document.querySelector('[data-testid=job-error]') || document.querySelector('#run-status .error'); return e && e.textContent;",
                         60, "the analysis to fail")
            assert "2030-01-01" in err or "calibration" in err, f"the error does not say what is wrong: {err!r}"

        checks.run("an analysis that cannot run shows why", failing_analysis, critical=False)

        def analyses_list():
            b.get(url + "/#/")
            b.wait("const r = [...document.querySelectorAll('[data-testid=analyses-table] tbody tr')]; return r.some(x => /done/.test(x.textContent)) && r.some(x => /failed/.test(x.textContent));",
                   15, "the finished and the failed analysis in the list")
            b.screenshot(os.path.join(shots, "analyses.png"), full_page=False)

        checks.run("the analyses page lists the finished and the failed analysis; screenshot", analyses_list, critical=False)

        # ---- second flow: a customers file and engagement events beside the transactions ----
        def side_uploads():
            b.get(url + "/#/upload")
            b.wait("return !!document.getElementById('kind-select') && document.getElementById('dataset-select').value === 'cdnow';", 15, "the upload page")
            for path, kind, name in ((CUSTOMERS, "customers", "cdnow_customers"), (EVENTS, "events", "cdnow_events")):
                b.js("const k = document.getElementById('kind-select'); k.value = arguments[0]; k.dispatchEvent(new Event('change'));"
                     "document.getElementById('upload-status').innerHTML = ''; document.getElementById('file-input').value = '';", kind)
                help_text = b.js("return document.getElementById('kind-help').textContent")
                assert "customer_id" in help_text and (kind != "customers" or "referred_by" in help_text), f"help for {kind}: {help_text!r}"
                b.type("#file-input", os.path.abspath(path))
                b.js("document.getElementById('name-input').value = arguments[0];", name)
                b.click("#upload-button")
                msg = b.wait("const e = document.querySelector('[data-testid=upload-error]'); if (e) return 'error: ' + e.textContent;"
                             "const o = document.querySelector('[data-testid=upload-ok]'); return o && o.textContent;", 30, f"the {kind} upload")
                assert not msg.startswith("error") and name in msg, f"{kind} upload: {msg!r}"
                b.wait("return [...document.querySelectorAll('#' + arguments[0] + ' option')].some(o => o.value === arguments[1]);",
                       10, f"{name} offered in the {kind} select", {"customers": "customers-select", "events": "events-select"}[kind], name)
            kinds = b.js("return Object.fromEntries([...document.querySelectorAll('#upload-datasets [data-testid=dataset-row]')].map(r => [r.children[0].textContent, r.dataset.kind]))")
            assert kinds.get("cdnow") == "transactions" and kinds.get("cdnow_customers") == "customers" and kinds.get("cdnow_events") == "events", f"dataset kinds: {kinds}"
            tx = b.js("return [...document.querySelectorAll('#dataset-select option')].map(o => o.value)")
            assert "cdnow_customers" not in tx and "cdnow_events" not in tx, f"the transactions select offers other kinds: {tx}"
            b.screenshot(os.path.join(shots, "upload-kinds.png"), full_page=False)
            ctx["side_uploaded"] = True

        checks.run("upload a customers file and an events file as their kinds; the list shows the kinds; screenshot", side_uploads, critical=False)

        def side_analysis():
            assert ctx.get("side_uploaded"), "the side files were not uploaded"
            b.js("document.getElementById('dataset-select').value = 'cdnow'; document.getElementById('calibration-input').value = '';"
                 "document.getElementById('customers-select').value = 'cdnow_customers'; document.getElementById('events-select').value = 'cdnow_events';")
            b.click("#run-button")
            b.wait("return /^#\\/analysis\\/[^/]+$/.test(location.hash) && location.hash !== arguments[0];", 20, "the new analysis page", ctx.get("analysis_hash", ""))
            ctx["side_hash"] = b.js("return location.hash")
            t0 = time.time()
            b.wait("const e = document.querySelector('[data-testid=job-error]'); if (e) return 'error: ' + e.textContent;"
                   "return document.querySelectorAll('#chart-clv rect').length > 0 ? 'done' : '';", args.timeout, "the analysis with customers to finish")
            err = b.js("const e = document.querySelector('[data-testid=job-error]'); return e ? e.textContent : ''")
            assert not err, err
            ctx["side_seconds"] = time.time() - t0

        checks.run("run an analysis with the customers and events datasets", side_analysis, critical=False)

        def side_overview():
            assert ctx.get("side_hash"), "no analysis with customers"
            got = b.js("""
              const n = (sel) => document.querySelectorAll(sel).length;
              return {quadrants: n('#chart-quadrants rect.quad'), quad_note: n('#chart-quadrants .chart-note'),
                      channels: n('#chart-channels rect.bar'), chan_note: n('#chart-channels .chart-note'),
                      econ_rows: n('[data-testid=economics-row]'), verdicts: n('[data-testid=economics-row] [data-testid=verdict]'),
                      ltvcac: document.querySelector('#kpi-ltvcac .v').textContent, ltvcac_sub: document.querySelector('#kpi-ltvcac .s').textContent,
                      payback: document.querySelector('#kpi-payback .v').textContent};""")
            assert got["quadrants"] == 4 and not got["quad_note"], f"quadrants not drawn: {got}"
            assert got["channels"] > 0 and not got["chan_note"], f"channel chart not drawn: {got}"
            assert got["econ_rows"] > 0 and got["verdicts"] == got["econ_rows"], f"economics card: {got}"
            assert "×" in got["ltvcac"] and "CAC $" in got["ltvcac_sub"], f"LTV:CAC card: {got}"
            assert "needs" not in got["payback"], f"payback card: {got}"
            bad = b.js(NO_BAD_TEXT)
            assert not bad, f"page shows {bad!r}"
            ctx["side_overview"] = got
            b.screenshot(os.path.join(shots, "overview-with-customers.png"))
            # the economics table scrolls inside its card on a phone, not the page
            b.set_size(390, 1800)
            try:
                b.wait("return document.querySelectorAll('[data-testid=economics-row]').length > 0 && document.documentElement.clientWidth <= 420;", 10, "the phone width")
                w = b.js("return [document.documentElement.clientWidth, document.documentElement.scrollWidth]")
                if w[1] > w[0] + 1:
                    wide = b.js("return [...document.querySelectorAll('body *')].filter(e => e.getBoundingClientRect().right > document.documentElement.clientWidth + 1)"
                                ".slice(0, 5).map(e => e.tagName + (e.id ? '#' + e.id : '') + '.' + e.className + ' ' + Math.round(e.getBoundingClientRect().right))")
                    raise AssertionError(f"page scrolls sideways at {w[0]} px with customers data: {w[1]} px wide; too wide: {wide}")
                b.js("document.getElementById('economics-card').scrollIntoView()")
                b.screenshot(os.path.join(shots, "overview-with-customers-phone.png"), full_page=False)
            finally:
                b.set_size(1280, 1800)

        checks.run("with customers: quadrants, channels, unit economics by channel; screenshot", side_overview, critical=False)

        def side_customers():
            assert ctx.get("side_hash"), "no analysis with customers"
            b.click("#tab-customers")
            b.wait("return document.querySelectorAll('[data-testid=customer-row]').length > 0 && !!document.querySelector('[data-testid=sort-crv]');", 20, "customer rows with a CRV column")
            b.s("POST", f"/element/{b.find('[data-testid=sort-crv]')}/value", {"text": KEY_ENTER})
            b.wait("const th = document.querySelector('[data-testid=sort-crv]'); return th && th.closest('th').getAttribute('aria-sort') === 'descending';",
                   15, "sorting by CRV, highest first")
            crv = b.js("const i = [...document.querySelectorAll('#customers-table thead th')].findIndex(th => /CRV/.test(th.textContent));"
                       "const r = document.querySelector('[data-testid=customer-row]'); return r ? r.children[i].textContent : ''")
            assert crv.startswith("$") and crv != "$0.00", f"top customer's CRV cell {crv!r}"
            ctx["top_crv"] = crv
            b.screenshot(os.path.join(shots, "customers-with-crv.png"), full_page=False)

        checks.run("with customers: the customer table shows a CRV (sorted by it)", side_customers, critical=False)
    except StopFlow:
        pass
    except Exception as e:
        checks.failed.append(("unexpected error", f"{type(e).__name__}: {e}"))
        traceback.print_exc()
    finally:
        if browser is not None:
            browser.quit()
        for p in (driver, server):
            if p is None:
                continue
            try:  # each started in its own session: end it and whatever it started (Chromium), by process group
                os.killpg(p.pid, signal.SIGTERM)
                p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(p.pid, signal.SIGKILL)
                p.wait(timeout=10)
            except ProcessLookupError:
                pass
        server_log.close()
        driver_log.close()
        if checks.failed:
            for name in ("server.log", "chromedriver.log"):
                path = os.path.join(work, name)
                if os.path.exists(path):
                    tail = open(path, "rb").read()[-1500:].decode("utf-8", "replace")
                    print(f"--- last lines of {name} ---\n{tail}", file=sys.stderr)
        shutil.rmtree(work, ignore_errors=True)

    print(f"screenshots: {shots} ({', '.join(sorted(f for f in os.listdir(shots) if f.endswith('.png')))})")
    if "download" in ctx:
        print(f"downloaded {ctx['download'][0]}: {ctx['download'][1][:80]}")
    if "saw_progress" in ctx:
        print("saw the progress bar" if ctx["saw_progress"] else "the analysis finished before the progress bar showed")
    if "analysis_seconds" in ctx:
        print(f"analysis took {ctx['analysis_seconds']:.1f} s; whole test {time.time() - started:.1f} s")
    if "side_seconds" in ctx:
        print(f"analysis with customers and events took {ctx['side_seconds']:.1f} s" + (f"; top CRV {ctx['top_crv']}" if "top_crv" in ctx else ""))
    for name, why in checks.failed:
        print(f"FAILED: {name}: {why}")
    print(f"{len(checks.passed)} passed, {len(checks.failed)} failed")
    return 1 if checks.failed else 0


if __name__ == "__main__":
    sys.exit(main())
