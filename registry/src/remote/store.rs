//! The [`Store`] operations over the distribution API: tags, manifests,
//! blobs (monolithic upload) and the referrers API.

use std::time::Duration;

use async_trait::async_trait;
use reqwest::header::{ACCEPT, CONTENT_TYPE, LOCATION};
use reqwest::{Method, RequestBuilder, Response, StatusCode};
use vouch_evidence::digest::Sha256;

use super::auth::scope;
use super::transport::{failure, header, read_capped, status_of, MAX_RETRIES};
use super::RemoteStore;
use crate::error::{ErrorCode, Status};
use crate::oci::{Descriptor, ImageIndex, MANIFEST_MEDIA_TYPES, OCI_INDEX};
use crate::{Error, Result, Store};

/// The most pages of referrers followed.
const MAX_REFERRER_PAGES: usize = 20;

impl RemoteStore {
    /// Sends a read request: `None` on 404, an error carrying the
    /// registry's message on any other failure status.
    async fn found(
        &self,
        method: Method,
        path: &str,
        repository: &str,
        build: impl Fn(RequestBuilder) -> RequestBuilder,
        what: &str,
    ) -> Result<Option<Response>> {
        let response = self
            .send(method, path, &scope(repository, false), build)
            .await?;
        if response.status().is_success() {
            return Ok(Some(response));
        }
        match status_of(&response) {
            Status::NotFound => Ok(None),
            _ => Err(self.status_error(what, response).await),
        }
    }

    /// The absolute URL of a `Link: <…>; rel="next"` header, on this host.
    fn next_link(&self, link: &str) -> Option<String> {
        let (target, params) = link.split_once(';')?;
        if !params.contains("rel=\"next\"") && !params.contains("rel=next") {
            return None;
        }
        let target = target.trim().strip_prefix('<')?.strip_suffix('>')?;
        let scheme = (*self.scheme.lock().unwrap_or_else(|p| p.into_inner()))?;
        let base = reqwest::Url::parse(&format!("{scheme}://{}/", self.host)).ok()?;
        let url = base.join(target).ok()?;
        // Never follow a link to another host.
        self.on_host(&url).then(|| url.to_string())
    }
}

fn accept_manifests(request: RequestBuilder) -> RequestBuilder {
    request.header(ACCEPT, MANIFEST_MEDIA_TYPES.join(", "))
}

#[async_trait]
impl Store for RemoteStore {
    fn location(&self) -> String {
        self.host.clone()
    }

    async fn resolve_tag(&self, repository: &str, tag: &str) -> Result<Option<Descriptor>> {
        let path = format!("{repository}/manifests/{tag}");
        let what = format!("HEAD {repository}:{tag}");
        let Some(response) = self
            .found(Method::HEAD, &path, repository, accept_manifests, &what)
            .await?
        else {
            return Ok(None);
        };
        let headers = response.headers();
        let digest = header(headers, "docker-content-digest").ok_or_else(|| {
            self.remote_error(format!(
                "HEAD {repository}:{tag} answered without Docker-Content-Digest"
            ))
        })?;
        let digest: Sha256 = digest.parse().map_err(|e: vouch_evidence::Error| {
            self.remote_error(format!("digest of {repository}:{tag}: {e}"))
        })?;
        let media_type = header(headers, CONTENT_TYPE.as_str()).unwrap_or(crate::oci::OCI_MANIFEST);
        let size = header(headers, "content-length")
            .and_then(|s| s.parse().ok())
            .unwrap_or(0);
        Ok(Some(Descriptor {
            media_type: media_type.to_string(),
            digest,
            size,
            artifact_type: None,
            platform: None,
            annotations: Default::default(),
        }))
    }

    async fn fetch_manifest(
        &self,
        repository: &str,
        digest: &Sha256,
        limit: u64,
    ) -> Result<Option<(Vec<u8>, Option<String>)>> {
        let path = format!("{repository}/manifests/{digest}");
        let what = format!("GET manifest {digest}");
        let Some(response) = self
            .found(Method::GET, &path, repository, accept_manifests, &what)
            .await?
        else {
            return Ok(None);
        };
        let content_type = header(response.headers(), CONTENT_TYPE.as_str()).map(str::to_string);
        let body = read_capped(response, limit)
            .await
            .map_err(|e| self.transport_error(&path, e))?;
        Ok(Some((body, content_type)))
    }

    async fn fetch_blob(
        &self,
        repository: &str,
        digest: &Sha256,
        limit: u64,
    ) -> Result<Option<Vec<u8>>> {
        let path = format!("{repository}/blobs/{digest}");
        let what = format!("GET blob {digest}");
        let Some(response) = self
            .found(Method::GET, &path, repository, |r| r, &what)
            .await?
        else {
            return Ok(None);
        };
        if let Some(declared) = response.content_length().filter(|len| *len > limit) {
            // Refused on the declaration, before reading the body.
            return Err(Error::TooLarge {
                what: format!("blob {digest}"),
                location: format!("{}/{repository}", self.host),
                size: declared,
                limit,
            });
        }
        let body = read_capped(response, limit)
            .await
            .map_err(|e| self.transport_error(&path, e))?;
        Ok(Some(body))
    }

    async fn push_blob(&self, repository: &str, digest: &Sha256, content: &[u8]) -> Result<()> {
        let scope = scope(repository, true);
        let exists = self
            .send(
                Method::HEAD,
                &format!("{repository}/blobs/{digest}"),
                &scope,
                |r| r,
            )
            .await?;
        if exists.status().is_success() {
            return Ok(());
        }
        let start = self
            .send(
                Method::POST,
                &format!("{repository}/blobs/uploads/"),
                &scope,
                |r| r.header(reqwest::header::CONTENT_LENGTH, "0"),
            )
            .await?;
        if start.status() != StatusCode::ACCEPTED {
            return Err(self
                .status_error(&format!("start upload of blob {digest}"), start)
                .await);
        }
        let location = header(start.headers(), LOCATION.as_str())
            .ok_or_else(|| self.remote_error("blob upload answered without Location"))?;
        let scheme = self
            .scheme
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .unwrap_or("https");
        let base = reqwest::Url::parse(&format!("{scheme}://{}/", self.host))
            .map_err(|e| self.remote_error(e.to_string()))?;
        let mut url = base
            .join(location)
            .map_err(|e| self.remote_error(format!("bad upload Location: {e}")))?;
        url.query_pairs_mut()
            .append_pair("digest", &digest.to_string());
        let body = content.to_vec();
        let done = self
            .send(Method::PUT, url.as_str(), &scope, |r| {
                r.header(CONTENT_TYPE, "application/octet-stream")
                    .body(body.clone())
            })
            .await?;
        if done.status() != StatusCode::CREATED {
            return Err(self
                .status_error(&format!("upload of blob {digest}"), done)
                .await);
        }
        Ok(())
    }

    async fn push_manifest(
        &self,
        repository: &str,
        digest: &Sha256,
        content: &[u8],
        media_type: &str,
        tag: Option<&str>,
    ) -> Result<()> {
        let reference = tag.map_or_else(|| digest.to_string(), str::to_string);
        let body = content.to_vec();
        let mut attempt = 0;
        loop {
            let response = self
                .send(
                    Method::PUT,
                    &format!("{repository}/manifests/{reference}"),
                    &scope(repository, true),
                    |r| r.header(CONTENT_TYPE, media_type).body(body.clone()),
                )
                .await?;
            if response.status() == StatusCode::CREATED {
                return Ok(());
            }
            let failure = failure(response).await;
            // Distribution rewrites a blob's link in a repository in place
            // (truncate, then write) each time the blob is pushed, so a
            // manifest checked while another client pushes one of its blobs
            // again can find the link empty and be refused as naming an
            // unknown blob (distribution/distribution#2077). The blobs were
            // pushed just before, so a few spaced tries ride over the race;
            // a blob that is really missing is still refused.
            let blob_race = failure.status == Status::BadRequest
                && failure.codes.contains(&ErrorCode::ManifestBlobUnknown);
            if !blob_race || attempt >= MAX_RETRIES {
                return Err(self.failure_error(&format!("push manifest {reference}"), failure));
            }
            attempt += 1;
            tokio::time::sleep(Duration::from_millis(100 << attempt)).await;
        }
    }

    async fn referrers(
        &self,
        repository: &str,
        subject: &Sha256,
        limit: usize,
    ) -> Result<Option<Vec<Descriptor>>> {
        let location = format!("{}/{repository}", self.host);
        let too_many = |count| Error::TooMany {
            what: format!("referrers of {subject}"),
            location: location.clone(),
            count,
            limit,
        };
        let mut found: Vec<Descriptor> = Vec::new();
        let mut next = Some(format!("{repository}/referrers/{subject}"));
        let mut pages = 0;
        // Pages are followed (`Link: <…>; rel="next"`) only while the total
        // stays within the limit, so endless pagination is cut off.
        while let Some(path) = next.take() {
            pages += 1;
            if pages > MAX_REFERRER_PAGES {
                return Err(too_many(found.len() + 1));
            }
            let response = self
                .send(Method::GET, &path, &scope(repository, false), |r| {
                    r.header(ACCEPT, OCI_INDEX)
                })
                .await?;
            if !response.status().is_success() {
                return match status_of(&response) {
                    // No referrers API: the caller uses the tag-schema fallback.
                    Status::NotFound | Status::BadRequest | Status::MethodNotAllowed
                        if pages == 1 =>
                    {
                        Ok(None)
                    }
                    _ => Err(self
                        .status_error(&format!("GET referrers of {subject}"), response)
                        .await),
                };
            }
            next = header(response.headers(), "link").and_then(|link| self.next_link(link));
            // Each descriptor is well under 1 KiB; allow that much per entry.
            let cap = (limit.saturating_sub(found.len()) as u64 + 1) * 1024 + 4096;
            let body = read_capped(response, cap)
                .await
                .map_err(|e| self.transport_error(&path, e))?;
            if body.len() as u64 > cap {
                return Err(too_many(limit + 1));
            }
            let index: ImageIndex = serde_json::from_slice(&body).map_err(|e| Error::Invalid {
                what: format!("referrers of {subject}"),
                location: location.clone(),
                reason: e.to_string(),
            })?;
            found.extend(index.manifests);
            if found.len() > limit {
                return Err(too_many(found.len()));
            }
        }
        Ok(Some(found))
    }
}

#[cfg(test)]
mod tests;
