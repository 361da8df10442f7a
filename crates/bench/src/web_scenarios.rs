//! The web app's budgets: the menu page's server response with a warm cache, the
//! JavaScript a browser loads for it (gzip), and the kitchen display's new-ticket latency, which
//! only a browser can measure — the browser tests (`make web-test`) write it to
//! `web/.budgets/kds-new-ticket.json` and it is reported from there.

use std::{
    collections::{BTreeSet, VecDeque},
    io::Write,
    path::Path,
    process::{Command, Stdio},
    time::{Duration, Instant},
};

use anyhow::Context;
use serde::{Deserialize, Serialize};

use crate::{
    loadgen::{self, LoadConfig, LoadResult, Target},
    sous_proc::Launcher,
};

/// The page measured: a category of the demo menu, server-rendered from the cached menu.
pub const MENU_PAGE: &str = "/en/menu/burgers";

#[derive(Clone, Debug, Deserialize, Serialize)]
pub struct WebBench {
    pub page: String,
    /// `GET` of the page on one connection after a warm-up.
    pub menu_page: LoadResult,
    /// The scripts the page loads (its islands and what they import), and their gzip size.
    pub js_files: Vec<String>,
    pub js_gzip_bytes: u64,
    /// From the last browser test run, if there was one in this tree.
    pub kds_new_ticket: Option<KdsLatency>,
    /// The till's figures from the last browser test run.
    #[serde(default)]
    pub till: TillBudgets,
}

/// A figure a browser test measured (`web/.budgets/pos-<name>.json`).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Measured {
    pub value: f64,
    /// When the browser test measured it.
    pub at: String,
}

/// What the till's browser tests measure: `pos-budgets.spec.ts` and `pos-offline.spec.ts`.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct TillBudgets {
    /// JavaScript (gzip bytes) Chromium loads for the PIN screen of a registered till.
    pub first_screen_js: Option<Measured>,
    /// Tap on an item → its line on the check, p95 of 100 taps, in the page.
    pub tap_to_line_p95_ms: Option<Measured>,
    /// Reload with the server gone → the PIN screen ready, served by the service worker.
    pub cold_start_offline_ms: Option<Measured>,
    /// "Send to kitchen" on the till → the ticket on a kitchen display in another browser.
    pub send_to_kds_ms: Option<Measured>,
}

impl TillBudgets {
    pub fn read(dir: &Path) -> Self {
        let get = |name: &str| -> Option<Measured> {
            serde_json::from_str(
                &std::fs::read_to_string(dir.join(format!("pos-{name}.json"))).ok()?,
            )
            .ok()
        };
        Self {
            first_screen_js: get("first-screen-js"),
            tap_to_line_p95_ms: get("tap-to-line-p95-ms"),
            cold_start_offline_ms: get("cold-start-offline-ms"),
            send_to_kds_ms: get("send-to-kds-ms"),
        }
    }
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct KdsLatency {
    /// Order accepted (the API's answer) → ticket on the kitchen screen, in the browser.
    pub ms: f64,
    /// When the browser test measured it.
    pub at: String,
}

pub async fn web(launcher: &Launcher, root: &Path, cfg: &LoadConfig) -> anyhow::Result<WebBench> {
    let web_dir = root.join("web");
    anyhow::ensure!(
        web_dir.join("dist/server/entry.mjs").is_file(),
        "the web app is not built; `make bench` builds it (`make web-build`)"
    );
    let web_dir = web_dir.to_string_lossy().into_owned();
    let server = launcher.start_with(&[("SOUS_WEB_DIR", &web_dir)]).await?;
    let outcome = async {
        let page = Target::get(server.addr, MENU_PAGE);
        let html = wait_for_page(&page).await?;
        let js_files = scripts(server.addr, &html).await?;
        let mut js_gzip_bytes = 0;
        for path in &js_files {
            let body = get(server.addr, path).await?;
            js_gzip_bytes += gzip_len(&body)?;
        }
        let menu_page = loadgen::run(&page, cfg).await?;
        anyhow::Ok(WebBench {
            page: MENU_PAGE.into(),
            menu_page,
            js_files,
            js_gzip_bytes,
            kds_new_ticket: read_kds(&root.join("web/.budgets/kds-new-ticket.json")),
            till: TillBudgets::read(&root.join("web/.budgets")),
        })
    }
    .await;
    server.stop().await?;
    outcome
}

/// The web app starts a moment after the API; wait for the page (at most 30 s).
async fn wait_for_page(page: &Target) -> anyhow::Result<Vec<u8>> {
    let began = Instant::now();
    loop {
        if let Ok((status, _, body)) = loadgen::fetch(page, Duration::from_secs(5)).await
            && status.is_success()
        {
            return Ok(body.to_vec());
        }
        anyhow::ensure!(
            began.elapsed() < Duration::from_secs(30),
            "{MENU_PAGE} did not answer 200 within 30 s"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

async fn get(addr: std::net::SocketAddr, path: &str) -> anyhow::Result<Vec<u8>> {
    let (status, _, body) =
        loadgen::fetch(&Target::get(addr, path), Duration::from_secs(10)).await?;
    anyhow::ensure!(status.is_success(), "GET {path}: HTTP {status}");
    Ok(body.to_vec())
}

/// Every script the page makes the browser load: the `/_astro/*.js` files the HTML names (island
/// components, renderers, page scripts), then, transitively, the chunks they import.
async fn scripts(addr: std::net::SocketAddr, html: &[u8]) -> anyhow::Result<Vec<String>> {
    let mut seen = BTreeSet::new();
    let mut queue: VecDeque<String> = astro_refs(&String::from_utf8_lossy(html)).into();
    while let Some(path) = queue.pop_front() {
        if !seen.insert(path.clone()) {
            continue;
        }
        let body = get(addr, &path).await?;
        for next in relative_imports(&String::from_utf8_lossy(&body)) {
            queue.push_back(format!("/_astro/{next}"));
        }
    }
    Ok(seen.into_iter().collect())
}

/// `/_astro/….js` paths quoted in a page.
fn astro_refs(html: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = html;
    while let Some(i) = rest.find("/_astro/") {
        let tail = &rest[i..];
        let end = tail.find(['"', '\'', ' ', ')']).unwrap_or(tail.len());
        let path = &tail[..end];
        if path.ends_with(".js") {
            out.push(path.to_string());
        }
        rest = &tail[end..];
    }
    out
}

/// File names a bundled module imports from its own directory (`"./chunk.Ab12.js"`).
fn relative_imports(js: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = js;
    while let Some(i) = rest.find("\"./") {
        let tail = &rest[i + 3..];
        let end = tail.find('"').unwrap_or(tail.len());
        let name = &tail[..end];
        if name.ends_with(".js") && !name.contains('/') {
            out.push(name.to_string());
        }
        rest = &tail[end..];
    }
    out
}

/// Size after `gzip -9`, as a server or CDN would send it.
fn gzip_len(bytes: &[u8]) -> anyhow::Result<u64> {
    let mut child = Command::new("gzip")
        .args(["-9", "-c"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .context("running gzip")?;
    child.stdin.take().expect("piped").write_all(bytes)?;
    let out = child.wait_with_output()?;
    anyhow::ensure!(out.status.success(), "gzip failed");
    Ok(out.stdout.len() as u64)
}

fn read_kds(path: &Path) -> Option<KdsLatency> {
    serde_json::from_str(&std::fs::read_to_string(path).ok()?).ok()
}

#[cfg(test)]
pub fn sample(p99_ms: f64, js_gzip_bytes: u64, kds_ms: Option<f64>) -> WebBench {
    WebBench {
        page: MENU_PAGE.into(),
        menu_page: LoadResult {
            connections: 1,
            requests: 1000,
            errors: 0,
            first_error: None,
            window_s: 5.0,
            requests_per_s: 200.0,
            p50_ms: p99_ms / 2.0,
            p90_ms: p99_ms * 0.8,
            p99_ms,
            max_ms: p99_ms * 1.5,
        },
        js_files: vec!["/_astro/a.js".into()],
        js_gzip_bytes,
        kds_new_ticket: kds_ms.map(|ms| KdsLatency {
            ms,
            at: "2026-11-25T22:00:00Z".into(),
        }),
        till: TillBudgets::default(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_scripts_a_page_and_its_modules_name() {
        let html = r#"<astro-island component-url="/_astro/MenuBrowser.C8v.js" renderer-url="/_astro/client.D1.js"></astro-island><script type="module" src="/_astro/page.x.js"></script><link href="/_astro/index.css">"#;
        assert_eq!(
            astro_refs(html),
            [
                "/_astro/MenuBrowser.C8v.js",
                "/_astro/client.D1.js",
                "/_astro/page.x.js"
            ]
        );
        let js =
            r#"import{a as b}from"./web.D3t.js";import"./cart.zi0.js";const u="https://x/y.js";"#;
        assert_eq!(relative_imports(js), ["web.D3t.js", "cart.zi0.js"]);
    }

    #[test]
    fn gzip_shrinks_repetition() {
        let n = gzip_len(&vec![b'a'; 10_000]).unwrap();
        assert!(n > 0 && n < 200, "{n}");
    }
}
