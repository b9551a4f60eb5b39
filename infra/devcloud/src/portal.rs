//! The portal (`portal/` at the repository root, a single-page app built with Vite),
//! built when its sources are newer than its build and served from the API's own origin
//! as CloudFront serves it in AWS: files from `dist/`, any other path that is not the
//! API's the app's `index.html` (its router reads the path), with the same security
//! headers.

use std::path::{Component, Path, PathBuf};
use std::time::SystemTime;

use anyhow::Context;
use bytes::Bytes;
use http_body_util::Full;
use tokio::process::Command;

use crate::command::run;

/// What a page of the portal may load and talk to: its own origin, and for uploads and
/// downloads the origins in `talks_to` (the files bucket's); images from `data:` too (the
/// account's logo arrives in the API's JSON); no inline script, no framing. The template's
/// `PortalSecurityHeaders` says the same to CloudFront (a test holds them together).
pub fn content_security_policy(talks_to: &[&str]) -> String {
    let connect = std::iter::once("'self'")
        .chain(talks_to.iter().copied())
        .collect::<Vec<_>>()
        .join(" ");
    format!(
        "default-src 'self'; connect-src {connect}; img-src 'self' data:; object-src 'none'; \
         base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    )
}

/// What a failed install or build is most often missing.
const NEEDS: &str = "the portal needs Node.js 20.19 or later with npm";

/// The portal's sources: `portal/` at the repository root.
pub fn sources() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .ancestors()
        .nth(2)
        .expect("infra/devcloud is two levels below the repository root")
        .join("portal")
}

/// A built portal, served from its `dist/`.
#[derive(Debug, Clone)]
pub struct Portal {
    dist: PathBuf,
    /// The Content-Security-Policy of every answer.
    policy: String,
}

/// Builds the portal if its build is missing or older than its sources (installing its
/// packages first when `package-lock.json` changed), with the machine's Node.js and npm.
/// One build at a time on the machine: a test and a running local cloud may both find
/// the build stale, and `npm ci` and `vite build` each empty a folder the other uses.
pub async fn build() -> anyhow::Result<Portal> {
    let root = sources();
    let lock =
        std::fs::File::create(root.join(".build.lock")).context("the portal's build lock")?;
    let lock = tokio::task::spawn_blocking(move || lock.lock().map(|()| lock))
        .await?
        .context("waiting for another build of the portal")?;
    let built = build_locked(&root).await;
    drop(lock);
    built
}

async fn build_locked(root: &Path) -> anyhow::Result<Portal> {
    let root = root.to_path_buf();
    let npm = || {
        let mut command = Command::new("npm");
        command
            .current_dir(&root)
            // The browser tests drive the system's Chromium: no download.
            .env("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1");
        command
    };
    let lock = modified(&root.join("package-lock.json"))?;
    let installed = modified(&root.join("node_modules/.package-lock.json")).ok();
    if installed.is_none_or(|installed| installed < lock) {
        eprintln!("installing the portal's packages (npm ci)");
        run(npm().args(["ci", "--no-audit", "--no-fund"]))
            .await
            .context(NEEDS)?;
    }
    let dist = root.join("dist");
    let built = modified(&dist.join("index.html")).ok();
    let newest_source = [
        "src",
        "index.html",
        "vite.config.ts",
        "tsconfig.json",
        "package.json",
        "package-lock.json",
        "../docs/openapi.json",
    ]
    .iter()
    .map(|path| newest(&root.join(path)))
    .collect::<anyhow::Result<Vec<_>>>()?
    .into_iter()
    .max();
    if built.is_none() || built < newest_source {
        eprintln!("building the portal (npm run build)");
        run(npm().args(["run", "build"])).await.context(NEEDS)?;
    }
    Ok(Portal {
        dist,
        policy: content_security_policy(&[]),
    })
}

fn modified(path: &Path) -> anyhow::Result<SystemTime> {
    std::fs::metadata(path)
        .and_then(|meta| meta.modified())
        .with_context(|| format!("reading {}", path.display()))
}

/// The newest modification under `path` (a file or a folder), generated files left out.
fn newest(path: &Path) -> anyhow::Result<SystemTime> {
    let mut newest = modified(path)?;
    if path.is_dir() {
        for entry in std::fs::read_dir(path)? {
            let entry = entry?.path();
            if entry
                .file_name()
                .is_some_and(|name| name == "schema.gen.ts")
            {
                continue;
            }
            newest = newest.max(self::newest(&entry)?);
        }
    }
    Ok(newest)
}

impl Portal {
    /// The portal with its pages allowed to talk to the files bucket at `files_origin`,
    /// where they upload to.
    pub fn uploading_to(self, files_origin: &str) -> Portal {
        Portal {
            policy: content_security_policy(&[files_origin]),
            ..self
        }
    }

    /// Whether the portal answers a `method` request for `path`: reads only, and never
    /// the API's own paths (an unknown `/v1/…` stays the API's 404).
    pub fn serves(method: &str, path: &str) -> bool {
        // Read as the API reads paths: slashes at either end do not count.
        let first = path.trim_matches('/').split('/').next().unwrap_or("");
        matches!(method, "GET" | "HEAD") && !matches!(first, "v1" | "health" | "openapi.json")
    }

    /// The file `path` names in the build, or the app's page for any other path.
    pub async fn answer(&self, path: &str) -> hyper::Response<Full<Bytes>> {
        let file = self.file(path);
        let (file, page) = match file {
            Some(file) if file.is_file() => (file, false),
            // A file that is not there (an asset of an earlier build, a favicon) is not
            // the app's page: that would answer a script with HTML.
            _ if path.starts_with("/assets/") || Path::new(path).extension().is_some() => {
                return self.not_found();
            }
            _ => (self.dist.join("index.html"), true),
        };
        match tokio::fs::read(&file).await {
            Ok(bytes) => {
                // Vite names its assets by their content: they never change. The page
                // names the assets of the build it came with, so it is read afresh.
                let cache = if page || !path.starts_with("/assets/") {
                    "no-cache"
                } else {
                    "public, max-age=31536000, immutable"
                };
                self.with_headers(hyper::Response::builder(), content_type(&file))
                    .header("cache-control", cache)
                    .body(Full::new(Bytes::from(bytes)))
                    .expect("a valid response")
            }
            Err(error) => {
                tracing::error!(%error, file = %file.display(), "the portal's build is incomplete");
                hyper::Response::builder()
                    .status(503)
                    .header("content-type", "text/plain; charset=utf-8")
                    .body(Full::new(Bytes::from_static(
                        b"the portal is not built: restart the local cloud",
                    )))
                    .expect("a valid response")
            }
        }
    }

    /// The file under `dist/` that `path` names, if it names one inside it.
    fn file(&self, path: &str) -> Option<PathBuf> {
        let relative = Path::new(path.trim_start_matches('/'));
        let inside = relative
            .components()
            .all(|part| matches!(part, Component::Normal(_)));
        (inside && !path.contains('\\')).then(|| self.dist.join(relative))
    }

    fn not_found(&self) -> hyper::Response<Full<Bytes>> {
        self.with_headers(
            hyper::Response::builder().status(404),
            "text/plain; charset=utf-8",
        )
        .body(Full::new(Bytes::from_static(b"not found")))
        .expect("a valid response")
    }

    /// The security headers of every page and file, as the CloudFront distribution sends
    /// them in AWS.
    fn with_headers(
        &self,
        builder: hyper::http::response::Builder,
        content_type: &str,
    ) -> hyper::http::response::Builder {
        builder
            .header("content-type", content_type)
            .header("content-security-policy", &self.policy)
            .header("x-content-type-options", "nosniff")
            .header("referrer-policy", "no-referrer")
            .header("x-frame-options", "DENY")
    }
}

fn content_type(file: &Path) -> &'static str {
    match file.extension().and_then(|e| e.to_str()).unwrap_or("") {
        "html" => "text/html; charset=utf-8",
        "js" => "text/javascript; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "json" => "application/json",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "ico" => "image/x-icon",
        "woff2" => "font/woff2",
        _ => "application/octet-stream",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_api_keeps_its_paths_and_the_portal_takes_the_other_reads() {
        assert!(Portal::serves("GET", "/"));
        assert!(Portal::serves("GET", "/login"));
        assert!(Portal::serves("HEAD", "/assets/index-abc.js"));
        assert!(!Portal::serves("POST", "/login"));
        assert!(!Portal::serves("GET", "/v1/nothing"));
        assert!(!Portal::serves("GET", "/v1"));
        assert!(!Portal::serves("GET", "/health"));
        assert!(!Portal::serves("GET", "/openapi.json"));
        assert!(!Portal::serves("GET", "//v1/account"));
        assert!(!Portal::serves("GET", "/health/"));
        assert!(Portal::serves("GET", "/v1x"));
    }

    #[test]
    fn pages_talk_to_their_own_origin_and_the_files_bucket_alone() {
        let policy = content_security_policy(&["http://127.0.0.1:4566"]);
        let directives: Vec<&str> = policy.split("; ").collect();
        assert!(directives.contains(&"default-src 'self'"));
        assert!(directives.contains(&"connect-src 'self' http://127.0.0.1:4566"));
        assert!(!policy.contains("unsafe"));
    }

    #[test]
    fn a_path_never_names_a_file_outside_the_build() {
        let portal = Portal {
            dist: PathBuf::from("/srv/dist"),
            policy: content_security_policy(&[]),
        };
        assert_eq!(
            portal.file("/assets/a.js"),
            Some(PathBuf::from("/srv/dist/assets/a.js"))
        );
        assert_eq!(portal.file("/../secret"), None);
        assert_eq!(portal.file("/assets/../../secret"), None);
        assert_eq!(portal.file("/./index.html"), None);
        assert_eq!(portal.file("/a\\..\\b"), None);
    }
}
