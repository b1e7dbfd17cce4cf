//! `smpmatch serve`: the chair-side web page. A local HTTP server in the one binary, its page
//! embedded (no build step, no CDN, works offline), its answers from the same library calls
//! as the command line ([`crate::pipeline`]) and its records in the same store
//! ([`crate::records`]).
//!
//! Safety of a server that holds patient photos:
//! - it binds to loopback unless told otherwise, and checks the `Host` header there (a web
//!   page elsewhere cannot reach it by DNS rebinding);
//! - every API call needs the access token printed on start (the page gets it once from the
//!   printed URL and keeps it in an HttpOnly, SameSite=Strict cookie);
//! - uploads are held to the command line's limits ([`crate::input::MAX_PHOTO_BYTES`] and
//!   [`crate::input::LoadLimits`]); photos are named by their SHA-256 only, so nothing the
//!   client sends becomes a path;
//! - a strict Content Security Policy (no inline script, no other origin);
//! - the store is SQLite in WAL mode, one transaction per change: two browsers at once do not
//!   corrupt it, and a killed server loses at most the request in flight.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Path as UrlPath, Query, Request, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};

use crate::analysis::{AnalyzeOptions, Selection};
use crate::calibration::Profile;
use crate::catalog::Catalog;
use crate::error::{Error, Result};
use crate::input::{LoadLimits, Region};
use crate::model::{Dots, Sun};
use crate::pipeline::{self, Treatment};
use crate::records::{NewConsultation, Store};

const INDEX_HTML: &str = include_str!("assets/index.html");
const APP_JS: &str = include_str!("assets/app.js");
const APP_CSS: &str = include_str!("assets/app.css");

/// The port tried when none is given; if taken, any free port.
pub const DEFAULT_PORT: u16 = 8737;
/// Longest side of the photo the page displays.
pub const DISPLAY_SIDE: u32 = 1600;
/// Longest side of the automatic separation's overlay.
pub const OVERLAY_SIDE: u32 = 480;
/// Months the preview slider offers.
pub const PREVIEW_MONTHS: [f64; 5] = [0.0, 6.0, 12.0, 24.0, 36.0];
/// Longest side of a preview frame sent to the page.
pub const PREVIEW_SIDE: u32 = 1200;
/// Photo jobs run at once (each may hold a decoded 100 MP photo).
pub const JOBS: usize = 2;
/// The cookie that carries the access token.
const COOKIE: &str = "smpmatch_token";
/// Security headers of every response.
const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; connect-src 'self'; form-action 'none'; frame-ancestors 'none'; base-uri 'none'";

/// How to serve.
#[derive(Debug, Clone)]
pub struct Config {
    /// Address to bind (loopback unless the clinic chooses otherwise).
    pub addr: IpAddr,
    /// Port (`None`: [`DEFAULT_PORT`] if free, else any free port; `Some(0)`: any).
    pub port: Option<u16>,
    /// The data directory: the record database and the stored photos.
    pub data_dir: PathBuf,
    /// Catalogs offered, as (file, catalog), the first being the default.
    pub catalogs: Vec<(PathBuf, Catalog)>,
    /// Calibration profiles offered, as (file, profile).
    pub profiles: Vec<(PathBuf, Profile)>,
    /// Decoding limits (the command line's).
    pub limits: LoadLimits,
    /// The access token (`None`: a fresh random one).
    pub token: Option<String>,
    /// Photos to open on the page at start (stored in the data directory first).
    pub photos: Vec<PathBuf>,
}

struct AppState {
    cfg: Config,
    preloaded: Vec<Preloaded>,
    token: String,
    allowed_hosts: Vec<String>,
    jobs: tokio::sync::Semaphore,
    /// Profiles fitted on the page from a card photo (after the configured ones).
    fitted_profiles: Mutex<Vec<(String, Profile)>>,
    display: Mutex<HashMap<String, Arc<Vec<u8>>>>,
    /// Small copies of the photos for the separation overlay (decoded once per photo).
    thumbs: Mutex<HashMap<String, Arc<image::RgbImage>>>,
}

type Shared = Arc<AppState>;

/// A fresh access token: 128 random bits, hex.
pub fn new_token() -> Result<String> {
    let mut b = [0u8; 16];
    getrandom::fill(&mut b).map_err(|e| Error::Internal(format!("no random source: {e}")))?;
    Ok(b.iter().map(|x| format!("{x:02x}")).collect())
}

/// A bound server, ready to run.
pub struct Server {
    listener: tokio::net::TcpListener,
    runtime: tokio::runtime::Runtime,
    state: Shared,
    /// The address it listens on.
    pub local_addr: SocketAddr,
}

impl Server {
    /// Bind the address (checking the data directory first).
    pub fn bind(cfg: Config) -> Result<Server> {
        if cfg.catalogs.is_empty() {
            return Err(Error::usage("serve needs at least one catalog (--catalog)"));
        }
        // Open (and migrate) the store once, so a bad data directory fails before serving.
        let store = Store::open(&cfg.data_dir)?;
        let mut preloaded = Vec::new();
        for p in &cfg.photos {
            let bytes = crate::io::files::read_input(p, "a photo", crate::input::MAX_PHOTO_BYTES)?;
            let (sha256, width, height) =
                store.add_photo(&bytes, cfg.limits).map_err(|e| match e {
                    Error::Photo { message, .. } => Error::Photo {
                        path: p.clone(),
                        message,
                    },
                    e => e,
                })?;
            preloaded.push(Preloaded {
                name: file_name(p),
                sha256,
                width,
                height,
            });
        }
        drop(store);
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .map_err(|e| Error::Internal(format!("cannot start the server runtime: {e}")))?;
        let bind = |port: u16| {
            runtime.block_on(tokio::net::TcpListener::bind(SocketAddr::new(
                cfg.addr, port,
            )))
        };
        let listener = match cfg.port {
            Some(p) => bind(p),
            None => bind(DEFAULT_PORT).or_else(|_| bind(0)),
        }
        .map_err(|e| {
            Error::usage(format!(
                "cannot listen on {}:{}: {e}",
                cfg.addr,
                cfg.port.unwrap_or(DEFAULT_PORT)
            ))
        })?;
        let local_addr = listener
            .local_addr()
            .map_err(|e| Error::Internal(format!("listener address: {e}")))?;
        let token = match &cfg.token {
            Some(t) => t.clone(),
            None => new_token()?,
        };
        let port = local_addr.port();
        let allowed_hosts = if cfg.addr.is_loopback() {
            vec![
                format!("127.0.0.1:{port}"),
                format!("localhost:{port}"),
                format!("[::1]:{port}"),
            ]
        } else {
            Vec::new()
        };
        let state = Arc::new(AppState {
            cfg,
            preloaded,
            token,
            allowed_hosts,
            jobs: tokio::sync::Semaphore::new(JOBS),
            fitted_profiles: Mutex::new(Vec::new()),
            display: Mutex::new(HashMap::new()),
            thumbs: Mutex::new(HashMap::new()),
        });
        Ok(Server {
            listener,
            runtime,
            state,
            local_addr,
        })
    }

    /// The URL to open (it carries the access token once; the page then keeps it in a
    /// cookie).
    pub fn url(&self) -> String {
        // Listening on every address (0.0.0.0): this computer's browser uses loopback.
        let ip = self.local_addr.ip();
        let host = if ip.is_loopback() || ip.is_unspecified() {
            format!("127.0.0.1:{}", self.local_addr.port())
        } else {
            self.local_addr.to_string()
        };
        format!("http://{host}/?token={}", self.state.token)
    }

    /// Serve until Ctrl-C or SIGTERM; requests in flight finish first.
    pub fn run(self) -> Result<()> {
        let app = router(self.state.clone());
        let Server {
            listener, runtime, ..
        } = self;
        runtime.block_on(async move {
            axum::serve(listener, app)
                .with_graceful_shutdown(shutdown_signal())
                .await
                .map_err(|e| Error::Internal(format!("server: {e}")))
        })
    }
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
}

fn router(state: Shared) -> Router {
    let api = Router::new()
        .route("/api/setup", get(setup))
        .route("/api/photos", post(upload))
        .route("/api/photos/{sha}", get(photo))
        .route("/api/match", post(do_match))
        .route("/api/preview", post(do_preview))
        .route("/api/report", post(report))
        .route("/api/calibrate", post(calibrate))
        .route(
            "/api/consultations",
            get(consultations).post(save_consultation),
        )
        .route("/api/consultations/{id}", get(consultation))
        .layer(middleware::from_fn_with_state(state.clone(), require_token));
    Router::new()
        .route("/", get(index))
        .route(
            "/assets/app.js",
            get(|| async { asset(APP_JS, "text/javascript; charset=utf-8") }),
        )
        .route(
            "/assets/app.css",
            get(|| async { asset(APP_CSS, "text/css; charset=utf-8") }),
        )
        .merge(api)
        .layer(DefaultBodyLimit::max(
            usize::try_from(crate::input::MAX_PHOTO_BYTES).unwrap_or(usize::MAX),
        ))
        .layer(middleware::from_fn_with_state(state.clone(), guard))
        .with_state(state)
}

fn asset(body: &'static str, kind: &'static str) -> Response {
    ([(header::CONTENT_TYPE, kind)], body).into_response()
}

/// Host check (DNS rebinding) and the security headers, on every response.
async fn guard(State(st): State<Shared>, req: Request, next: Next) -> Response {
    if !st.allowed_hosts.is_empty() {
        let host = req
            .headers()
            .get(header::HOST)
            .and_then(|h| h.to_str().ok())
            .unwrap_or("");
        if !st
            .allowed_hosts
            .iter()
            .any(|a| a.eq_ignore_ascii_case(host))
        {
            return (StatusCode::MISDIRECTED_REQUEST, "unknown host").into_response();
        }
    }
    let mut res = next.run(req).await;
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CSP),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    h.entry(header::CACHE_CONTROL)
        .or_insert(HeaderValue::from_static("no-store"));
    res
}

fn token_of(headers: &HeaderMap) -> Option<String> {
    if let Some(b) = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
    {
        return Some(b.trim().to_string());
    }
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == COOKIE)
        .map(|(_, v)| v.to_string())
}

/// Constant-time comparison (the token must not leak through timing).
fn same(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

async fn require_token(State(st): State<Shared>, req: Request, next: Next) -> Response {
    match token_of(req.headers()) {
        Some(t) if same(&t, &st.token) => next.run(req).await,
        _ => fail(
            StatusCode::UNAUTHORIZED,
            &Error::usage("missing or wrong access token: open the URL smpmatch serve printed"),
        ),
    }
}

async fn index(
    State(st): State<Shared>,
    Query(q): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Response {
    if let Some(t) = q.get("token") {
        if !same(t, &st.token) {
            return (StatusCode::UNAUTHORIZED, "wrong access token").into_response();
        }
        // Keep the token in a cookie and take it out of the address bar and history.
        let cookie = format!("{COOKIE}={t}; HttpOnly; SameSite=Strict; Path=/");
        return (
            StatusCode::SEE_OTHER,
            [
                (header::SET_COOKIE, cookie),
                (header::LOCATION, "/".to_string()),
            ],
        )
            .into_response();
    }
    match token_of(&headers) {
        Some(t) if same(&t, &st.token) => {
            ([(header::CONTENT_TYPE, "text/html; charset=utf-8")], INDEX_HTML).into_response()
        }
        _ => (
            StatusCode::UNAUTHORIZED,
            [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
            "smpmatch: open the address that `smpmatch serve` printed (it carries the access token).",
        )
            .into_response(),
    }
}

/// An error as the command line's JSON error object, with an HTTP status.
fn fail(status: StatusCode, e: &Error) -> Response {
    let body = crate::output::ErrorOut {
        error: crate::output::ErrorBody::of(e),
    };
    (status, Json(body)).into_response()
}

fn status_of(e: &Error) -> StatusCode {
    match e.exit_code() {
        70 => StatusCode::INTERNAL_SERVER_ERROR,
        73 => StatusCode::INSUFFICIENT_STORAGE,
        5 => StatusCode::UNPROCESSABLE_ENTITY,
        _ => StatusCode::BAD_REQUEST,
    }
}

/// Run a photo job on a blocking thread, at most [`JOBS`] at once.
async fn job<T: Send + 'static>(
    st: &Shared,
    f: impl FnOnce(&AppState) -> Result<T> + Send + 'static,
) -> std::result::Result<T, Response> {
    let Ok(_permit) = st.jobs.acquire().await else {
        return Err(fail(
            StatusCode::SERVICE_UNAVAILABLE,
            &Error::Internal("shutting down".into()),
        ));
    };
    let st2 = st.clone();
    match tokio::task::spawn_blocking(move || f(&st2)).await {
        Ok(Ok(v)) => Ok(v),
        Ok(Err(e)) => Err(fail(status_of(&e), &e)),
        Err(e) => Err(fail(
            StatusCode::INTERNAL_SERVER_ERROR,
            &Error::Internal(format!("a job failed: {e}")),
        )),
    }
}

/// A photo opened at start.
#[derive(Debug, Clone, Serialize)]
struct Preloaded {
    name: String,
    sha256: String,
    width: u32,
    height: u32,
}

#[derive(Serialize)]
struct SetupOut {
    version: &'static str,
    photos: Vec<Preloaded>,
    catalogs: Vec<CatalogInfo>,
    profiles: Vec<String>,
    preview_months: Vec<f64>,
    max_photo_bytes: u64,
    max_pixels: u64,
}

#[derive(Serialize)]
struct CatalogInfo {
    name: String,
    file: String,
    pigments: Vec<(String, String)>,
}

async fn setup(State(st): State<Shared>) -> Response {
    Json(SetupOut {
        version: env!("CARGO_PKG_VERSION"),
        photos: st.preloaded.clone(),
        catalogs: st
            .cfg
            .catalogs
            .iter()
            .map(|(p, c)| CatalogInfo {
                name: c.name.clone().unwrap_or_else(|| file_name(p)),
                file: file_name(p),
                pigments: c
                    .pigments
                    .iter()
                    .map(|p| (p.id.clone(), p.name.clone()))
                    .collect(),
            })
            .collect(),
        profiles: st.cfg.profiles.iter().map(|(p, _)| file_name(p)).collect(),
        preview_months: PREVIEW_MONTHS.to_vec(),
        max_photo_bytes: crate::input::MAX_PHOTO_BYTES,
        max_pixels: st.cfg.limits.max_pixels,
    })
    .into_response()
}

fn file_name(p: &Path) -> String {
    p.file_name().map_or_else(
        || p.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    )
}

#[derive(Serialize)]
struct Uploaded {
    sha256: String,
    width: u32,
    height: u32,
}

async fn upload(State(st): State<Shared>, body: Bytes) -> Response {
    if body.is_empty() {
        return fail(
            StatusCode::BAD_REQUEST,
            &Error::usage("the upload is empty"),
        );
    }
    match job(&st, move |s| {
        let store = Store::open(&s.cfg.data_dir)?;
        store.add_photo(&body, s.cfg.limits)
    })
    .await
    {
        Ok((sha256, width, height)) => Json(Uploaded {
            sha256,
            width,
            height,
        })
        .into_response(),
        Err(r) => r,
    }
}

fn is_sha(s: &str) -> bool {
    s.len() == 64 && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

fn stored_photo(st: &AppState, sha: &str) -> Result<(PathBuf, u32, u32)> {
    if !is_sha(sha) {
        return Err(Error::usage(
            "a photo is named by its SHA-256 (64 hex digits)",
        ));
    }
    Store::open(&st.cfg.data_dir)?
        .find_photo(sha)?
        .ok_or_else(|| Error::usage(format!("no stored photo {sha}: upload it first")))
}

fn encode(img: &image::RgbImage, format: image::ImageFormat) -> Result<Vec<u8>> {
    let mut buf = std::io::Cursor::new(Vec::new());
    img.write_to(&mut buf, format)
        .map_err(|e| Error::Internal(format!("image encoding: {e}")))?;
    Ok(buf.into_inner())
}

fn data_uri(png: &[u8]) -> String {
    use base64::Engine;
    format!(
        "data:image/png;base64,{}",
        base64::engine::general_purpose::STANDARD.encode(png)
    )
}

/// The photo as displayed: oriented, at most [`DISPLAY_SIDE`], JPEG (kept in memory).
async fn photo(State(st): State<Shared>, UrlPath(sha): UrlPath<String>) -> Response {
    let cached = st.display.lock().ok().and_then(|m| m.get(&sha).cloned());
    let bytes = match cached {
        Some(b) => b,
        None => {
            let key = sha.clone();
            match job(&st, move |s| {
                let (path, _, _) = stored_photo(s, &key)?;
                let p = crate::input::Photo::load(&path, s.cfg.limits)?;
                let img = p.image.thumbnail(DISPLAY_SIDE, DISPLAY_SIDE).to_rgb8();
                encode(&img, image::ImageFormat::Jpeg)
            })
            .await
            {
                Ok(b) => {
                    let b = Arc::new(b);
                    if let Ok(mut m) = st.display.lock() {
                        if m.len() >= 16 {
                            m.clear();
                        }
                        m.insert(sha, b.clone());
                    }
                    b
                }
                Err(r) => return r,
            }
        }
    };
    (
        [
            (header::CONTENT_TYPE, "image/jpeg"),
            (header::CACHE_CONTROL, "private, max-age=3600"),
        ],
        bytes.as_ref().clone(),
    )
        .into_response()
}

/// What the page asks for: one photo, the technician's regions, the treatment.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct Ask {
    photo: String,
    #[serde(default)]
    catalog: usize,
    #[serde(default)]
    profile: Option<usize>,
    #[serde(default)]
    hair: Vec<[u32; 4]>,
    #[serde(default)]
    scalp: Vec<[u32; 4]>,
    /// Rectangles that are neither hair nor scalp, left out of the automatic separation.
    #[serde(default)]
    exclude: Vec<[u32; 4]>,
    /// Rectangles of the person's untreated skin (forehead, temple), to tell a red scalp.
    #[serde(default)]
    reference: Vec<[u32; 4]>,
    #[serde(default)]
    sun: Option<Sun>,
    #[serde(default)]
    density_per_cm2: Option<f64>,
    #[serde(default)]
    dot_mm: Option<f64>,
    #[serde(default)]
    ink: Option<String>,
    #[serde(default)]
    dilution: Option<f64>,
    /// Preview and report: the treated area `[x, y, w, h]`.
    #[serde(default)]
    area: Option<[u32; 4]>,
    /// Preview: photo scale, px/mm.
    #[serde(default)]
    px_per_mm: Option<f64>,
    /// Consultation: the clinic's patient reference.
    #[serde(default)]
    patient: Option<String>,
    /// Report: `html` (default) or `png`.
    #[serde(default)]
    format: Option<String>,
    /// Report: the photo's file name as the technician opened it (shown instead of the
    /// stored path).
    #[serde(default)]
    name: Option<String>,
}

struct Prepared {
    sel: Selection,
    opts: AnalyzeOptions,
    treatment: Treatment,
    catalog_path: PathBuf,
    catalog_index: usize,
}

/// Profile `i`: the configured ones first, then those fitted on the page.
fn profile_at(st: &AppState, i: usize) -> Result<Profile> {
    if let Some((_, p)) = st.cfg.profiles.get(i) {
        return Ok(p.clone());
    }
    st.fitted_profiles
        .lock()
        .ok()
        .and_then(|f| f.get(i - st.cfg.profiles.len()).map(|(_, p)| p.clone()))
        .ok_or_else(|| Error::usage(format!("no profile {i}")))
}

fn prepare(st: &AppState, a: &Ask) -> Result<Prepared> {
    let (path, _, _) = stored_photo(st, &a.photo)?;
    let (catalog_path, _) = st
        .cfg
        .catalogs
        .get(a.catalog)
        .ok_or_else(|| Error::usage(format!("no catalog {}", a.catalog)))?;
    let profile = match a.profile {
        None => None,
        Some(i) => Some(profile_at(st, i)?),
    };
    let defaults = Dots::default();
    let dots = Dots {
        diameter_mm: a.dot_mm.unwrap_or(defaults.diameter_mm),
        density_per_cm2: a.density_per_cm2.unwrap_or(defaults.density_per_cm2),
    };
    let sensible = (0.0..=3.0).contains(&dots.diameter_mm)
        && dots.diameter_mm > 0.0
        && (0.0..=1000.0).contains(&dots.density_per_cm2)
        && dots.density_per_cm2 > 0.0;
    if !sensible {
        return Err(Error::usage(
            "dot size must be 0–3 mm and density 0–1000 dots/cm²",
        ));
    }
    let treatment = Treatment {
        sun: a.sun.unwrap_or_default(),
        dots,
        density_fixed: a.density_per_cm2.is_some(),
        top: Some(10),
        ..Treatment::default()
    };
    let sel = Selection {
        photo: Some(path),
        hair_regions: a.hair.iter().copied().map(Region::from).collect(),
        scalp_regions: a.scalp.iter().copied().map(Region::from).collect(),
        exclude_regions: a.exclude.iter().copied().map(Region::from).collect(),
        reference_regions: a.reference.iter().copied().map(Region::from).collect(),
        ..Selection::default()
    };
    let opts = AnalyzeOptions {
        limits: st.cfg.limits,
        profile,
        ..AnalyzeOptions::default()
    };
    Ok(Prepared {
        sel,
        opts,
        treatment,
        catalog_path: catalog_path.clone(),
        catalog_index: a.catalog,
    })
}

#[derive(Serialize)]
struct MatchOut {
    /// The answer in the terminal's words.
    answer: Option<String>,
    /// The match document (`match --json`).
    result: crate::output::Output,
    /// The automatic separation's roles (PNG data URI), when no region was drawn.
    overlay: Option<String>,
}

async fn do_match(State(st): State<Shared>, Json(a): Json<Ask>) -> Response {
    match job(&st, move |s| {
        let p = prepare(s, &a)?;
        let cat = &s.cfg.catalogs[p.catalog_index].1;
        let m = pipeline::match_patient(&p.sel, &p.opts, &p.treatment, cat, &p.catalog_path)?;
        let overlay = match &m.analysis.auto {
            Some(sep) if a.hair.is_empty() && a.scalp.is_empty() => {
                let thumb = overlay_base(s, &a.photo, p.sel.photo.as_deref())?;
                let map = crate::output::visual::role_map(&thumb, sep, p.opts.profile.as_ref());
                Some(data_uri(&encode(&map, image::ImageFormat::Png)?))
            }
            _ => None,
        };
        Ok(MatchOut {
            answer: crate::output::render_answer(&m.output, false),
            result: m.output,
            overlay,
        })
    })
    .await
    {
        Ok(o) => Json(o).into_response(),
        Err(r) => r,
    }
}

/// The photo at [`OVERLAY_SIDE`], decoded the first time only.
fn overlay_base(s: &AppState, sha: &str, path: Option<&Path>) -> Result<Arc<image::RgbImage>> {
    if let Some(t) = s.thumbs.lock().ok().and_then(|m| m.get(sha).cloned()) {
        return Ok(t);
    }
    let photo = crate::input::Photo::load(path.unwrap_or(Path::new("")), s.cfg.limits)?;
    let thumb = Arc::new(photo.image.thumbnail(OVERLAY_SIDE, OVERLAY_SIDE).to_rgb8());
    if let Ok(mut m) = s.thumbs.lock() {
        if m.len() >= 64 {
            m.clear();
        }
        m.insert(sha.to_string(), thumb.clone());
    }
    Ok(thumb)
}

#[derive(Serialize)]
struct Frame {
    month: f64,
    image: String,
}

#[derive(Serialize)]
struct PreviewOutPage {
    preview: crate::output::PreviewOut,
    /// The treated area cropped with a margin: before, then each month.
    before: String,
    frames: Vec<Frame>,
    /// Crop rectangle `[x, y, w, h]` in photo pixels.
    crop: [u32; 4],
    /// CIEDE2000 of the drawn healed dot to the hair target, and of the treated area seen
    /// from a distance to the stubble look: how the chosen ink and dilution score.
    delta_e00_dot: f64,
}

fn previewed(
    s: &AppState,
    a: &Ask,
    frame_months: Vec<f64>,
) -> Result<(Prepared, pipeline::Previewed)> {
    let p = prepare(s, a)?;
    let cat = &s.cfg.catalogs[p.catalog_index].1;
    let r = pipeline::preview(
        &p.sel,
        &p.opts,
        &p.treatment,
        cat,
        &p.catalog_path,
        &pipeline::PreviewRequest {
            area: a.area.map(|r| crate::preview::Area::Rect(Region::from(r))),
            px_per_mm: a.px_per_mm,
            card_pitch_mm: None,
            ink_id: a.ink.clone(),
            dilution: a.dilution,
            month: 0.0,
            seed: crate::analysis::tones::ToneOptions::default().seed,
            hairline: Vec::new(),
            crown: None,
            frame_months,
            asker: pipeline::Asker::Page,
        },
    )?;
    Ok((p, r))
}

fn crop(img: &image::RgbImage, c: [u32; 4]) -> image::RgbImage {
    let part = image::imageops::crop_imm(img, c[0], c[1], c[2], c[3]).to_image();
    if c[2].max(c[3]) > PREVIEW_SIDE {
        image::DynamicImage::ImageRgb8(part)
            .resize(
                PREVIEW_SIDE,
                PREVIEW_SIDE,
                image::imageops::FilterType::Triangle,
            )
            .to_rgb8()
    } else {
        part
    }
}

async fn do_preview(State(st): State<Shared>, Json(a): Json<Ask>) -> Response {
    match job(&st, move |s| {
        let (_, r) = previewed(s, &a, PREVIEW_MONTHS.to_vec())?;
        let (w, h) = r.original.dimensions();
        let c = crate::preview::margin_box(r.area.bounding_box(), w, h);
        let frames = r
            .frames
            .iter()
            .map(|(month, img)| {
                Ok(Frame {
                    month: *month,
                    image: data_uri(&encode(&crop(img, c), image::ImageFormat::Png)?),
                })
            })
            .collect::<Result<Vec<_>>>()?;
        let dot = crate::color::lab_from_array(r.output.dot_lab);
        let de = crate::color::delta_e00(dot, r.matched.targets.hair);
        Ok(PreviewOutPage {
            delta_e00_dot: (f64::from(de) * 100.0).round() / 100.0,
            preview: r.output,
            before: data_uri(&encode(&crop(&r.original, c), image::ImageFormat::Png)?),
            frames,
            crop: c,
        })
    })
    .await
    {
        Ok(o) => Json(o).into_response(),
        Err(r) => r,
    }
}

/// The HTML report (with the preview when a treated area is drawn), as a download.
async fn report(State(st): State<Shared>, Json(a): Json<Ask>) -> Response {
    let png = match a.format.as_deref() {
        None | Some("html") => false,
        Some("png") => true,
        Some(f) => {
            return fail(
                StatusCode::BAD_REQUEST,
                &Error::usage(format!("report format {f:?}: html or png")),
            )
        }
    };
    match job(&st, move |s| {
        let p = prepare(s, &a)?;
        let cat = &s.cfg.catalogs[p.catalog_index].1;
        let (matched, previews) = if let Some(area) = a.area {
            let (_, r) = previewed(s, &a, crate::preview::REPORT_MONTHS.to_vec())?;
            let (w, h) = r.original.dimensions();
            let c = crate::preview::margin_box(area, w, h);
            let previews = r.captioned(|img| crop(img, c));
            (r.matched, previews)
        } else {
            let m = pipeline::match_patient(&p.sel, &p.opts, &p.treatment, cat, &p.catalog_path)?;
            (m, Vec::new())
        };
        let setup = matched.setup(cat);
        let input = crate::output::visual::ReportInput {
            output: &matched.output,
            analysis: &matched.analysis,
            matched: Some((
                &setup,
                &matched.ranking.candidates,
                matched.rank_options.dots,
            )),
            profile: p.opts.profile.as_ref(),
            previews: &previews,
            patient: a.patient.as_deref(),
            clinic: None,
            photo_name: a.name.as_deref(),
        };
        if png {
            encode(&crate::output::visual::png(&input), image::ImageFormat::Png)
        } else {
            Ok(crate::output::visual::html(&input)?.into_bytes())
        }
    })
    .await
    {
        Ok(body) => {
            let (kind, name) = if png {
                ("image/png", "attachment; filename=\"smpmatch-report.png\"")
            } else {
                (
                    "text/html; charset=utf-8",
                    "attachment; filename=\"smpmatch-report.html\"",
                )
            };
            (
                [
                    (header::CONTENT_TYPE, kind),
                    (header::CONTENT_DISPOSITION, name),
                ],
                body,
            )
                .into_response()
        }
        Err(r) => r,
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CardAsk {
    photo: String,
}

#[derive(Serialize)]
struct CardOut {
    /// Index to pass as `profile`.
    index: usize,
    name: String,
    held_out_mean_de00: f64,
    before_mean_de00: f64,
    model: String,
    outline: [[f64; 2]; 4],
    centres: Vec<[f64; 2]>,
    warnings: Vec<String>,
}

/// Fit a correction from a photo of a ColorChecker (as `smpmatch calibrate`), offer it as a
/// profile for this run of the server, and say where the card was found.
async fn calibrate(State(st): State<Shared>, Json(a): Json<CardAsk>) -> Response {
    match job(&st, move |s| {
        let (path, _, _) = stored_photo(s, &a.photo)?;
        let c = crate::calibration::calibrate_photo(
            &path,
            None,
            s.cfg.limits,
            &crate::calibration::CalibrateOptions::default(),
        )
        .map_err(|e| match e {
            Error::Analysis { message, .. } => Error::Analysis {
                path: None,
                message: format!("no card found in this photo: {message}"),
            },
            e => e,
        })?;
        let r = &c.profile.residuals;
        let name = format!(
            "card photo {} (held-out ΔE00 {:.2})",
            &a.photo[..8],
            r.held_out_mean_de00
        );
        let out = CardOut {
            index: 0,
            name: name.clone(),
            held_out_mean_de00: r.held_out_mean_de00,
            before_mean_de00: r.before_mean_de00,
            model: crate::output::wire_name(&c.profile.correction.model),
            outline: c.outline,
            centres: c.centres,
            warnings: c.profile.warnings.clone(),
        };
        let mut list = s
            .fitted_profiles
            .lock()
            .map_err(|_| Error::Internal("profile list".into()))?;
        let mut profile = c.profile;
        profile.loaded_from = Some(PathBuf::from(format!("card photo {}", &a.photo[..8])));
        list.push((name, profile));
        Ok(CardOut {
            index: s.cfg.profiles.len() + list.len() - 1,
            ..out
        })
    })
    .await
    {
        Ok(o) => Json(o).into_response(),
        Err(r) => r,
    }
}

#[derive(Serialize)]
struct Saved {
    id: i64,
    patient: String,
}

/// Record a consultation: the match is re-run here, so the stored tones are the server's
/// measurements, not what a page sent.
async fn save_consultation(State(st): State<Shared>, Json(a): Json<Ask>) -> Response {
    match job(&st, move |s| {
        let patient = a
            .patient
            .clone()
            .ok_or_else(|| Error::usage("give the patient's reference"))?;
        let p = prepare(s, &a)?;
        let cat = &s.cfg.catalogs[p.catalog_index].1;
        let m = pipeline::match_patient(&p.sel, &p.opts, &p.treatment, cat, &p.catalog_path)?;
        let chosen = match &a.ink {
            Some(id) => m.ranking.candidates.iter().find(|c| &c.id == id),
            None => m.ranking.candidates.first(),
        }
        .ok_or_else(|| Error::usage("the chosen ink is not in the catalog"))?;
        let density = m
            .output
            .plan
            .as_ref()
            .filter(|pl| pl.pigment_id == chosen.id)
            .map(|pl| pl.suggested_density_per_cm2)
            .unwrap_or(p.treatment.dots.density_per_cm2);
        let arr = crate::color::lab_to_array;
        let store = Store::open(&s.cfg.data_dir)?;
        let pid = store.patient(&patient)?;
        let id = store.add_consultation(&NewConsultation {
            patient_id: pid,
            photo_sha256: Some(a.photo.clone()),
            hair_regions: a.hair.clone(),
            scalp_regions: a.scalp.clone(),
            hair_lab: Some(arr(m.targets.hair)),
            scalp_lab: Some(arr(m.targets.scalp)),
            ita: m
                .analysis
                .ita
                .map(|(d, _)| (f64::from(d) * 100.0).round() / 100.0),
            catalog_name: cat.name.clone(),
            pigment_id: Some(chosen.id.clone()),
            dilution: Some(a.dilution.unwrap_or(chosen.dilution.step)),
            density_per_cm2: Some(a.density_per_cm2.unwrap_or(density)),
            dot_mm: Some(p.treatment.dots.diameter_mm),
            sun: Some(p.treatment.sun),
            result_json: serde_json::to_string(&m.output).ok(),
        })?;
        Ok(Saved {
            id,
            patient: patient.trim().to_string(),
        })
    })
    .await
    {
        Ok(o) => (StatusCode::CREATED, Json(o)).into_response(),
        Err(r) => r,
    }
}

async fn consultations(
    State(st): State<Shared>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let patient = q.get("patient").cloned();
    match job(&st, move |s| {
        Store::open(&s.cfg.data_dir)?.consultations(patient.as_deref())
    })
    .await
    {
        Ok(o) => Json(o).into_response(),
        Err(r) => r,
    }
}

#[derive(Serialize)]
struct ConsultationOut {
    consultation: crate::records::Consultation,
    sessions: Vec<crate::records::Session>,
    followups: Vec<crate::records::FollowUpRecord>,
}

async fn consultation(State(st): State<Shared>, UrlPath(id): UrlPath<i64>) -> Response {
    match job(&st, move |s| {
        let store = Store::open(&s.cfg.data_dir)?;
        Ok(ConsultationOut {
            consultation: store.consultation(id)?,
            sessions: store.sessions(id)?,
            followups: store.followups(id)?,
        })
    })
    .await
    {
        Ok(o) => Json(o).into_response(),
        Err(r) => r,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_compare_whole_and_come_from_the_cookie_or_a_bearer_header() {
        assert!(same("abc", "abc"));
        assert!(!same("abc", "abd"));
        assert!(!same("abc", "abcd"));
        let mut h = HeaderMap::new();
        h.insert(
            header::COOKIE,
            HeaderValue::from_static("a=1; smpmatch_token=xyz"),
        );
        assert_eq!(token_of(&h).as_deref(), Some("xyz"));
        h.insert(header::AUTHORIZATION, HeaderValue::from_static("Bearer qq"));
        assert_eq!(token_of(&h).as_deref(), Some("qq"));
        let t = new_token().expect("token");
        assert_eq!(t.len(), 32);
        assert_ne!(t, new_token().expect("token"));
    }

    #[test]
    fn the_crop_keeps_a_margin_inside_the_photo() {
        assert_eq!(
            crate::preview::margin_box([100, 100, 40, 80], 1000, 1000),
            [90, 80, 60, 120]
        );
        assert_eq!(
            crate::preview::margin_box([0, 0, 40, 40], 45, 45),
            [0, 0, 45, 45]
        );
    }
}
