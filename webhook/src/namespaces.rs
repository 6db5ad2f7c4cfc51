//! Which namespaces the webhook does not check.
//!
//! Two mechanisms select namespaces. Selection by namespace label is the
//! webhook configuration's `namespaceSelector`: the apiserver applies it
//! and never sends requests from unselected namespaces, because a review
//! does not carry the namespace's labels. The exempt list here is the
//! second line: requests from these namespaces are allowed unchecked even
//! if they arrive (a selector edited by hand, a missing label), so that the
//! cluster's own components (`kube-system` by default) never wait on a
//! registry.

use std::collections::BTreeSet;

use crate::review::Request;

/// The namespaces exempt when none are configured.
pub const DEFAULT_EXEMPT: &[&str] = &["kube-system"];

/// A set of exempt namespaces.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Exemptions {
    namespaces: BTreeSet<String>,
}

impl Default for Exemptions {
    /// [`DEFAULT_EXEMPT`].
    fn default() -> Self {
        Exemptions::new(DEFAULT_EXEMPT.iter().copied())
    }
}

impl Exemptions {
    /// Exactly these namespaces (replacing the default; pass none to
    /// check every namespace).
    pub fn new<S: Into<String>>(namespaces: impl IntoIterator<Item = S>) -> Self {
        Exemptions {
            namespaces: namespaces.into_iter().map(Into::into).collect(),
        }
    }

    /// Whether `request` comes from an exempt namespace. A cluster-scoped
    /// request (no namespace) is never exempt.
    pub fn is_exempt(&self, request: &Request) -> bool {
        request
            .namespace
            .as_deref()
            .is_some_and(|namespace| self.namespaces.contains(namespace))
    }

    /// The exempt namespaces, sorted, for the logs.
    pub fn namespaces(&self) -> impl Iterator<Item = &str> {
        self.namespaces.iter().map(String::as_str)
    }
}
