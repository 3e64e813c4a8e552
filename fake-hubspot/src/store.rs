//! The associations, labels and association limits the fake holds, in memory.

use std::collections::{BTreeMap, BTreeSet, HashMap};

/// An association type id.
pub type TypeId = i32;

/// The first id given to labels created through the API, above HubSpot's own ids.
const FIRST_LABEL_ID: TypeId = 1000;

/// One association: two records and one type.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Association {
    /// The object type it starts from, as the path named it (`contacts`, `0-1`).
    pub from_type: String,
    /// The record it starts from.
    pub from_id: u64,
    /// The object type it leads to.
    pub to_type: String,
    /// The record it leads to.
    pub to_id: u64,
    /// The association type.
    pub type_id: TypeId,
}

/// An association type between two object types.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Label {
    /// Its id.
    pub type_id: TypeId,
    /// `HUBSPOT_DEFINED` or `USER_DEFINED`.
    pub category: &'static str,
    /// Its label; `None` for the unlabelled default.
    pub label: Option<String>,
}

type Pair = (String, String);

/// A limit on how many records of one type a record may be associated with, for one
/// association type.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Limit {
    /// The association type.
    pub type_id: TypeId,
    /// Its category.
    pub category: String,
    /// The most records of the other type one record may be associated with.
    pub max_to_object_ids: i32,
}

/// An association created or removed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Change {
    /// The association.
    pub association: Association,
    /// Whether it was removed (else created).
    pub removed: bool,
    /// When.
    pub at: std::time::SystemTime,
}

/// Everything the fake holds.
#[derive(Debug, Default)]
pub struct Store {
    /// The changes not yet taken, when changes are kept (for webhooks).
    changes: Option<Vec<Change>>,
    /// (from type, to type) -> from id -> to id -> type ids.
    associations: BTreeMap<Pair, BTreeMap<u64, BTreeMap<u64, BTreeSet<TypeId>>>>,
    /// How many times each association was created: more than once means it was sent twice.
    creations: HashMap<Association, u32>,
    /// Labels defined through the API, per object pair.
    labels: BTreeMap<Pair, Vec<Label>>,
    /// The next id a defined label gets.
    next_label: Option<TypeId>,
    /// The limits set, per object pair, by association type.
    limits: BTreeMap<Pair, BTreeMap<TypeId, Limit>>,
}

/// The default (unlabelled) type HubSpot uses between two object types, from HubSpot's table
/// (1, the first id, between objects the table does not pair).
pub fn default_type(from_type: &str, to_type: &str) -> TypeId {
    hubspot_associations::association_types::default_type(from_type, to_type)
        .map_or(1, |kind| kind.id)
}

impl Store {
    /// A store that keeps every change until [`take_changes`](Self::take_changes).
    pub fn keeping_changes() -> Self {
        Self {
            changes: Some(Vec::new()),
            ..Self::default()
        }
    }

    /// The changes since the last call, oldest first (none when changes are not kept).
    pub fn take_changes(&mut self) -> Vec<Change> {
        self.changes
            .as_mut()
            .map(std::mem::take)
            .unwrap_or_default()
    }

    fn changed(&mut self, association: Association, removed: bool) {
        if let Some(changes) = self.changes.as_mut() {
            changes.push(Change {
                association,
                removed,
                at: std::time::SystemTime::now(),
            });
        }
    }

    /// Keeps the removal of one type between two records of a pair of object types.
    fn removed(&mut self, (from_type, to_type): &Pair, from_id: u64, to_id: u64, type_id: TypeId) {
        let association = Association {
            from_type: from_type.clone(),
            from_id,
            to_type: to_type.clone(),
            to_id,
            type_id,
        };
        self.changed(association, true);
    }

    /// Adds an association as if it had been there before: counted, but not a change.
    pub fn seed(&mut self, association: Association) {
        let changes = self.changes.take();
        self.add(association);
        self.changes = changes;
    }

    /// Adds an association, counting how often it was created.
    pub fn add(&mut self, association: Association) {
        let created = self
            .associations
            .entry((association.from_type.clone(), association.to_type.clone()))
            .or_default()
            .entry(association.from_id)
            .or_default()
            .entry(association.to_id)
            .or_default()
            .insert(association.type_id);
        if created {
            self.changed(association.clone(), false);
        }
        *self.creations.entry(association).or_default() += 1;
    }

    /// Adds an association unless it would take its from-record past a limit: the limit of its
    /// type, when one is set, or `per_record`, the most records of the other type one record
    /// may be associated with at all. An association already there passes (adding it changes
    /// nothing). The refusal is the limit that would be passed.
    pub fn add_within_limits(
        &mut self,
        association: Association,
        per_record: Option<u32>,
    ) -> Result<(), u32> {
        let key = (association.from_type.clone(), association.to_type.clone());
        let held = self
            .associations
            .get(&key)
            .and_then(|pairs| pairs.get(&association.from_id));
        let already = |to: &BTreeMap<u64, BTreeSet<TypeId>>| {
            to.get(&association.to_id)
                .is_some_and(|types| types.contains(&association.type_id))
        };
        if let Some(to) = held.filter(|to| !already(to)) {
            let of_type = to
                .values()
                .filter(|types| types.contains(&association.type_id))
                .count();
            let type_limit = self
                .limit(&key.0, &key.1, association.type_id)
                .and_then(|limit| u32::try_from(limit.max_to_object_ids).ok());
            if let Some(max) = type_limit.filter(|max| of_type >= *max as usize) {
                return Err(max);
            }
            let new_record = !to.contains_key(&association.to_id);
            if let Some(max) = per_record.filter(|max| new_record && to.len() >= *max as usize) {
                return Err(max);
            }
        }
        self.add(association);
        Ok(())
    }

    /// Removes every type between two records; the types removed.
    pub fn remove_pair(
        &mut self,
        from_type: &str,
        from_id: u64,
        to_type: &str,
        to_id: u64,
    ) -> Vec<TypeId> {
        let key = (from_type.to_owned(), to_type.to_owned());
        let Some(from) = self
            .associations
            .get_mut(&key)
            .and_then(|pairs| pairs.get_mut(&from_id))
        else {
            return Vec::new();
        };
        let removed: Vec<TypeId> = from
            .remove(&to_id)
            .map(|types| types.into_iter().collect())
            .unwrap_or_default();
        if from.is_empty() {
            self.associations
                .get_mut(&key)
                .map(|pairs| pairs.remove(&from_id));
        }
        for type_id in &removed {
            self.removed(&key, from_id, to_id, *type_id);
        }
        removed
    }

    /// Removes some types between two records, keeping the others.
    pub fn remove_types(
        &mut self,
        from_type: &str,
        from_id: u64,
        to_type: &str,
        to_id: u64,
        types: &[TypeId],
    ) {
        let key = (from_type.to_owned(), to_type.to_owned());
        let Some(pairs) = self.associations.get_mut(&key) else {
            return;
        };
        let Some(held) = pairs.get_mut(&from_id).and_then(|to| to.get_mut(&to_id)) else {
            return;
        };
        let removed: Vec<TypeId> = types.iter().copied().filter(|t| held.remove(t)).collect();
        if held.is_empty() {
            let to = pairs.get_mut(&from_id).expect("found above");
            to.remove(&to_id);
            if to.is_empty() {
                pairs.remove(&from_id);
            }
        }
        for type_id in removed {
            self.removed(&key, from_id, to_id, type_id);
        }
    }

    /// The types between two records.
    pub fn types_between(
        &self,
        from_type: &str,
        from_id: u64,
        to_type: &str,
        to_id: u64,
    ) -> Vec<TypeId> {
        self.associations
            .get(&(from_type.to_owned(), to_type.to_owned()))
            .and_then(|pairs| pairs.get(&from_id))
            .and_then(|to| to.get(&to_id))
            .map(|types| types.iter().copied().collect())
            .unwrap_or_default()
    }

    /// One page of the records associated with a record, after the record `after`, and the
    /// cursor of the next page.
    pub fn page(
        &self,
        from_type: &str,
        from_id: u64,
        to_type: &str,
        after: Option<u64>,
        limit: usize,
    ) -> (Vec<(u64, Vec<TypeId>)>, Option<u64>) {
        let Some(to) = self
            .associations
            .get(&(from_type.to_owned(), to_type.to_owned()))
            .and_then(|pairs| pairs.get(&from_id))
        else {
            return (Vec::new(), None);
        };
        let start = after.map_or(std::ops::Bound::Unbounded, std::ops::Bound::Excluded);
        let mut rest = to.range((start, std::ops::Bound::Unbounded));
        let page: Vec<(u64, Vec<TypeId>)> = rest
            .by_ref()
            .take(limit)
            .map(|(id, types)| (*id, types.iter().copied().collect()))
            .collect();
        let next = match rest.next() {
            Some(_) => page.last().map(|(id, _)| *id),
            None => None,
        };
        (page, next)
    }

    /// Every association held, in order.
    pub fn all(&self) -> Vec<Association> {
        let mut all = Vec::new();
        for ((from_type, to_type), pairs) in &self.associations {
            for (from_id, to) in pairs {
                for (to_id, types) in to {
                    for type_id in types {
                        all.push(Association {
                            from_type: from_type.clone(),
                            from_id: *from_id,
                            to_type: to_type.clone(),
                            to_id: *to_id,
                            type_id: *type_id,
                        });
                    }
                }
            }
        }
        all
    }

    /// How many creations repeated an association that was already created.
    pub fn repeated_creations(&self) -> u64 {
        self.creations
            .values()
            .map(|count| u64::from(count.saturating_sub(1)))
            .sum()
    }

    /// The association types between two object types: the default, then defined labels.
    pub fn labels(&self, from_type: &str, to_type: &str) -> Vec<Label> {
        let mut labels = vec![Label {
            type_id: default_type(from_type, to_type),
            category: "HUBSPOT_DEFINED",
            label: None,
        }];
        if let Some(defined) = self.labels.get(&(from_type.to_owned(), to_type.to_owned())) {
            labels.extend(defined.iter().cloned());
        }
        labels
    }

    /// Defines a label; the new type.
    pub fn define_label(&mut self, from_type: &str, to_type: &str, label: &str) -> Label {
        let type_id = self.next_label.unwrap_or(FIRST_LABEL_ID);
        self.define_label_as(from_type, to_type, type_id, label)
    }

    /// Defines a label with the type id `type_id` (replacing one of that id), as if it had
    /// been defined earlier.
    pub fn define_label_as(
        &mut self,
        from_type: &str,
        to_type: &str,
        type_id: TypeId,
        label: &str,
    ) -> Label {
        let defined = Label {
            type_id,
            category: "USER_DEFINED",
            label: Some(label.to_owned()),
        };
        let labels = self
            .labels
            .entry((from_type.to_owned(), to_type.to_owned()))
            .or_default();
        labels.retain(|other| other.type_id != type_id);
        labels.push(defined.clone());
        self.next_label = Some(self.next_label.unwrap_or(FIRST_LABEL_ID).max(type_id + 1));
        defined
    }

    /// Renames a label; whether it exists.
    pub fn rename_label(
        &mut self,
        from_type: &str,
        to_type: &str,
        type_id: TypeId,
        label: &str,
    ) -> bool {
        let found = self
            .labels
            .get_mut(&(from_type.to_owned(), to_type.to_owned()))
            .and_then(|labels| labels.iter_mut().find(|l| l.type_id == type_id));
        match found {
            Some(defined) => {
                defined.label = Some(label.to_owned());
                true
            }
            None => false,
        }
    }

    /// Deletes a label, and every association of its type; whether it existed.
    pub fn delete_label(&mut self, from_type: &str, to_type: &str, type_id: TypeId) -> bool {
        let pair = (from_type.to_owned(), to_type.to_owned());
        let Some(labels) = self.labels.get_mut(&pair) else {
            return false;
        };
        let before = labels.len();
        labels.retain(|l| l.type_id != type_id);
        if labels.len() == before {
            return false;
        }
        let mut removed = Vec::new();
        if let Some(pairs) = self.associations.get_mut(&pair) {
            for (from_id, to) in pairs.iter_mut() {
                for (to_id, types) in to.iter_mut() {
                    if types.remove(&type_id) {
                        removed.push((*from_id, *to_id));
                    }
                }
                to.retain(|_, types| !types.is_empty());
            }
            pairs.retain(|_, to| !to.is_empty());
        }
        for (from_id, to_id) in removed {
            self.removed(&pair, from_id, to_id, type_id);
        }
        true
    }

    /// Sets a limit (replacing one of the same type).
    pub fn set_limit(&mut self, from_type: &str, to_type: &str, limit: Limit) {
        self.limits
            .entry((from_type.to_owned(), to_type.to_owned()))
            .or_default()
            .insert(limit.type_id, limit);
    }

    /// The limit of a type, if one is set.
    pub fn limit(&self, from_type: &str, to_type: &str, type_id: TypeId) -> Option<&Limit> {
        self.limits
            .get(&(from_type.to_owned(), to_type.to_owned()))?
            .get(&type_id)
    }

    /// Removes the limit of a type; whether one was set.
    pub fn purge_limit(&mut self, from_type: &str, to_type: &str, type_id: TypeId) -> bool {
        self.limits
            .get_mut(&(from_type.to_owned(), to_type.to_owned()))
            .is_some_and(|limits| limits.remove(&type_id).is_some())
    }

    /// The limits set between two object types; every limit set, with its object types, when
    /// `pair` is `None`.
    pub fn limits(&self, pair: Option<(&str, &str)>) -> Vec<(String, String, Limit)> {
        self.limits
            .iter()
            .filter(|((from, to), _)| pair.is_none_or(|(f, t)| f == from && t == to))
            .flat_map(|((from, to), limits)| {
                limits
                    .values()
                    .map(move |limit| (from.clone(), to.clone(), limit.clone()))
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn association(from_id: u64, to_id: u64, type_id: TypeId) -> Association {
        Association {
            from_type: "contacts".into(),
            from_id,
            to_type: "companies".into(),
            to_id,
            type_id,
        }
    }

    #[test]
    fn pages_follow_the_cursor_to_the_end() {
        let mut store = Store::default();
        for to in [5, 3, 9, 7] {
            store.add(association(1, to, 279));
        }
        let (first, next) = store.page("contacts", 1, "companies", None, 3);
        assert_eq!(
            first.iter().map(|(id, _)| *id).collect::<Vec<_>>(),
            [3, 5, 7]
        );
        assert_eq!(next, Some(7));
        let (last, next) = store.page("contacts", 1, "companies", next, 3);
        assert_eq!(last, [(9, vec![279])]);
        assert_eq!(next, None);
        assert_eq!(
            store.page("contacts", 2, "companies", None, 3),
            (vec![], None)
        );
    }

    #[test]
    fn repeated_creations_are_counted_and_removals_keep_other_types() {
        let mut store = Store::default();
        store.add(association(1, 2, 279));
        store.add(association(1, 2, 279));
        store.add(association(1, 2, 1000));
        assert_eq!(store.repeated_creations(), 1);
        store.remove_types("contacts", 1, "companies", 2, &[1000]);
        assert_eq!(store.types_between("contacts", 1, "companies", 2), [279]);
        assert_eq!(store.remove_pair("contacts", 1, "companies", 2), [279]);
        assert!(store.all().is_empty());
    }

    #[test]
    fn labels_are_renamed_and_deleted_with_their_associations() {
        let mut store = Store::default();
        store.define_label_as("contacts", "companies", 37, "Billing contact");
        assert_eq!(
            store.define_label("contacts", "companies", "Other").type_id,
            1000,
            "labels defined through the API come after HubSpot's own ids"
        );
        store.add(association(1, 2, 37));
        store.add(association(1, 2, 279));
        assert!(store.rename_label("contacts", "companies", 37, "Billing"));
        assert_eq!(
            store.labels("contacts", "companies")[1].label.as_deref(),
            Some("Billing")
        );
        assert!(store.delete_label("contacts", "companies", 37));
        assert!(!store.delete_label("contacts", "companies", 37));
        assert_eq!(store.types_between("contacts", 1, "companies", 2), [279]);
        assert!(!store.rename_label("contacts", "companies", 37, "Gone"));
    }

    #[test]
    fn every_change_is_kept_once_when_changes_are_kept() {
        let mut store = Store::keeping_changes();
        store.add(association(1, 2, 279));
        store.add(association(1, 2, 279));
        store.add(association(1, 2, 1000));
        store.add(association(1, 3, 1000));
        store.remove_types("contacts", 1, "companies", 2, &[1000, 5]);
        store.define_label_as("contacts", "companies", 1000, "Partner");
        assert!(store.delete_label("contacts", "companies", 1000));
        store.remove_pair("contacts", 1, "companies", 2);
        let changes: Vec<(u64, TypeId, bool)> = store
            .take_changes()
            .into_iter()
            .map(|c| (c.association.to_id, c.association.type_id, c.removed))
            .collect();
        assert_eq!(
            changes,
            [
                (2, 279, false),
                (2, 1000, false),
                (3, 1000, false),
                (2, 1000, true),
                (3, 1000, true),
                (2, 279, true),
            ]
        );
        assert!(store.take_changes().is_empty());
        assert!(store.all().is_empty());
        let mut quiet = Store::default();
        quiet.add(association(1, 2, 279));
        assert!(quiet.take_changes().is_empty());
    }

    #[test]
    fn an_association_past_a_limit_is_refused_and_one_already_there_passes() {
        let mut store = Store::default();
        for to in [2, 3] {
            store
                .add_within_limits(association(1, to, 279), Some(3))
                .unwrap();
        }
        store
            .add_within_limits(association(1, 4, 1), Some(3))
            .unwrap();
        assert_eq!(
            store.add_within_limits(association(1, 5, 279), Some(3)),
            Err(3)
        );
        store
            .add_within_limits(association(1, 2, 1), Some(3))
            .expect("another type between records already associated adds no record");
        store
            .add_within_limits(association(1, 2, 279), Some(3))
            .unwrap();
        store.set_limit(
            "contacts",
            "companies",
            Limit {
                type_id: 279,
                category: "HUBSPOT_DEFINED".into(),
                max_to_object_ids: 2,
            },
        );
        assert_eq!(
            store.add_within_limits(association(1, 4, 279), None),
            Err(2)
        );
        store
            .add_within_limits(association(9, 4, 279), None)
            .unwrap();
        assert_eq!(store.all().len(), 5);
    }

    #[test]
    fn limits_are_set_listed_and_purged() {
        let mut store = Store::default();
        let limit = Limit {
            type_id: 37,
            category: "USER_DEFINED".into(),
            max_to_object_ids: 5,
        };
        store.set_limit("contacts", "companies", limit.clone());
        store.set_limit(
            "deals",
            "contacts",
            Limit {
                type_id: 3,
                ..limit.clone()
            },
        );
        assert_eq!(store.limit("contacts", "companies", 37), Some(&limit));
        assert_eq!(store.limits(Some(("contacts", "companies"))).len(), 1);
        assert_eq!(store.limits(None).len(), 2);
        assert!(store.purge_limit("contacts", "companies", 37));
        assert!(!store.purge_limit("contacts", "companies", 37));
        assert_eq!(store.limits(None).len(), 1);
    }

    #[test]
    fn labels_start_with_the_default_type() {
        let mut store = Store::default();
        let defined = store.define_label("contacts", "companies", "Billing contact");
        assert_eq!(defined.type_id, 1000);
        let labels = store.labels("contacts", "companies");
        assert_eq!(labels[0].type_id, 279);
        assert_eq!(labels[1].label.as_deref(), Some("Billing contact"));
    }
}
