//! Enums whose values HubSpot may extend.
//!
//! The generator writes each enum with an `Other(String)` catch-all, its `as_str` and its
//! `From<&str>`; [`open_enum_traits`] adds the conversions and serde impls that follow from
//! those two, so that an unknown value decodes into `Other` instead of failing the response.

/// Implements `From<String>`, `FromStr`, `Display`, `Serialize` and `Deserialize` for an open
/// enum from its `as_str` and `From<&str>`.
macro_rules! open_enum_traits {
    ($name:ident) => {
        impl From<String> for $name {
            fn from(value: String) -> Self {
                match Self::from(value.as_str()) {
                    Self::Other(_) => Self::Other(value),
                    known => known,
                }
            }
        }

        impl std::str::FromStr for $name {
            type Err = std::convert::Infallible;

            fn from_str(value: &str) -> Result<Self, Self::Err> {
                Ok(Self::from(value))
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_str())
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                <String as serde::Deserialize>::deserialize(deserializer).map(Self::from)
            }
        }
    };
}

pub(crate) use open_enum_traits;

#[cfg(test)]
mod tests {
    #[derive(Debug, PartialEq)]
    enum Status {
        Canceled,
        Complete,
        Other(String),
    }

    impl Status {
        fn as_str(&self) -> &str {
            match self {
                Self::Canceled => "CANCELED",
                Self::Complete => "COMPLETE",
                Self::Other(value) => value,
            }
        }
    }

    impl From<&str> for Status {
        fn from(value: &str) -> Self {
            match value {
                "CANCELED" | "CANCELLED" => Self::Canceled,
                "COMPLETE" => Self::Complete,
                other => Self::Other(other.to_owned()),
            }
        }
    }

    open_enum_traits!(Status);

    #[test]
    fn known_aliases_and_unknown_values_decode_and_round_trip() {
        let decode = |json: &str| serde_json::from_str::<Status>(json).unwrap();
        assert_eq!(decode("\"CANCELED\""), Status::Canceled);
        assert_eq!(decode("\"CANCELLED\""), Status::Canceled);
        assert_eq!(decode("\"ARCHIVED\""), Status::Other("ARCHIVED".into()));
        for value in [
            Status::Canceled,
            Status::Complete,
            Status::Other("NEW".into()),
        ] {
            let json = serde_json::to_string(&value).unwrap();
            assert_eq!(decode(&json), value);
        }
        assert_eq!(
            serde_json::to_string(&Status::Canceled).unwrap(),
            "\"CANCELED\""
        );
        assert_eq!(Status::from("COMPLETE".to_owned()).to_string(), "COMPLETE");
        assert_eq!("X".parse::<Status>().unwrap(), Status::Other("X".into()));
    }
}
