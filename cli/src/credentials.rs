//! The credentials of a run, from the environment (never from flags, which land in shell
//! history): a private app's `HUBSPOT_TOKEN`, or an OAuth app's `HUBSPOT_CLIENT_ID`,
//! `HUBSPOT_CLIENT_SECRET` and `HUBSPOT_REFRESH_TOKEN`; and the file that keeps a refresh
//! token HubSpot rotates.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::Context;
use hubspot_associations::{Credentials, OAuthApp, RefreshToken};

use crate::report;

/// The environment variable of a private app's access token.
pub const TOKEN: &str = "HUBSPOT_TOKEN";
/// The environment variable of an OAuth app's client id.
pub const CLIENT_ID: &str = "HUBSPOT_CLIENT_ID";
/// The environment variable of an OAuth app's client secret.
pub const CLIENT_SECRET: &str = "HUBSPOT_CLIENT_SECRET";
/// The environment variable of an OAuth app's refresh token.
pub const REFRESH_TOKEN: &str = "HUBSPOT_REFRESH_TOKEN";

/// Where an OAuth app's refresh token is kept between runs.
pub struct RefreshTokenFile {
    /// The file.
    pub path: PathBuf,
    /// Whether the user named it (`--refresh-token-file`); else it is beside the input, and
    /// written only if HubSpot rotates the token.
    pub named: bool,
}

/// A variable's value, trimmed, when it is set and not blank.
fn variable(name: &str) -> Option<String> {
    std::env::var(name)
        .ok()
        .map(|value| value.trim().to_owned())
        .filter(|value| !value.is_empty())
}

/// The credentials the environment gives, or `None` when it gives none; a half-given OAuth
/// app, or both kinds at once, is an error that says what to set.
pub fn from_environment(file: &RefreshTokenFile) -> anyhow::Result<Option<Credentials>> {
    let token = variable(TOKEN);
    let (client_id, client_secret) = (variable(CLIENT_ID), variable(CLIENT_SECRET));
    let stored = read_refresh_token(file)?;
    let refresh_token = stored.or_else(|| variable(REFRESH_TOKEN));
    let oauth_named = client_id.is_some() || client_secret.is_some();
    match (token, oauth_named) {
        (Some(_), true) => anyhow::bail!(
            "both {TOKEN} (a private app) and {CLIENT_ID}/{CLIENT_SECRET} (an OAuth app) are \
             set: unset the ones of the app this run is not"
        ),
        (Some(token), false) => Ok(Some(Credentials::from(token))),
        (None, false) => Ok(None),
        (None, true) => {
            let (Some(id), Some(secret), Some(refresh)) = (
                client_id.clone(),
                client_secret.clone(),
                refresh_token.clone(),
            ) else {
                let missing: Vec<&str> = [
                    (CLIENT_ID, client_id.is_none()),
                    (CLIENT_SECRET, client_secret.is_none()),
                    (REFRESH_TOKEN, refresh_token.is_none()),
                ]
                .into_iter()
                .filter_map(|(name, missing)| missing.then_some(name))
                .collect();
                anyhow::bail!(
                    "an OAuth app needs {CLIENT_ID}, {CLIENT_SECRET} and {REFRESH_TOKEN} \
                     (or --refresh-token-file); missing: {}",
                    missing.join(", ")
                );
            };
            let path = file.path.clone();
            let named = file.named;
            let app = OAuthApp::new(id, secret, refresh).on_refresh_token(move |token| {
                match write_refresh_token(&path, token) {
                    Ok(()) if named => {}
                    Ok(()) => eprintln!(
                        "warning: HubSpot rotated the OAuth refresh token; the new one is in \
                         {} (mode 0600): give it with --refresh-token-file next time",
                        path.display()
                    ),
                    Err(error) => eprintln!(
                        "warning: HubSpot rotated the OAuth refresh token, and it could not be \
                         kept in {}: {error}; the old one may no longer work",
                        path.display()
                    ),
                }
            });
            Ok(Some(Credentials::from(app)))
        }
    }
}

/// The refresh token a named file holds, when it exists: it is newer than the environment's.
fn read_refresh_token(file: &RefreshTokenFile) -> anyhow::Result<Option<String>> {
    if !file.named {
        return Ok(None);
    }
    match std::fs::read_to_string(&file.path) {
        Ok(text) => Ok(Some(text.trim().to_owned()).filter(|text| !text.is_empty())),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(error) => Err(error)
            .with_context(|| format!("cannot read the refresh token file {}", file.path.display())),
    }
}

/// Writes the token to a new file readable by its owner alone (0600 where permissions
/// exist), synced, then put in place of the old one, so that a crash leaves one whole token.
fn write_refresh_token(path: &Path, token: &RefreshToken) -> std::io::Result<()> {
    let mut file = report::temporary_beside(path)?;
    file.write_all(token.secret().as_bytes())?;
    file.write_all(b"\n")?;
    report::put_in_place(file, path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_rotated_token_is_written_whole_and_private() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("refresh-token");
        write_refresh_token(&path, &RefreshToken::new("rt-1")).unwrap();
        write_refresh_token(&path, &RefreshToken::new("rt-2")).unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "rt-2\n");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        let file = RefreshTokenFile { path, named: true };
        assert_eq!(read_refresh_token(&file).unwrap().as_deref(), Some("rt-2"));
    }
}
