//! A path template (`/crm/v4/objects/{objectType}/{objectId}`), parsed once into its segments.
//! Validation, the model, the generated client, the diff and `bump` all read paths through
//! this type: nothing else splits a path.

use std::fmt;

/// One segment of a path template, between two slashes.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Segment {
    /// Text sent as it is: `crm`, `batch`, `2026-09`.
    Literal(String),
    /// A parameter, by its API name: `{objectType}` is `objectType`.
    Param(String),
}

/// A parsed path template. It prints back as the text it was parsed from.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PathTemplate {
    segments: Vec<Segment>,
}

impl PathTemplate {
    /// Parses a template. A segment that is not wholly `{name}` is a literal, braces and all:
    /// validation reports such a segment, so the rest of the pipeline never meets one.
    pub fn parse(text: &str) -> Self {
        let segments = text
            .strip_prefix('/')
            .unwrap_or(text)
            .split('/')
            .map(|segment| {
                match segment
                    .strip_prefix('{')
                    .and_then(|inner| inner.strip_suffix('}'))
                    .filter(|name| !name.is_empty() && !name.contains(['{', '}']))
                {
                    Some(name) => Segment::Param(name.to_owned()),
                    None => Segment::Literal(segment.to_owned()),
                }
            })
            .collect();
        Self { segments }
    }

    /// The segments, in order.
    pub fn segments(&self) -> &[Segment] {
        &self.segments
    }

    /// The API names of its parameters, in order.
    pub fn params(&self) -> impl Iterator<Item = &str> {
        self.segments.iter().filter_map(|segment| match segment {
            Segment::Param(name) => Some(name.as_str()),
            Segment::Literal(_) => None,
        })
    }

    /// Whether a literal segment is exactly `text` (such as the version, or `batch`).
    pub fn has_literal(&self, text: &str) -> bool {
        self.segments
            .iter()
            .any(|segment| matches!(segment, Segment::Literal(literal) if literal == text))
    }

    /// Literal segments that are neither plain text nor a whole `{parameter}`, such as `{a`.
    pub fn malformed(&self) -> impl Iterator<Item = &str> {
        self.segments.iter().filter_map(|segment| match segment {
            Segment::Literal(text) if text.contains(['{', '}']) => Some(text.as_str()),
            _ => None,
        })
    }

    /// The template without the literal segment `version`: the same in every version.
    pub fn without(&self, version: &str) -> Self {
        Self {
            segments: self
                .segments
                .iter()
                .filter(|segment| !matches!(segment, Segment::Literal(text) if text == version))
                .cloned()
                .collect(),
        }
    }

    /// The template with `version` inserted as a literal before the segment at `index`.
    pub fn with_version_at(&self, index: usize, version: &str) -> Self {
        let mut segments = self.segments.clone();
        segments.insert(
            index.min(segments.len()),
            Segment::Literal(version.to_owned()),
        );
        Self { segments }
    }
}

impl fmt::Display for PathTemplate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for segment in &self.segments {
            match segment {
                Segment::Literal(text) => write!(f, "/{text}")?,
                Segment::Param(name) => write!(f, "/{{{name}}}")?,
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn templates_parse_into_segments_and_print_back() {
        let text = "/crm/v4/objects/{objectType}/{objectId}/associations";
        let template = PathTemplate::parse(text);
        assert_eq!(template.to_string(), text);
        assert_eq!(
            template.params().collect::<Vec<_>>(),
            ["objectType", "objectId"]
        );
        assert!(template.has_literal("v4"));
        assert!(!template.has_literal("objectType"));
        assert_eq!(template.malformed().count(), 0);
    }

    #[test]
    fn half_braced_segments_are_malformed_literals() {
        let template = PathTemplate::parse("/crm/{objectType/x/{}/{a}b");
        assert_eq!(template.params().count(), 0);
        assert_eq!(
            template.malformed().collect::<Vec<_>>(),
            ["{objectType", "{}", "{a}b"]
        );
    }

    #[test]
    fn the_version_comes_out_and_goes_back_in() {
        let dated = PathTemplate::parse("/crm/associations/2026-09/{fromObjectType}/labels");
        let bare = dated.without("2026-09");
        assert_eq!(
            bare.to_string(),
            "/crm/associations/{fromObjectType}/labels"
        );
        assert_eq!(
            bare.with_version_at(2, "2027-03").to_string(),
            "/crm/associations/2027-03/{fromObjectType}/labels"
        );
        assert_eq!(
            PathTemplate::parse("/crm/v4/objects/{a}").without("v4"),
            PathTemplate::parse("/crm/objects/2026-03/{a}").without("2026-03")
        );
    }
}
