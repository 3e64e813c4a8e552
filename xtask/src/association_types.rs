//! HubSpot-defined association type ids, from `spec/association-types.tsv`: parsed with a
//! diagnostic per bad line, each type's direction read from its label, and generated as
//! constants with the table of unlabelled defaults.

use std::collections::BTreeSet;
use std::path::Path;

use heck::ToShoutySnakeCase;
use proc_macro2::TokenStream;
use quote::{format_ident, quote};

use crate::diagnostics::{Diagnostic, Diagnostics};

/// Where the table lives, relative to the workspace root.
pub const TABLE: &str = "spec/association-types.tsv";

/// One HubSpot-defined association type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AssociationType {
    /// The object it starts from, singular: `contact`, `line_item`.
    pub from: String,
    /// The object it leads to, singular, read from the label.
    pub to: String,
    /// The type id.
    pub id: i32,
    /// HubSpot's label: `Contact to primary company`.
    pub label: String,
}

impl AssociationType {
    /// The constant's name: `CONTACT_TO_PRIMARY_COMPANY`.
    pub fn constant(&self) -> String {
        self.label.to_shouty_snake_case()
    }

    /// Whether it is the unlabelled default between its objects: labelled just
    /// `<From> to <to>`, without "primary", "billing" or the like.
    pub fn is_default(&self) -> bool {
        self.label.to_lowercase() == format!("{} to {}", words(&self.from), words(&self.to))
    }
}

fn words(object: &str) -> String {
    object.replace('_', " ")
}

/// Reads the table: `from_object<TAB>type_id<TAB>label`, `#` comments. Every bad line is
/// reported with its number.
pub fn parse(text: &str) -> Result<Vec<AssociationType>, Diagnostics> {
    let file = Path::new(TABLE);
    let mut problems = Diagnostics::default();
    let mut rows: Vec<(usize, String, i32, String)> = Vec::new();
    for (index, line) in text.lines().enumerate() {
        let number = index + 1;
        if line.trim().is_empty() || line.starts_with('#') {
            continue;
        }
        let at = format!("line {number}");
        let cells: Vec<&str> = line.split('\t').collect();
        let [from, id, label] = cells.as_slice() else {
            problems.push(Diagnostic::new(
                file,
                at,
                format!("the line has {} tab-separated columns, not 3", cells.len()),
                "write `from_object<TAB>type_id<TAB>label`",
            ));
            continue;
        };
        let Ok(id) = id.trim().parse::<i32>() else {
            problems.push(Diagnostic::new(
                file,
                at,
                format!("the type id `{id}` is not an integer"),
                "write the id as digits",
            ));
            continue;
        };
        let (from, label) = (from.trim(), label.trim());
        let shape_ok = !from.is_empty()
            && from.bytes().all(|b| b.is_ascii_lowercase() || b == b'_')
            && label
                .split_once(" to ")
                .is_some_and(|(start, end)| !start.is_empty() && !end.is_empty());
        if !shape_ok {
            problems.push(Diagnostic::new(
                file,
                at,
                format!("`{from}` / `{label}` is not an object name and a label \"<From> to <to>\""),
                "name the object in snake_case and label the type \"<From> to <to>\", as HubSpot's guide does",
            ));
            continue;
        }
        rows.push((number, from.to_owned(), id, label.to_owned()));
    }
    let objects: BTreeSet<String> = rows.iter().map(|(_, from, ..)| from.clone()).collect();
    let types: Vec<AssociationType> = rows
        .iter()
        .map(|(_, from, id, label)| AssociationType {
            from: from.clone(),
            to: to_object(label, &objects),
            id: *id,
            label: label.clone(),
        })
        .collect();
    let mut seen_ids = BTreeSet::new();
    let mut seen_names = BTreeSet::new();
    for ((number, ..), kind) in rows.iter().zip(&types) {
        if !seen_ids.insert(kind.id) {
            problems.push(Diagnostic::new(
                file,
                format!("line {number}"),
                format!("the type id {} appears twice", kind.id),
                "keep one line per type id",
            ));
        }
        if !seen_names.insert(kind.constant()) {
            problems.push(Diagnostic::new(
                file,
                format!("line {number}"),
                format!(
                    "the label `{}` gives the constant `{}` twice",
                    kind.label,
                    kind.constant()
                ),
                "keep the labels distinct, as HubSpot's are",
            ));
        }
    }
    problems.into_result(types)
}

/// The object a label leads to: the end of `<From> to <to>`, without a qualifier such as
/// "primary" when what follows is a known object.
fn to_object(label: &str, objects: &BTreeSet<String>) -> String {
    let end = label
        .split_once(" to ")
        .map_or(label, |(_, end)| end)
        .to_lowercase();
    let snake = end.replace(' ', "_");
    if objects.contains(&snake) {
        return snake;
    }
    let mut words: Vec<&str> = end.split(' ').collect();
    while words.len() > 1 {
        words.remove(0);
        let rest = words.join("_");
        if objects.contains(&rest) {
            return rest;
        }
    }
    snake
}

/// `association_types/ids.rs`: a constant per type, every type, and the unlabelled defaults.
pub fn ids(types: &[AssociationType]) -> TokenStream {
    let constants = types.iter().map(|kind| {
        let name = format_ident!("{}", kind.constant());
        let (id, from, to, label) = (kind.id, &kind.from, &kind.to, &kind.label);
        let doc = format!(" `{id}`: {label}.");
        quote! {
            #[doc = #doc]
            pub const #name: AssociationType = AssociationType { id: #id, from: #from, to: #to, label: #label };
        }
    });
    let all = types
        .iter()
        .map(|kind| format_ident!("{}", kind.constant()));
    let defaults = types
        .iter()
        .filter(|kind| kind.is_default())
        .map(|kind| format_ident!("{}", kind.constant()));
    let mut objects: BTreeSet<&str> = types.iter().map(|kind| kind.from.as_str()).collect();
    objects.extend(types.iter().map(|kind| kind.to.as_str()));
    let object_types: Vec<TokenStream> = objects
        .iter()
        .map(|object| {
            let plural = path_name(object);
            let name = format_ident!("{}", plural.to_uppercase());
            let doc = format!(" `{plural}`: the {} object.", object.replace('_', " "));
            quote! {
                #[doc = #doc]
                pub const #name: Self = Self::from_static(#plural);
            }
        })
        .collect();
    let objects = objects.into_iter();
    quote! {
        use super::AssociationType;

        #(#constants)*

        /// Every HubSpot-defined association type.
        pub const ALL: &[AssociationType] = &[#(#all),*];

        /// The unlabelled default type of each pair of objects that has one.
        pub const DEFAULTS: &[AssociationType] = &[#(#defaults),*];

        /// Every object named in the table, singular.
        pub const OBJECTS: &[&str] = &[#(#objects),*];

        /// The standard objects of the table, as paths name them.
        impl crate::ObjectType {
            #(#object_types)*
        }
    }
}

/// How paths name a standard object: its plural (`contacts`, `companies`, `taxes`), but
/// `postal_mail`, which HubSpot does not pluralise.
fn path_name(object: &str) -> String {
    if object.ends_with("mail") {
        return object.to_owned();
    }
    match object.strip_suffix('y') {
        Some(stem) => format!("{stem}ies"),
        None if object.ends_with('x') => format!("{object}es"),
        None => format!("{object}s"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TABLE_TEXT: &str = "# comment\ncontact\t279\tContact to company\ncontact\t1\tContact to primary company\ncompany\t14\tChild to parent company\ncompany\t280\tCompany to contact\nline_item\t565\tUpcoming line item to subscription\ncompany\t9\tCompany to quote template\n";

    #[test]
    fn directions_come_from_the_labels() {
        let types = parse(TABLE_TEXT).unwrap();
        let to: Vec<(&str, &str, bool)> = types
            .iter()
            .map(|t| (t.label.as_str(), t.to.as_str(), t.is_default()))
            .collect();
        assert_eq!(
            to,
            [
                ("Contact to company", "company", true),
                ("Contact to primary company", "company", false),
                ("Child to parent company", "company", false),
                ("Company to contact", "contact", true),
                ("Upcoming line item to subscription", "subscription", false),
                ("Company to quote template", "quote_template", true),
            ]
        );
        assert_eq!(types[1].constant(), "CONTACT_TO_PRIMARY_COMPANY");
    }

    #[test]
    fn bad_lines_are_reported_with_their_numbers() {
        let text = "contact\t279\tContact to company\ncontact\t1\nbad\tx\tA to b\ncompany\t279\tCompany to deal\nCo Mpany\t5\tnope\n";
        let problems = parse(text).unwrap_err().to_string();
        assert!(problems.contains("error: spec/association-types.tsv#line 2\n  problem: the line has 2 tab-separated columns, not 3"), "{problems}");
        assert!(
            problems.contains("#line 3\n  problem: the type id `x` is not an integer"),
            "{problems}"
        );
        assert!(
            problems.contains("#line 4\n  problem: the type id 279 appears twice"),
            "{problems}"
        );
        assert!(
            problems.contains("#line 5\n  problem: `Co Mpany` / `nope`"),
            "{problems}"
        );
    }

    #[test]
    fn the_real_table_parses_with_a_default_for_each_common_pair() {
        let text =
            std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join(TABLE))
                .unwrap();
        let types = parse(&text).unwrap();
        assert_eq!(types.len(), 410);
        let default = |from: &str, to: &str| {
            types
                .iter()
                .find(|t| t.is_default() && t.from == from && t.to == to)
                .map(|t| t.id)
        };
        assert_eq!(default("contact", "company"), Some(279));
        assert_eq!(default("company", "contact"), Some(280));
        assert_eq!(default("deal", "contact"), Some(3));
        let primary = types
            .iter()
            .find(|t| t.constant() == "CONTACT_TO_PRIMARY_COMPANY")
            .unwrap();
        assert_eq!((primary.id, primary.to.as_str()), (1, "company"));
    }
}
