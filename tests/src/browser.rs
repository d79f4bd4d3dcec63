//! Headless Chromium for the console's end-to-end tests: Debian's `chromium`, driven over
//! WebDriver by `chromedriver` (both installed by `scripts/services.sh`) through fantoccini.
//! Screenshots go to `target/console-screenshots/`.

use std::io::{BufRead, BufReader};
use std::os::unix::process::CommandExt;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::json;

/// A chromedriver process with one browser session.
///
/// chromedriver and the Chromium it starts run in a process group of their own, led by a
/// small watchdog shell: on drop (a test that ends or panics) the whole group is killed, and
/// if the test process dies without dropping it (SIGKILL, an interrupted suite) the watchdog
/// sees its parent gone within a second and kills the group itself. No browser outlives its
/// test.
pub struct Browser {
    /// The WebDriver session.
    pub client: Client,
    driver: Child,
}

impl Drop for Browser {
    fn drop(&mut self) {
        kill_group(self.driver.id());
        let _ = self.driver.wait();
    }
}

/// SIGKILL every process of group `pgid` (the watchdog, chromedriver, Chromium).
fn kill_group(pgid: u32) {
    let _ = Command::new("kill")
        .args(["-KILL", "--", &format!("-{pgid}")])
        .stderr(Stdio::null())
        .status();
}

/// The watchdog: starts chromedriver on port `$2`, then waits while process `$1` (the test)
/// lives, and kills its own process group when it is gone.
const WATCHDOG: &str = r#"chromedriver --port="$2" &
while kill -0 "$1" 2>/dev/null; do sleep 1; done
kill -KILL 0"#;

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free loopback port")
}

impl Browser {
    /// Start chromedriver (waiting for its "started successfully" line, not a fixed delay) and
    /// open a headless Chromium session of 1280×900.
    pub async fn start() -> Browser {
        let port = free_port();
        let mut driver = Command::new("sh")
            .args(["-c", WATCHDOG, "pmsflow-browser-watchdog"])
            .arg(std::process::id().to_string())
            .arg(port.to_string())
            .process_group(0)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver must be installed (scripts/services.sh installs it)");
        let stdout = driver.stdout.take().expect("chromedriver stdout");
        let ready = tokio::task::spawn_blocking(move || {
            let mut lines = BufReader::new(stdout).lines();
            let ok = lines
                .by_ref()
                .map_while(Result::ok)
                .any(|l| l.contains("started successfully"));
            // Keep draining so chromedriver never blocks on a full pipe.
            std::thread::spawn(move || lines.for_each(drop));
            ok
        })
        .await
        .expect("reader");
        if !ready {
            kill_group(driver.id());
            panic!("chromedriver did not start");
        }
        let profile =
            std::env::temp_dir().join(format!("pmsflow-chromium-{}", uuid::Uuid::new_v4()));
        let mut caps = serde_json::Map::new();
        caps.insert(
            "goog:chromeOptions".into(),
            json!({
                "binary": "/usr/bin/chromium",
                "args": [
                    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                    "--window-size=1280,900", "--disable-background-networking",
                    "--disable-component-update", "--disable-sync", "--no-first-run",
                    "--disable-quic", format!("--user-data-dir={}", profile.display()),
                ],
            }),
        );
        let client =
            match ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
                .capabilities(caps)
                .connect(&format!("http://127.0.0.1:{port}"))
                .await
            {
                Ok(client) => client,
                Err(e) => {
                    kill_group(driver.id());
                    panic!("a Chromium session: {e}");
                }
            };
        Browser { client, driver }
    }

    /// Wait (up to `within`) for an element matching `css`.
    pub async fn find(&self, css: &str, within: Duration) -> fantoccini::elements::Element {
        self.client
            .wait()
            .at_most(within)
            .for_element(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("no element {css} within {within:?}: {e}"))
    }

    /// Wait for `css` (up to 20 s) and click it.
    pub async fn click(&self, css: &str) {
        self.find(css, Duration::from_secs(20))
            .await
            .click()
            .await
            .unwrap_or_else(|e| panic!("click {css}: {e}"));
    }

    /// Wait for `css` (up to 20 s) and type `text` into it.
    pub async fn type_into(&self, css: &str, text: &str) {
        self.find(css, Duration::from_secs(20))
            .await
            .send_keys(text)
            .await
            .unwrap_or_else(|e| panic!("type into {css}: {e}"));
    }

    /// Wait for the select `css` (up to 20 s) and choose `value`.
    pub async fn choose(&self, css: &str, value: &str) {
        self.find(css, Duration::from_secs(20))
            .await
            .select_by_value(value)
            .await
            .unwrap_or_else(|e| panic!("choose {value} in {css}: {e}"));
    }

    /// Wait (up to `within`) until the text of the first element matching `css` satisfies
    /// `pred`; returns that text. Polls through WebDriver (no fixed sleeps).
    pub async fn wait_text(
        &self,
        css: &str,
        within: Duration,
        pred: impl Fn(&str) -> bool,
    ) -> String {
        let deadline = tokio::time::Instant::now() + within;
        let mut last = String::new();
        loop {
            if let Ok(el) = self.client.find(Locator::Css(css)).await {
                if let Ok(t) = el.text().await {
                    if pred(&t) {
                        return t;
                    }
                    last = t;
                }
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "{css}: text {last:?} did not change as expected within {within:?}"
            );
            // Let the page work between two WebDriver round trips.
            tokio::task::yield_now().await;
        }
    }

    /// Save a PNG screenshot as `target/console-screenshots/<name>.png`; returns the path.
    pub async fn screenshot(&self, name: &str) -> PathBuf {
        let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/console-screenshots");
        std::fs::create_dir_all(&dir).expect("screenshot dir");
        let png = self.client.screenshot().await.expect("screenshot");
        let path = dir.join(format!("{name}.png"));
        std::fs::write(&path, png).expect("write screenshot");
        path
    }

    /// Sign in through the dev form at `api` as `user` with console role `role`.
    pub async fn sign_in(&self, api: &str, user: &str, role: &str) {
        self.client
            .goto(&format!("{api}/console/login"))
            .await
            .expect("login page");
        let name = self
            .find("input[name=username]", Duration::from_secs(10))
            .await;
        name.send_keys(user).await.expect("type user");
        let select = self.find("select[name=role]", Duration::from_secs(5)).await;
        select.select_by_value(role).await.expect("choose role");
        self.find(
            "form button[type=submit], form input[type=submit]",
            Duration::from_secs(5),
        )
        .await
        .click()
        .await
        .expect("submit");
        self.wait_text("[data-testid=whoami]", Duration::from_secs(15), |t| {
            t.contains(user)
        })
        .await;
    }
}
