//! In-process tests of every endpoint: the router called through tower,
//! with a real data directory, database and worker threads.

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt;
use serde_json::{Value, json};
use tower::ServiceExt;

const TOKEN: &str = "test-token-0123456789";
const CDNOW: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../data/cdnow_sample.csv");

struct Server {
    app: axum::Router,
    rt: tokio::runtime::Runtime,
    dir: tempfile::TempDir,
    state: Arc<clv_server::State>,
}

fn server_with(config: impl FnOnce(&mut clv_server::Config)) -> Server {
    let dir = tempfile::tempdir().unwrap();
    let mut c = clv_server::Config::new(dir.path().join("data"), Some(TOKEN.into()));
    config(&mut c);
    let state = clv_server::State::open(c).unwrap();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    Server {
        app: clv_server::api::router(state.clone()),
        rt,
        dir,
        state,
    }
}

fn server() -> Server {
    server_with(|_| {})
}

struct Resp {
    status: StatusCode,
    headers: axum::http::HeaderMap,
    body: Vec<u8>,
}

impl Resp {
    fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&self.body)))
    }
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

impl Server {
    fn call(&self, method: &str, uri: &str, token: Option<&str>, body: Vec<u8>) -> Resp {
        let mut req = Request::builder().method(method).uri(uri);
        if let Some(t) = token {
            req = req.header("authorization", format!("Bearer {t}"));
        }
        let req = req.body(Body::from(body)).unwrap();
        self.rt.block_on(async {
            let resp = self.app.clone().oneshot(req).await.unwrap();
            let status = resp.status();
            let headers = resp.headers().clone();
            let body = resp
                .into_body()
                .collect()
                .await
                .unwrap()
                .to_bytes()
                .to_vec();
            Resp {
                status,
                headers,
                body,
            }
        })
    }
    fn get(&self, uri: &str) -> Resp {
        self.call("GET", uri, Some(TOKEN), Vec::new())
    }
    fn post(&self, uri: &str, body: impl Into<Vec<u8>>) -> Resp {
        self.call("POST", uri, Some(TOKEN), body.into())
    }
    fn upload(&self, name: &str, content: impl Into<Vec<u8>>) -> Resp {
        self.post(&format!("/api/datasets?name={name}"), content)
    }
    fn upload_cdnow(&self) {
        let r = self.upload("cdnow", std::fs::read(CDNOW).unwrap());
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    }
    fn start(&self, req: Value) -> String {
        let r = self.post("/api/analyses", req.to_string());
        assert_eq!(r.status, StatusCode::ACCEPTED, "{}", r.text());
        r.json()["id"].as_str().unwrap().to_string()
    }
    fn wait(&self, id: &str) -> Value {
        let t = Instant::now();
        loop {
            let j = self.get(&format!("/api/jobs/{id}")).json();
            let s = j["state"].as_str().unwrap().to_string();
            if !matches!(s.as_str(), "queued" | "running") {
                return j;
            }
            assert!(
                t.elapsed() < Duration::from_secs(120),
                "job {id} stuck: {j}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
    fn analysed(&self) -> String {
        self.upload_cdnow();
        let id = self.start(json!({"dataset": "cdnow", "calibration_end": "1997-09-30"}));
        let j = self.wait(&id);
        assert_eq!(j["state"], "done", "{j}");
        id
    }
}

#[test]
fn health_config_and_the_dashboard_need_no_token() {
    let s = server();
    let r = s.call("GET", "/healthz", None, vec![]);
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.json()["status"], "ok");
    let c = s.call("GET", "/api/config", None, vec![]).json();
    assert_eq!(c["auth"], true);
    assert!(
        c["models"]
            .as_array()
            .unwrap()
            .iter()
            .any(|m| m == "bg-nbd")
    );
    let page = s.call("GET", "/", None, vec![]);
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.headers["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    assert!(page.text().contains("<html"));
    let csp = page.headers["content-security-policy"].to_str().unwrap();
    assert!(
        csp.contains("script-src 'self'") && csp.contains("frame-ancestors 'none'"),
        "{csp}"
    );
    assert_eq!(
        s.call("GET", "/assets/nope.js", None, vec![]).status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        s.call("GET", "/no/such/path", None, vec![]).status,
        StatusCode::NOT_FOUND
    );
}

#[test]
fn openapi_document_is_3_1_and_lists_every_exact_path() {
    let s = server();
    let doc = s.call("GET", "/openapi.json", None, vec![]).json();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3.1"));
    let paths = doc["paths"].as_object().unwrap();
    for p in [
        "/api/datasets",
        "/api/analyses",
        "/api/jobs/{id}",
        "/api/analyses/{id}/customers",
        "/api/analyses/{id}/customers/{customer_id}",
        "/healthz",
    ] {
        assert!(
            paths.contains_key(p),
            "{p} missing from the OpenAPI document"
        );
    }
    insta::assert_json_snapshot!("openapi", doc);
}

#[test]
fn writes_and_customer_data_need_the_token_401_without_403_wrong() {
    let s = server();
    let id = s.analysed();
    let protected: Vec<(&str, String)> = vec![
        ("POST", "/api/datasets?name=x".into()),
        ("DELETE", "/api/datasets/cdnow".into()),
        ("POST", "/api/analyses".into()),
        ("DELETE", format!("/api/analyses/{id}")),
        ("POST", format!("/api/jobs/{id}/cancel")),
        ("GET", format!("/api/analyses/{id}/customers")),
        ("GET", format!("/api/analyses/{id}/customers/1981")),
        ("GET", format!("/api/analyses/{id}/customers/1981/history")),
        ("GET", format!("/api/analyses/{id}/actions/win_back")),
        ("GET", format!("/api/analyses/{id}/results/customers.csv")),
        ("POST", format!("/api/analyses/{id}/score")),
    ];
    for (m, uri) in &protected {
        let r = s.call(m, uri, None, b"{}".to_vec());
        assert_eq!(
            r.status,
            StatusCode::UNAUTHORIZED,
            "{m} {uri}: {}",
            r.text()
        );
        assert_eq!(r.headers["www-authenticate"], "Bearer");
        let r = s.call(m, uri, Some("wrong-token-0123456789"), b"{}".to_vec());
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{m} {uri}: {}", r.text());
        let r = s.call(m, uri, Some(""), b"{}".to_vec());
        assert!(matches!(r.status.as_u16(), 401 | 403), "{m} {uri}");
    }
    // Aggregates are open; the data is still there after the refusals.
    for uri in [
        "/api/datasets",
        "/api/analyses",
        &format!("/api/analyses/{id}"),
        &format!("/api/jobs/{id}"),
    ] {
        assert_eq!(
            s.call("GET", uri, None, vec![]).status,
            StatusCode::OK,
            "{uri}"
        );
    }
    assert_eq!(
        s.get(&format!("/api/analyses/{id}/customers/1981")).status,
        StatusCode::OK
    );
}

#[test]
fn a_server_without_token_refuses_to_bind_off_loopback() {
    let c = clv_server::Config::new("/nonexistent", None);
    assert!(clv_server::check_bind(&c, "127.0.0.1:8080".parse().unwrap()).is_ok());
    assert!(clv_server::check_bind(&c, "[::1]:8080".parse().unwrap()).is_ok());
    let e = clv_server::check_bind(&c, "0.0.0.0:8080".parse().unwrap()).unwrap_err();
    assert!(e.to_string().contains("--token"), "{e}");
    let c = clv_server::Config::new("/nonexistent", Some("t".repeat(20)));
    assert!(clv_server::check_bind(&c, "0.0.0.0:8080".parse().unwrap()).is_ok());
}

#[test]
fn upload_reports_rows_customers_and_the_data_quality_report() {
    let s = server();
    let r = s.upload("cdnow", std::fs::read(CDNOW).unwrap());
    assert_eq!(r.status, StatusCode::CREATED);
    let d = r.json();
    assert_eq!(d["name"], "cdnow");
    assert_eq!(d["rows"], 6919);
    assert_eq!(d["customers"], 2357);
    assert_eq!(d["format"], "csv");
    let lines = d["report"]["lines"].as_array().unwrap();
    assert!(
        lines[0].as_str().unwrap().contains("cdnow.csv"),
        "{lines:?}"
    );
    assert!(
        !r.text().contains(s.dir.path().to_str().unwrap()),
        "a path leaked: {}",
        r.text()
    );
    // Listed, fetched, a second upload under the name refused.
    assert_eq!(
        s.get("/api/datasets").json()["datasets"][0]["name"],
        "cdnow"
    );
    assert_eq!(s.get("/api/datasets/cdnow").json()["customers"], 2357);
    assert_eq!(s.upload("cdnow", "x").status, StatusCode::CONFLICT);
    // Deleted, then gone.
    assert_eq!(
        s.call("DELETE", "/api/datasets/cdnow", Some(TOKEN), vec![])
            .status,
        StatusCode::NO_CONTENT
    );
    assert_eq!(s.get("/api/datasets/cdnow").status, StatusCode::NOT_FOUND);
    assert_eq!(
        s.call("DELETE", "/api/datasets/cdnow", Some(TOKEN), vec![])
            .status,
        StatusCode::NOT_FOUND
    );
}

#[test]
fn column_names_other_than_the_defaults_are_upload_options() {
    let s = server();
    let csv = "cust,day,value\na,2024-01-01,10\na,2024-02-01,12\nb,2024-01-15,5\n";
    let r = s.post(
        "/api/datasets?name=renamed&customer_col=cust&date_col=day&amount_col=value",
        csv,
    );
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    assert_eq!(r.json()["customers"], 2);
    let r = s.upload("plain", csv);
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(
        r.json()["error"].as_str().unwrap().contains("customer_id"),
        "{}",
        r.text()
    );
}

/// Each bad-input case of the CLI (tests/bad_input.rs there): 400 with the
/// CLI's message naming the file (as uploaded), line and column, and
/// nothing stored.
#[test]
fn bad_uploads_get_the_clis_messages_and_store_nothing() {
    let s = server();
    let cases: &[(&str, &[&str])] = &[
        (
            "customer,date,amount\n1,2024-01-01,10\n",
            &["bad.csv", "customer_id"],
        ),
        (
            "customer_id,date,amount\n1,2024-01-01,10\n1,2024-13-45,12\n",
            &["bad.csv:3", "date", "2024-13-45"],
        ),
        (
            "customer_id,date,amount\n1,2024-01-01,10\n2,2024-01-02,ten\n",
            &["bad.csv:3", "amount", "ten"],
        ),
        ("customer_id,date,amount\n", &["bad.csv"]),
        (
            "customer_id,date,amount\n1,2024-01-01,10\n1,2099-01-01,10\n",
            &["bad.csv:3", "2099-01-01", "future"],
        ),
        (
            "customer_id,date,amount\n1,2024-01-01,10\n1,2024-01-05,1e308\n",
            &["bad.csv:3", "amount", "too large"],
        ),
        (
            "customer_id,date,amount\n1,01/02/2024,10\n1,03/04/2024,12\n",
            &["bad.csv", "%d/%m/%Y", "%m/%d/%Y"],
        ),
        (
            "id;date;amount\n1;2024-01-01;1\n",
            &["bad.csv", "customer_id"],
        ),
        ("customer_id,date,amount\n,2024-01-01,1\n", &["bad.csv:2"]),
        ("PAR1 this is not a parquet file", &["bad.parquet"]),
    ];
    for (content, needles) in cases {
        let r = s.upload("bad", content.as_bytes().to_vec());
        assert_eq!(
            r.status,
            StatusCode::BAD_REQUEST,
            "{content:?}: {}",
            r.text()
        );
        let msg = r.json()["error"].as_str().unwrap().to_string();
        for n in *needles {
            assert!(msg.contains(n), "{content:?}: {msg:?} lacks {n:?}");
        }
        assert!(
            !msg.contains(s.dir.path().to_str().unwrap()),
            "a path leaked: {msg}"
        );
        assert!(!msg.contains("/tmp/"), "a path leaked: {msg}");
    }
    let r = s.upload("bad", Vec::new());
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.json()["error"].as_str().unwrap().contains("empty"));
    assert_eq!(s.get("/api/datasets").json()["datasets"], json!([]));
    let left: Vec<_> = std::fs::read_dir(s.dir.path().join("data/tmp"))
        .unwrap()
        .collect();
    assert!(left.is_empty(), "temporary files left: {left:?}");
    let stored: Vec<_> = std::fs::read_dir(s.dir.path().join("data/datasets"))
        .unwrap()
        .collect();
    assert!(stored.is_empty());
}

#[test]
fn path_traversal_is_refused() {
    let s = server();
    s.upload_cdnow();
    for name in [
        "..%2F..%2Fetc",
        "..",
        "a%2Fb",
        "a.b",
        "%2Fetc%2Fpasswd",
        &"x".repeat(65),
    ] {
        let r = s.upload(name, "customer_id,date,amount\n1,2024-01-01,1\n");
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{name}: {}", r.text());
    }
    for uri in [
        "/api/datasets/..%2F..%2Fclv.sqlite",
        "/api/datasets/..%2Fdatasets%2Fcdnow",
        "/assets/..%2F..%2FCargo.toml",
        "/assets/../../Cargo.toml",
    ] {
        let r = s.get(uri);
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{uri}: {}", r.text());
    }
    let r = s.call(
        "DELETE",
        "/api/datasets/..%2F..%2Fclv.sqlite",
        Some(TOKEN),
        vec![],
    );
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert!(s.dir.path().join("data/clv.sqlite").exists());
    let id = s.start(json!({"dataset": "cdnow"}));
    assert_eq!(s.wait(&id)["state"], "done");
    for file in [
        "..%2F..%2Fclv.sqlite",
        "..%2Fmodel.json",
        "model.json",
        "customers.json",
        "customers.exe",
    ] {
        let r = s.get(&format!("/api/analyses/{id}/results/{file}"));
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{file}");
    }
    let r = s.get("/api/analyses/..%2F..%2Fclv.sqlite/customers");
    assert_eq!(r.status, StatusCode::NOT_FOUND);
}

#[test]
fn an_oversized_body_is_413_and_leaves_nothing() {
    let s = server_with(|c| c.max_upload_bytes = 1000);
    let big = format!(
        "customer_id,date,amount\n{}",
        "1,2024-01-01,10\n".repeat(200)
    );
    let r = s.upload("big", big);
    assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE, "{}", r.text());
    assert_eq!(s.get("/api/datasets").json()["datasets"], json!([]));
    let left: Vec<_> = std::fs::read_dir(s.dir.path().join("data/tmp"))
        .unwrap()
        .collect();
    assert!(left.is_empty());
    // JSON bodies are limited too.
    let r = s.post("/api/analyses", vec![b' '; 5 << 20]);
    assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE);
}

#[test]
fn an_analysis_runs_and_its_results_are_paged_sorted_filtered() {
    let s = server();
    let id = s.analysed();
    let a = s.get(&format!("/api/analyses/{id}")).json();
    assert_eq!(a["state"], "done");
    let res = &a["result"];
    assert_eq!(res["overview"]["customers"], 2357);
    assert_eq!(res["overview"]["repeat_customers"], 1139);
    assert_eq!(res["model"]["name"], "bg-nbd");
    assert_eq!(res["model"]["identified"], true);
    let metrics = res["validation"]["metrics"].as_array().unwrap();
    assert!(
        metrics
            .iter()
            .any(|m| m["name"] == "mae" && m["value"].as_f64().unwrap() > 0.0)
    );
    let charts = &res["charts"];
    let counts: u64 = charts["clv_histogram"]["counts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_u64().unwrap())
        .sum();
    assert_eq!(counts, 2357);
    assert!(charts["tracking"]["dates"].as_array().unwrap().len() > 10);
    assert_eq!(
        charts["cohort_retention"]["cohorts"],
        json!(["1997-01", "1997-02", "1997-03"])
    );
    let seg_total: u64 = charts["segments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["customers"].as_u64().unwrap())
        .sum();
    assert_eq!(seg_total, 2357);
    assert!(charts["quadrants"].is_null());

    // Default page: by CLV, descending.
    let p = s.get(&format!("/api/analyses/{id}/customers")).json();
    assert_eq!(p["total"], 2357);
    let rows = p["customers"].as_array().unwrap();
    assert_eq!(rows.len(), 50);
    let clv: Vec<f64> = rows.iter().map(|r| r["clv"].as_f64().unwrap()).collect();
    assert!(clv.windows(2).all(|w| w[0] >= w[1]));
    for k in [
        "customer_id",
        "frequency",
        "recency",
        "T",
        "p_alive",
        "expected_purchases",
        "clv",
    ] {
        assert!(!rows[0][k].is_null(), "{k}");
    }
    // Ascending by p_alive, paged.
    let p1 = s
        .get(&format!(
            "/api/analyses/{id}/customers?sort=p_alive&order=asc&limit=10&offset=0"
        ))
        .json();
    let p2 = s
        .get(&format!(
            "/api/analyses/{id}/customers?sort=p_alive&order=asc&limit=10&offset=10"
        ))
        .json();
    let last1 = p1["customers"][9]["p_alive"].as_f64().unwrap();
    let first2 = p2["customers"][0]["p_alive"].as_f64().unwrap();
    assert!(last1 <= first2);
    assert_ne!(
        p1["customers"][9]["customer_id"],
        p2["customers"][0]["customer_id"]
    );
    // Filters.
    let f = s
        .get(&format!(
            "/api/analyses/{id}/customers?segment=champions&limit=1000"
        ))
        .json();
    assert!(f["total"].as_u64().unwrap() > 0);
    assert!(
        f["customers"]
            .as_array()
            .unwrap()
            .iter()
            .all(|r| r["segment"] == "champions")
    );
    let f = s.get(&format!("/api/analyses/{id}/customers?tier=top_1&churn_risk=low&min_clv=100&max_clv=100000&limit=1000")).json();
    assert!(
        f["customers"]
            .as_array()
            .unwrap()
            .iter()
            .all(|r| r["value_tier"] == "top_1"
                && r["churn_risk"] == "low"
                && r["clv"].as_f64().unwrap() >= 100.0)
    );
    let f = s
        .get(&format!("/api/analyses/{id}/customers?q=198&limit=1000"))
        .json();
    assert!(
        f["customers"]
            .as_array()
            .unwrap()
            .iter()
            .all(|r| r["customer_id"].as_str().unwrap().contains("198"))
    );
    assert!(f["total"].as_u64().unwrap() >= 1);
    // Bad queries are 400, not 500.
    for q in [
        "sort=nope",
        "order=up",
        "limit=0",
        "limit=5000",
        "limit=-1",
        "min_clv=abc",
        "offset=x",
    ] {
        let r = s.get(&format!("/api/analyses/{id}/customers?{q}"));
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{q}: {}", r.text());
    }
    // One customer: the same row as in the table.
    let one = s.get(&format!("/api/analyses/{id}/customers/1981")).json();
    let in_table = s
        .get(&format!("/api/analyses/{id}/customers?q=1981&limit=1000"))
        .json();
    let row = in_table["customers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["customer_id"] == "1981")
        .unwrap()
        .clone();
    assert_eq!(one, row);
    assert_eq!(
        s.get(&format!("/api/analyses/{id}/customers/nobody"))
            .status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        s.get("/api/analyses/nope/customers/1981").status,
        StatusCode::NOT_FOUND
    );
}

#[test]
fn a_customer_page_has_purchases_p_alive_over_time_and_words() {
    let s = server();
    let id = s.analysed();
    let row = s.get(&format!("/api/analyses/{id}/customers/1981")).json();
    let h = s
        .get(&format!("/api/analyses/{id}/customers/1981/history"))
        .json();
    let purchases = h["purchases"].as_array().unwrap();
    assert_eq!(purchases.len() as f64, row["orders"].as_f64().unwrap());
    let sum: f64 = purchases
        .iter()
        .map(|p| p["amount"].as_f64().unwrap())
        .sum();
    assert!((sum - row["revenue"].as_f64().unwrap()).abs() < 1e-6);
    assert_eq!(purchases[0]["date"], row["first_purchase"]);
    let path = h["p_alive"].as_array().unwrap();
    assert!(path.len() > 20);
    let last = path.last().unwrap();
    assert_eq!(last["date"], "1998-06-30");
    let p = last["p_alive"].as_f64().unwrap();
    assert!(
        (p - row["p_alive"].as_f64().unwrap()).abs() < 1e-9,
        "{p} vs {}",
        row["p_alive"]
    );
    assert!(
        path.iter()
            .all(|x| (0.0..=1.0).contains(&x["p_alive"].as_f64().unwrap()))
    );
    let words = h["explanation"].as_array().unwrap();
    assert!(words.len() >= 5);
    assert!(
        words
            .iter()
            .any(|w| w.as_str().unwrap().contains("P(alive)"))
    );
    assert!(!h.to_string().contains("NaN"));
}

#[test]
fn action_lists_and_downloads_in_csv_and_parquet() {
    let s = server();
    let id = s.analysed();
    let res = s.get(&format!("/api/analyses/{id}")).json()["result"].clone();
    let actions = res["actions"].as_array().unwrap();
    assert_eq!(actions.len(), 5);
    let wb = s
        .get(&format!("/api/analyses/{id}/actions/win_back?limit=5"))
        .json();
    assert_eq!(wb["rows"].as_array().unwrap().len(), 5);
    assert_eq!(wb["total"], actions[0]["customers"]);
    assert_eq!(
        s.get(&format!("/api/analyses/{id}/actions/nope")).status,
        StatusCode::NOT_FOUND
    );
    for name in [
        "customers",
        "win_back",
        "remind",
        "reward",
        "ask_referral",
        "activate_advocates",
    ] {
        let csv = s.get(&format!("/api/analyses/{id}/results/{name}.csv"));
        assert_eq!(csv.status, StatusCode::OK, "{name}");
        assert!(
            csv.headers["content-disposition"]
                .to_str()
                .unwrap()
                .contains(&format!("cdnow-{name}.csv"))
        );
        assert!(csv.text().starts_with("customer_id,"), "{name}");
        let pq = s.get(&format!("/api/analyses/{id}/results/{name}.parquet"));
        assert_eq!(pq.status, StatusCode::OK);
        assert_eq!(&pq.body[..4], b"PAR1");
    }
    let csv = s
        .get(&format!("/api/analyses/{id}/results/customers.csv"))
        .text();
    assert_eq!(csv.lines().count(), 2358);
}

#[test]
fn scoring_one_customer_matches_the_analysis_row() {
    let s = server();
    let id = s.analysed();
    let row = s.get(&format!("/api/analyses/{id}/customers/1981")).json();
    let body = json!({
        "frequency": row["frequency"], "recency": row["recency"], "T": row["T"],
        "monetary_value": row["monetary_value"],
    });
    let r = s.post(&format!("/api/analyses/{id}/score"), body.to_string());
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let sc = r.json();
    for k in ["p_alive", "expected_purchases", "expected_spend", "clv"] {
        let (a, b) = (sc[k].as_f64().unwrap(), row[k].as_f64().unwrap());
        assert!((a - b).abs() <= 1e-9 * b.abs().max(1.0), "{k}: {a} vs {b}");
    }
    // From the customer's transactions: the same numbers.
    let h = s
        .get(&format!("/api/analyses/{id}/customers/1981/history"))
        .json();
    let body = json!({"transactions": h["purchases"], "observation_end": "1998-06-30"});
    let sc2 = s
        .post(&format!("/api/analyses/{id}/score"), body.to_string())
        .json();
    for k in ["p_alive", "clv", "frequency", "recency", "T"] {
        let (a, b) = (sc2[k].as_f64().unwrap(), row[k].as_f64().unwrap());
        assert!((a - b).abs() <= 1e-9 * b.abs().max(1.0), "{k}: {a} vs {b}");
    }
    // A one-time buyer.
    let sc3 = s.post(
        &format!("/api/analyses/{id}/score"),
        json!({"frequency": 0, "recency": 0, "T": 40}).to_string(),
    );
    assert_eq!(sc3.status, StatusCode::OK, "{}", sc3.text());
    // Bad bodies are 400 naming the field.
    for (body, needle) in [
        (
            json!({"frequency": 2, "recency": 50, "T": 40, "monetary_value": 10}),
            "recency",
        ),
        (json!({"frequency": -1, "recency": 0, "T": 40}), "frequency"),
        (json!({"frequency": 2}), "either"),
        (
            json!({"transactions": [{"date": "1997-13-01", "amount": 1}]}),
            "transactions[0].date",
        ),
        (json!({"transactions": []}), "purchase"),
        (json!({"nonsense": 1}), "unknown field"),
    ] {
        let r = s.post(&format!("/api/analyses/{id}/score"), body.to_string());
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{body}: {}", r.text());
        assert!(
            r.json()["error"].as_str().unwrap().contains(needle),
            "{body}: {}",
            r.text()
        );
    }
    let r = s.post(&format!("/api/analyses/{id}/score"), "not json");
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
}

#[test]
fn bad_analysis_requests_are_400_or_404() {
    let s = server();
    s.upload_cdnow();
    for (body, status) in [
        (json!({}), 400),
        (json!({"dataset": "nope"}), 404),
        (json!({"dataset": "cdnow", "model": "nope"}), 400),
        (json!({"dataset": "cdnow", "model": "sbg"}), 400),
        (json!({"dataset": "cdnow", "spend": "nope"}), 400),
        (json!({"dataset": "cdnow", "horizon": "forever"}), 400),
        (
            json!({"dataset": "cdnow", "calibration_end": "1997-31-01"}),
            400,
        ),
        (
            json!({"dataset": "cdnow", "calibration_end": "1998-01-01", "observation_end": "1997-06-01"}),
            400,
        ),
        (json!({"dataset": "cdnow", "margin": 0}), 400),
        (json!({"dataset": "cdnow", "margin": 2}), 400),
        (json!({"dataset": "cdnow", "discount_rate": -1}), 400),
        (json!({"dataset": "cdnow", "extra": 1}), 400),
    ] {
        let r = s.post("/api/analyses", body.to_string());
        assert_eq!(r.status.as_u16(), status, "{body}: {}", r.text());
        assert!(r.json()["error"].is_string());
    }
    assert_eq!(s.get("/api/analyses").json()["analyses"], json!([]));
}

#[test]
fn every_model_and_no_spend_model_run() {
    let s = server();
    s.upload_cdnow();
    for (model, spend) in [
        ("pareto-nbd", "gamma-gamma"),
        ("mbg-nbd", "none"),
        ("bg-bb", "gamma-gamma"),
    ] {
        let id = s.start(json!({"dataset": "cdnow", "model": model, "spend": spend, "horizon": "52 weeks", "margin": 0.3}));
        let j = s.wait(&id);
        assert_eq!(j["state"], "done", "{model}: {j}");
        let a = s.get(&format!("/api/analyses/{id}")).json();
        assert_eq!(a["result"]["model"]["name"], model);
        let one = s.post(
            &format!("/api/analyses/{id}/score"),
            json!({"frequency": 0, "recency": 0, "T": 30}).to_string(),
        );
        assert_eq!(one.status, StatusCode::OK, "{model}: {}", one.text());
    }
}

#[test]
fn a_failed_analysis_says_why_without_paths() {
    let s = server();
    s.upload_cdnow();
    // Observation end before the first purchase: nothing to analyse.
    let id = s.start(json!({"dataset": "cdnow", "observation_end": "1996-01-01"}));
    let j = s.wait(&id);
    assert_eq!(j["state"], "failed", "{j}");
    let e = j["error"].as_str().unwrap();
    assert!(!e.is_empty());
    assert!(
        !j.to_string().contains(s.dir.path().to_str().unwrap()),
        "{j}"
    );
    assert_eq!(
        s.get(&format!("/api/analyses/{id}/customers")).status,
        StatusCode::CONFLICT
    );
}

#[test]
fn two_analyses_at_once_and_a_dataset_in_use_is_not_deleted() {
    let s = server();
    s.upload_cdnow();
    let a = s.start(json!({"dataset": "cdnow"}));
    let b = s.start(json!({"dataset": "cdnow"}));
    // While either is queued or running the dataset cannot go.
    let r = s.call("DELETE", "/api/datasets/cdnow", Some(TOKEN), vec![]);
    let in_use = s.state.jobs.dataset_in_use("cdnow");
    if in_use {
        assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.text());
    }
    assert_eq!(s.wait(&a)["state"], "done");
    assert_eq!(s.wait(&b)["state"], "done");
    let ra = s
        .get(&format!("/api/analyses/{a}/results/customers.csv"))
        .body;
    let rb = s
        .get(&format!("/api/analyses/{b}/results/customers.csv"))
        .body;
    assert_eq!(ra, rb, "two runs at once gave different results");
    // Once they are done the dataset can be deleted and the results stay.
    if in_use {
        assert_eq!(
            s.call("DELETE", "/api/datasets/cdnow", Some(TOKEN), vec![])
                .status,
            StatusCode::NO_CONTENT
        );
    }
    assert_eq!(
        s.get(&format!("/api/analyses/{a}/customers/1981")).status,
        StatusCode::OK
    );
    assert_eq!(
        s.call("DELETE", &format!("/api/analyses/{a}"), Some(TOKEN), vec![])
            .status,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        s.get(&format!("/api/analyses/{a}")).status,
        StatusCode::NOT_FOUND
    );
    assert!(!s.dir.path().join(format!("data/analyses/{a}")).exists());
}

#[test]
fn a_cancelled_job_ends_cancelled_and_leaves_no_results() {
    let s = server_with(|c| c.workers = 1);
    s.upload_cdnow();
    // The first keeps the only worker busy; the second is cancelled in the queue.
    let a = s.start(json!({"dataset": "cdnow"}));
    let b = s.start(json!({"dataset": "cdnow"}));
    let r = s.post(&format!("/api/jobs/{b}/cancel"), "");
    assert_eq!(r.status, StatusCode::ACCEPTED, "{}", r.text());
    assert_eq!(r.json()["state"], "cancelled");
    assert_eq!(s.wait(&a)["state"], "done");
    assert_eq!(s.wait(&b)["state"], "cancelled");
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(
        s.get(&format!("/api/jobs/{b}")).json()["state"],
        "cancelled"
    );
    assert!(!s.dir.path().join(format!("data/analyses/{b}")).exists());
    assert_eq!(
        s.post(&format!("/api/jobs/{a}/cancel"), "").status,
        StatusCode::CONFLICT
    );
    assert_eq!(
        s.get(&format!("/api/analyses/{b}")).json()["state"],
        "cancelled"
    );
}

#[test]
fn results_survive_a_restart_and_interrupted_jobs_are_marked_failed() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let id = {
        let state =
            clv_server::State::open(clv_server::Config::new(&data, Some(TOKEN.into()))).unwrap();
        let s = Server {
            app: clv_server::api::router(state.clone()),
            rt: tokio::runtime::Builder::new_multi_thread()
                .enable_all()
                .build()
                .unwrap(),
            dir: tempfile::tempdir().unwrap(),
            state,
        };
        s.analysed()
    };
    // A job that was running when the server died: its row says running.
    leave_a_running_job(&data.join("clv.sqlite"));
    let state =
        clv_server::State::open(clv_server::Config::new(&data, Some(TOKEN.into()))).unwrap();
    assert_eq!(state.interrupted, 1);
    let s = Server {
        app: clv_server::api::router(state.clone()),
        rt: tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()
            .unwrap(),
        dir,
        state,
    };
    assert_eq!(
        s.get(&format!("/api/analyses/{id}")).json()["state"],
        "done"
    );
    assert_eq!(
        s.get(&format!("/api/analyses/{id}/customers/1981")).status,
        StatusCode::OK
    );
    let j = s.get("/api/jobs/interrupted1").json();
    assert_eq!(j["state"], "failed");
    assert!(
        j["error"].as_str().unwrap().contains("server stopped"),
        "{j}"
    );
    assert!(
        !s.dir
            .path()
            .join("data/analyses/.interrupted1.tmp")
            .exists()
    );
}

/// Writes a `running` analysis row and a half-written staging directory, as
/// a server killed mid-job leaves them.
fn leave_a_running_job(db: &std::path::Path) {
    let state_dir = db.parent().unwrap();
    std::fs::create_dir_all(state_dir.join("analyses/.interrupted1.tmp")).unwrap();
    std::fs::write(
        state_dir.join("analyses/.interrupted1.tmp/result.json"),
        "{",
    )
    .unwrap();
    clv_server::store::Store::open(db)
        .unwrap()
        .0
        .insert_analysis(&clv_server::store::AnalysisRecord {
            id: "interrupted1".into(),
            dataset: "cdnow".into(),
            state: "running".into(),
            progress: 0.4,
            stage: "fitted".into(),
            error: None,
            options: json!({"dataset": "cdnow"}),
            created_at: "2026-12-05T00:00:00.000Z".into(),
            finished_at: None,
        })
        .unwrap();
}

const CUSTOMERS: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/data/cdnow_customers.csv"
);
const EVENTS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/cdnow_events.csv");

#[test]
fn customers_and_events_datasets_give_channels_quadrants_and_economics() {
    let s = server();
    s.upload_cdnow();
    let r = s.post(
        "/api/datasets?name=people&kind=customers",
        std::fs::read(CUSTOMERS).unwrap(),
    );
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    assert_eq!(r.json()["kind"], "customers");
    assert_eq!(r.json()["rows"], 2357);
    let r = s.post(
        "/api/datasets?name=engagement&kind=events",
        std::fs::read(EVENTS).unwrap(),
    );
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    // A customers file without its id column is refused with the CLI's message.
    let r = s.post(
        "/api/datasets?name=nobody&kind=customers",
        "who,channel\n1,search\n",
    );
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.text());
    assert!(
        r.json()["error"].as_str().unwrap().contains("nobody.csv"),
        "{}",
        r.text()
    );
    assert_eq!(
        s.post("/api/datasets?name=x&kind=nope", "a").status,
        StatusCode::BAD_REQUEST
    );
    // Kinds are checked where they are used.
    for (body, status) in [
        (json!({"dataset": "people"}), 400),
        (json!({"dataset": "cdnow", "customers": "engagement"}), 400),
        (json!({"dataset": "cdnow", "customers": "nope"}), 404),
        (json!({"dataset": "cdnow", "events": "people"}), 400),
    ] {
        let r = s.post("/api/analyses", body.to_string());
        assert_eq!(r.status.as_u16(), status, "{body}: {}", r.text());
    }
    let id = s.start(
        json!({"dataset": "cdnow", "customers": "people", "events": "engagement", "margin": 0.3}),
    );
    assert_eq!(s.wait(&id)["state"], "done");
    let res = s.get(&format!("/api/analyses/{id}")).json()["result"].clone();
    let channels = res["charts"]["channels"].as_array().unwrap();
    let n: u64 = channels
        .iter()
        .map(|c| c["customers"].as_u64().unwrap())
        .sum();
    assert_eq!(n, 2357);
    assert!(channels.iter().any(|c| c["name"] == "search"));
    let q = &res["charts"]["quadrants"];
    let total: u64 = q["counts"]
        .as_object()
        .unwrap()
        .values()
        .map(|v| v.as_u64().unwrap())
        .sum();
    assert_eq!(total, 2357);
    let e = &res["economics"];
    assert!(
        e["channels"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["ltv_to_cac"].is_number()),
        "{e}"
    );
    assert!(e["ltv_cac"].as_f64().unwrap() > 0.0);
    let row = s.get(&format!("/api/analyses/{id}/customers/1")).json();
    assert!(
        row["crv"].is_number() && row["referrals"].is_number(),
        "{row}"
    );
    assert_eq!(
        s.call("DELETE", "/api/datasets/people", Some(TOKEN), vec![])
            .status,
        StatusCode::NO_CONTENT
    );
}

#[test]
fn a_parquet_upload_is_detected_and_read_like_the_csv() {
    let s = server();
    let text = std::fs::read_to_string(CDNOW).unwrap();
    let (mut ids, mut dates, mut amounts) = (Vec::new(), Vec::new(), Vec::new());
    for line in text.lines().skip(1) {
        let f: Vec<&str> = line.split(',').collect();
        ids.push(f[0].to_string());
        dates.push(f[1].to_string());
        amounts.push(f[3].parse::<f64>().unwrap());
    }
    let table = clv_data::Table::new()
        .with_str("customer_id", ids)
        .with_str("date", dates)
        .with_f64("amount", amounts);
    let path = s.dir.path().join("cdnow.parquet");
    clv_data::write_table(&table, Some(&path), clv_data::OutputFormat::Parquet).unwrap();
    let r = s.upload("cdnowpq", std::fs::read(&path).unwrap());
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let d = r.json();
    assert_eq!(d["format"], "parquet");
    assert_eq!(d["rows"], 6919);
    assert_eq!(d["customers"], 2357);
    let id = s.start(json!({"dataset": "cdnowpq"}));
    assert_eq!(s.wait(&id)["state"], "done");
    assert_eq!(
        s.get(&format!("/api/analyses/{id}")).json()["result"]["overview"]["customers"],
        2357
    );
}
