//! Path parameters, encoded so that no value can change which path is requested.

use std::fmt::Display;

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};

use crate::Error;

/// Everything but the unreserved characters of RFC 3986 is escaped: `/`, `?`, `#`, `%`,
/// spaces and non-ASCII among them.
const SEGMENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// One path segment from a parameter value.
///
/// Empty values and the dot segments `.` and `..` are refused: URL parsers fold them into
/// the neighbouring segments whatever their escaping, which would request another path.
pub(crate) fn segment(name: &'static str, value: impl Display) -> Result<String, Error> {
    let value = value.to_string();
    if value.is_empty() || value == "." || value == ".." {
        return Err(Error::InvalidInput {
            message: format!("the path parameter `{name}` cannot be {value:?}"),
        });
    }
    Ok(utf8_percent_encode(&value, SEGMENT).to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn every_value_is_one_segment_that_decodes_back(value in "\\PC{1,24}|[/?#% .é]{1,8}") {
            prop_assume!(value != "." && value != "..");
            let encoded = segment("id", &value).unwrap();
            prop_assert!(encoded.bytes().all(|b| b.is_ascii_alphanumeric() || b"-._~%".contains(&b)), "{}", encoded);
            let decoded = percent_encoding::percent_decode_str(&encoded).decode_utf8().unwrap();
            prop_assert_eq!(decoded, value);
        }
    }

    #[test]
    fn reserved_characters_are_escaped_and_plain_ids_kept() {
        assert_eq!(segment("id", "a/b?c#d").unwrap(), "a%2Fb%3Fc%23d");
        assert_eq!(segment("id", "50% off é").unwrap(), "50%25%20off%20%C3%A9");
        assert_eq!(segment("id", "2-123_x.y~z").unwrap(), "2-123_x.y~z");
        assert_eq!(segment("id", 42).unwrap(), "42");
    }

    #[test]
    fn empty_and_dot_segments_are_refused() {
        for bad in ["", ".", ".."] {
            let error = segment("objectId", bad).unwrap_err().to_string();
            assert!(error.contains("`objectId`"), "{error}");
        }
        assert_eq!(segment("id", "...").unwrap(), "...");
    }
}
