//! `GET /graphql`: GraphiQL, with every file it loads compiled into the binary, so the page
//! works without the internet. The bundles are the npm releases listed in
//! `assets/vendor/MANIFEST`, unmodified (`assets/vendor/refresh.sh verify` checks them).

use std::sync::LazyLock;

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use sha2::{Digest, Sha256};

use crate::error::AppError;

/// What the page may load: its own scripts and styles, requests to this server, the
/// images and fonts GraphiQL's stylesheet carries inline.
const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; script-src 'self'; \
     style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self' data:; \
     connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

const JS: &str = "text/javascript; charset=utf-8";
const CSS: &str = "text/css; charset=utf-8";
const TEXT: &str = "text/plain; charset=utf-8";

/// A file under `/graphql/assets/`.
struct Asset {
    name: &'static str,
    body: &'static [u8],
    content_type: &'static str,
    /// A vendored release: its name carries the version, so it never changes.
    versioned: bool,
}

const fn vendored(name: &'static str, body: &'static [u8], content_type: &'static str) -> Asset {
    Asset {
        name,
        body,
        content_type,
        versioned: true,
    }
}

/// Every file the page may load. A vendored name carries its release's version: upgrade the
/// pin in `assets/vendor/refresh.sh`, run it, and rename here and in `assets/graphiql.html`.
const ASSETS: &[Asset] = &[
    vendored(
        "graphiql-4.1.2.min.js",
        include_bytes!("../../assets/vendor/graphiql/graphiql.min.js"),
        JS,
    ),
    vendored(
        "graphiql-4.1.2.min.css",
        include_bytes!("../../assets/vendor/graphiql/graphiql.min.css"),
        CSS,
    ),
    vendored(
        "graphiql-4.1.2.LICENSE.txt",
        include_bytes!("../../assets/vendor/graphiql/LICENSE"),
        TEXT,
    ),
    vendored(
        "react-18.3.1.production.min.js",
        include_bytes!("../../assets/vendor/react/react.production.min.js"),
        JS,
    ),
    vendored(
        "react-18.3.1.LICENSE.txt",
        include_bytes!("../../assets/vendor/react/LICENSE"),
        TEXT,
    ),
    vendored(
        "react-dom-18.3.1.production.min.js",
        include_bytes!("../../assets/vendor/react-dom/react-dom.production.min.js"),
        JS,
    ),
    vendored(
        "react-dom-18.3.1.LICENSE.txt",
        include_bytes!("../../assets/vendor/react-dom/LICENSE"),
        TEXT,
    ),
    Asset {
        name: "graphiql-init.js",
        body: include_bytes!("../../assets/graphiql-init.js"),
        content_type: JS,
        versioned: false,
    },
];

/// The strong entity tag of each asset (a SHA-256 prefix of its bytes), in `ASSETS` order.
static ETAGS: LazyLock<Vec<String>> = LazyLock::new(|| {
    ASSETS
        .iter()
        .map(|asset| {
            let digest = Sha256::digest(asset.body);
            let hex: String = digest[..16].iter().map(|b| format!("{b:02x}")).collect();
            format!("\"{hex}\"")
        })
        .collect()
});

/// `GET /graphql`: the GraphiQL page.
pub async fn page() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "no-cache"))
        .insert_header((header::CONTENT_SECURITY_POLICY, CONTENT_SECURITY_POLICY))
        .body(include_str!("../../assets/graphiql.html"))
}

/// `GET /graphql/assets/{file}`: a file of the page. Versioned releases are cached for a
/// year; the page's own script is revalidated by its entity tag.
///
/// # Errors
/// 404 for a name not in the table.
pub async fn asset(req: HttpRequest, file: web::Path<String>) -> Result<HttpResponse, AppError> {
    let (index, asset) = ASSETS
        .iter()
        .enumerate()
        .find(|(_, a)| a.name == file.as_str())
        .ok_or(AppError::NotFound { entity: "asset" })?;
    let etag = ETAGS[index].as_str();
    let cache = if asset.versioned {
        "public, max-age=31536000, immutable"
    } else {
        "no-cache"
    };
    let matches = req
        .headers()
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.split(',')
                .map(|t| t.trim().trim_start_matches("W/"))
                .any(|t| t == "*" || t == etag)
        });
    let mut response = if matches {
        HttpResponse::NotModified()
    } else {
        HttpResponse::Ok()
    };
    response
        .insert_header((header::ETAG, etag))
        .insert_header((header::CACHE_CONTROL, cache));
    if matches {
        return Ok(response.finish());
    }
    Ok(response.content_type(asset.content_type).body(asset.body))
}

#[cfg(test)]
mod tests {
    use super::ASSETS;

    /// Every vendored file in MANIFEST is served under a name carrying its version.
    #[test]
    fn served_names_carry_the_manifest_versions() {
        let manifest = include_str!("../../assets/vendor/MANIFEST");
        let mut listed = 0;
        for line in manifest.lines().filter(|l| !l.starts_with('#')) {
            let mut cols = line.split_whitespace();
            let (Some(package), Some(version)) = (cols.next(), cols.next()) else {
                continue;
            };
            listed += 1;
            let prefix = format!("{package}-{version}.");
            assert!(
                ASSETS.iter().any(|a| a.name.starts_with(&prefix)),
                "{package} {version} from MANIFEST is not served as {prefix}…"
            );
        }
        assert_eq!(
            ASSETS.iter().filter(|a| a.versioned).count(),
            listed,
            "every vendored file is served once"
        );
    }

    /// The page loads exactly the served scripts and styles, from this server.
    #[test]
    fn the_page_loads_only_served_assets() {
        let page = include_str!("../../assets/graphiql.html");
        for asset in ASSETS.iter().filter(|a| !a.name.ends_with(".txt")) {
            let url = format!("/graphql/assets/{}", asset.name);
            assert!(page.contains(&url), "the page does not load {url}");
        }
        assert!(!page.contains("<script>"), "no inline script");
        assert!(!page.contains("//cdn") && !page.contains("https://"));
    }
}
