#![doc = include_str!("../README.md")]
#![cfg_attr(docsrs, feature(doc_cfg))]
// With only some versions enabled, parts of the runtime that only the others use are unused.
#![cfg_attr(not(feature = "all-versions"), allow(dead_code))]

pub mod association_types;
mod auth;
pub mod bulk;
mod category;
mod dynamic;
mod error;
mod error_body;
mod ids;
mod items;
mod labels;
mod lenient;
mod lifecycle;
mod object_type;
pub(crate) mod open_enum;
pub(crate) mod operation;
pub(crate) mod pagination;
pub mod plan;
mod rate_limit;
mod redact;
mod registry;
mod response;
mod retry;
#[cfg(feature = "redis")]
mod shared_budget;
pub(crate) mod transport;
pub(crate) mod url_path;
// The version modules and their registry, generated from `spec/` by `cargo xtask codegen`
// (and printed by prettyplease, not rustfmt). The other generated file of `src/` is
// `association_types/ids.rs`; every file codegen writes says so in its first line, and the rest
// of this crate is written by hand.
#[rustfmt::skip]
mod versions;
#[cfg(feature = "webhooks")]
#[cfg_attr(docsrs, doc(cfg(feature = "webhooks")))]
pub mod webhooks;

pub use auth::{
    AccessToken, ClientSecret, Credentials, DEFAULT_REFRESH_MARGIN, OAUTH_TOKEN_PATH, OAuthApp,
    OAuthError, RefreshToken, TokenError, TokenFuture, TokenSource,
};
pub use bulk::{BulkOptions, BulkOutcome};
pub use category::AssociationCategory;
pub use error::{ApiError, DecodeError, Error, RateLimitError, RateLimitPolicy, RejectedError};
pub use error_body::ErrorContext;
pub use ids::ObjectId;
pub use items::Items;
pub use labels::{Label, Labels};
pub use lenient::Lenient;
pub use lifecycle::{Lifecycle, MissingOperation, UnknownVersion};
pub use object_type::ObjectType;
pub use rate_limit::{RateLimit, Tier};
pub use registry::{
    DocumentedStatus, Example, HttpMethod, OperationInfo, RemovedOperation, RetryClass,
};
pub use response::{RateLimitHeaders, Response};
pub use retry::RetryPolicy;
#[cfg(feature = "redis")]
#[cfg_attr(docsrs, doc(cfg(feature = "redis")))]
pub use shared_budget::{DEFAULT_RECONNECT_AFTER, DEFAULT_SHARED_BUDGET_TIMEOUT, SharedBudget};
pub use transport::{
    CallOptions, DEFAULT_BASE_URL, DEFAULT_CONNECT_TIMEOUT, DEFAULT_MAX_BODY,
    DEFAULT_REQUEST_TIMEOUT, Transport, TransportBuilder, http_client_builder,
    install_tls_provider,
};
pub use versions::*;

/// How to move a program from a legacy version to a date-based one.
#[doc = include_str!("../MIGRATION.md")]
pub mod migration {}
