//! A running `smpmatch serve` for the tests, and a small HTTP client (ureq) to talk to it.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

/// A server process on a free loopback port.
pub struct Served {
    pub child: Child,
    /// `http://127.0.0.1:PORT`
    pub base: String,
    pub token: String,
    pub data: PathBuf,
}

/// Start `smpmatch serve` on `data` with the shipped catalog and `extra` arguments; waits for
/// its URL on stdout.
pub fn start(data: &Path, extra: &[&str]) -> Served {
    let mut child = Command::new(super::bin())
        .args([
            "serve",
            "--no-open",
            "--port",
            "0",
            "-c",
            "pigments/smp_sample.json",
            "--data",
        ])
        .arg(data)
        .args(extra)
        .env_remove("SMPMATCH_TOKEN")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("serve starts");
    let out = child.stdout.take().expect("stdout");
    let mut line = String::new();
    BufReader::new(out)
        .read_line(&mut line)
        .expect("reads the URL");
    let url = line.trim().to_string();
    let (base, token) = url
        .split_once("/?token=")
        .unwrap_or_else(|| panic!("not a URL with a token: {url:?}"));
    Served {
        child,
        base: base.to_string(),
        token: token.to_string(),
        data: data.to_path_buf(),
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// An HTTP reply.
pub struct Reply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Reply {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| {
            panic!(
                "not JSON ({e}), status {}: {}",
                self.status,
                String::from_utf8_lossy(&self.body)
            )
        })
    }
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .max_redirects(0)
        .build()
        .into()
}

fn reply(r: std::result::Result<ureq::http::Response<ureq::Body>, ureq::Error>) -> Reply {
    try_reply(r).expect("the server answers")
}

fn try_reply(
    r: std::result::Result<ureq::http::Response<ureq::Body>, ureq::Error>,
) -> Option<Reply> {
    let mut r = r.ok()?;
    let status = r.status().as_u16();
    let headers = r
        .headers()
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_str().unwrap_or("").to_string()))
        .collect();
    let body = r
        .body_mut()
        .with_config()
        .limit(1 << 30)
        .read_to_vec()
        .ok()?;
    Some(Reply {
        status,
        headers,
        body,
    })
}

impl Served {
    /// GET with the token (or `token` given).
    pub fn get_with(&self, path: &str, token: Option<&str>, host: Option<&str>) -> Reply {
        let mut rq = agent().get(format!("{}{path}", self.base));
        if let Some(t) = token {
            rq = rq.header("Authorization", format!("Bearer {t}"));
        }
        if let Some(h) = host {
            rq = rq.header("Host", h);
        }
        reply(rq.call())
    }
    pub fn get(&self, path: &str) -> Reply {
        self.get_with(path, Some(&self.token.clone()), None)
    }
    /// POST a body with the token; `None` when the connection fails.
    pub fn try_post(&self, path: &str, content_type: &str, body: &[u8]) -> Option<Reply> {
        try_reply(
            agent()
                .post(format!("{}{path}", self.base))
                .header("Authorization", format!("Bearer {}", self.token))
                .header("Content-Type", content_type)
                .send(body),
        )
    }
    /// POST a body with the token.
    pub fn post(&self, path: &str, content_type: &str, body: &[u8]) -> Reply {
        reply(
            agent()
                .post(format!("{}{path}", self.base))
                .header("Authorization", format!("Bearer {}", self.token))
                .header("Content-Type", content_type)
                .send(body),
        )
    }
    pub fn post_json(&self, path: &str, v: &serde_json::Value) -> Reply {
        self.post(path, "application/json", v.to_string().as_bytes())
    }
    /// Upload a photo file; its SHA-256.
    pub fn upload(&self, photo: &str) -> String {
        let bytes = std::fs::read(photo).expect("photo");
        let r = self.post("/api/photos", "application/octet-stream", &bytes);
        assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
        r.json()["sha256"].as_str().expect("sha").to_string()
    }
}
