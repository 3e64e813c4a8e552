//! What to create and remove so that the associations HubSpot holds match a desired set: the
//! difference of two sorted sequences, computed as they are read, in constant memory.
//!
//! A program that keeps its desired pairs and HubSpot's current ones sorted (a database index,
//! sorted files, what a client's `batch_read_all` read, sorted) walks both at once:
//!
//! ```
//! use hubspot_associations::plan::{Mode, Step, steps};
//!
//! // Desired: record 1 with 10 and 11; record 2 with none. `None` says "no associations".
//! let desired = [(1u64, Some(10u64)), (1, Some(11)), (2, None)];
//! // HubSpot holds: 1 with 10 and 12; 2 with 20; 3 with 30 (not in the desired set).
//! let current = [(1u64, 10u64), (1, 12), (2, 20), (3, 30)];
//! let plan: Vec<Step<u64, u64>> = steps(desired, current, Mode::Mirror)
//!     .collect::<Result<_, _>>()
//!     .unwrap();
//! assert_eq!(plan, [
//!     Step::Keep(1, 10),
//!     Step::Create(1, 11),
//!     Step::Remove(1, 12),
//!     Step::Remove(2, 20),
//!     Step::OutOfScope(3, 30),
//! ]);
//! ```

use std::fmt;
use std::iter::Peekable;

/// What a plan does with the pairs HubSpot holds that are not desired.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// Only create what is missing: pairs HubSpot holds beyond the desired ones stay.
    Add,
    /// Also remove the pairs HubSpot holds that are not desired, but only of the from-records
    /// the desired set names: a record it does not name is never touched.
    Mirror,
}

/// One pair's step.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Step<F, T> {
    /// Desired, and HubSpot holds it: nothing to do.
    Keep(F, T),
    /// Desired, and HubSpot lacks it.
    Create(F, T),
    /// HubSpot holds it, the desired set names its from-record, and not it (mirror mode).
    Remove(F, T),
    /// HubSpot holds it and the desired set does not name its from-record (or, in add mode,
    /// does not name the pair): it stays as it is.
    OutOfScope(F, T),
}

/// A sequence that is not in ascending order: the plan cannot be computed from it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Unsorted {
    /// Which sequence: `desired` or `current`.
    pub side: &'static str,
    /// The pair before, then the pair that came after it but sorts before it, as text.
    pub pairs: (String, String),
}

impl fmt::Display for Unsorted {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "the {} pairs are not sorted: {} came before {}",
            self.side, self.pairs.0, self.pairs.1
        )
    }
}

impl std::error::Error for Unsorted {}

/// The steps that make `current` match `desired`, in ascending order of pairs.
///
/// Both must be sorted ascending by from-record, then to-record; a pair given twice counts
/// once. A desired `(from, None)` names a from-record that should have no pairs: in mirror
/// mode its pairs are removed. Out-of-order input ends the steps with [`Unsorted`], since a
/// plan from it would be wrong.
pub fn steps<F, T, D, C>(
    desired: D,
    current: C,
    mode: Mode,
) -> Steps<F, T, D::IntoIter, C::IntoIter>
where
    F: Ord + Clone + fmt::Debug,
    T: Ord + Clone + fmt::Debug,
    D: IntoIterator<Item = (F, Option<T>)>,
    C: IntoIterator<Item = (F, T)>,
{
    Steps {
        desired: Checked::new(desired.into_iter(), "desired").peekable(),
        current: Checked::new(current.into_iter(), "current").peekable(),
        mode,
        named: None,
        failed: false,
    }
}

/// The steps of [`steps`], as they are computed.
pub struct Steps<F, T, D, C>
where
    F: Ord + Clone + fmt::Debug,
    T: Ord + Clone + fmt::Debug,
    D: Iterator<Item = (F, Option<T>)>,
    C: Iterator<Item = (F, T)>,
{
    desired: Peekable<Checked<D>>,
    current: Peekable<Checked<C>>,
    mode: Mode,
    /// The last from-record the desired set named.
    named: Option<F>,
    failed: bool,
}

impl<F, T, D, C> fmt::Debug for Steps<F, T, D, C>
where
    F: Ord + Clone + fmt::Debug,
    T: Ord + Clone + fmt::Debug,
    D: Iterator<Item = (F, Option<T>)>,
    C: Iterator<Item = (F, T)>,
{
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Steps")
            .field("mode", &self.mode)
            .finish_non_exhaustive()
    }
}

/// A sequence checked to ascend as it is read, equal neighbours dropped.
struct Checked<I: Iterator> {
    inner: I,
    last: Option<I::Item>,
    side: &'static str,
}

impl<I: Iterator> Checked<I> {
    fn new(inner: I, side: &'static str) -> Self {
        Self {
            inner,
            last: None,
            side,
        }
    }
}

impl<I> Iterator for Checked<I>
where
    I: Iterator,
    I::Item: Ord + Clone + fmt::Debug,
{
    type Item = Result<I::Item, Unsorted>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            let item = self.inner.next()?;
            match &self.last {
                Some(last) if *last == item => continue,
                Some(last) if *last > item => {
                    return Some(Err(Unsorted {
                        side: self.side,
                        pairs: (format!("{last:?}"), format!("{item:?}")),
                    }));
                }
                _ => {
                    self.last = Some(item.clone());
                    return Some(Ok(item));
                }
            }
        }
    }
}

impl<F, T, D, C> Iterator for Steps<F, T, D, C>
where
    F: Ord + Clone + fmt::Debug,
    T: Ord + Clone + fmt::Debug,
    D: Iterator<Item = (F, Option<T>)>,
    C: Iterator<Item = (F, T)>,
{
    type Item = Result<Step<F, T>, Unsorted>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.failed {
            return None;
        }
        let step = self.step();
        if matches!(step, Some(Err(_))) {
            self.failed = true;
        }
        step
    }
}

impl<F, T, D, C> Steps<F, T, D, C>
where
    F: Ord + Clone + fmt::Debug,
    T: Ord + Clone + fmt::Debug,
    D: Iterator<Item = (F, Option<T>)>,
    C: Iterator<Item = (F, T)>,
{
    /// The step of a pair HubSpot holds that no desired pair matches: removed in mirror mode
    /// when the desired set names its record (before it, or as `next`), else left.
    fn held(&self, from: F, to: T, next: Option<&F>) -> Step<F, T> {
        let named = self.named.as_ref() == Some(&from) || next == Some(&from);
        match (self.mode, named) {
            (Mode::Mirror, true) => Step::Remove(from, to),
            _ => Step::OutOfScope(from, to),
        }
    }

    fn step(&mut self) -> Option<Result<Step<F, T>, Unsorted>> {
        loop {
            // Errors first, whichever side they are on.
            if matches!(self.desired.peek(), Some(Err(_))) {
                return self.desired.next().and_then(Result::err).map(Err);
            }
            if matches!(self.current.peek(), Some(Err(_))) {
                return self.current.next().and_then(Result::err).map(Err);
            }
            let desired = self.desired.peek().and_then(|d| d.as_ref().ok().cloned());
            let current = self.current.peek().and_then(|c| c.as_ref().ok().cloned());
            return match (desired, current) {
                (None, None) => None,
                // `(from, None)` only names its record, once no held pair sorts before it.
                (Some((from, None)), held) => match held {
                    Some((held_from, held_to)) if held_from < from => {
                        self.current.next();
                        Some(Ok(self.held(held_from, held_to, None)))
                    }
                    _ => {
                        self.desired.next();
                        self.named = Some(from);
                        continue;
                    }
                },
                (Some((from, Some(to))), None) => {
                    self.desired.next();
                    self.named = Some(from.clone());
                    Some(Ok(Step::Create(from, to)))
                }
                (Some((from, Some(to))), Some(held)) if (&from, &to) <= (&held.0, &held.1) => {
                    self.desired.next();
                    let step = match (&from, &to) == (&held.0, &held.1) {
                        true => {
                            self.current.next();
                            Step::Keep(from.clone(), to)
                        }
                        false => Step::Create(from.clone(), to),
                    };
                    self.named = Some(from);
                    Some(Ok(step))
                }
                (Some((next, _)), Some((from, to))) => {
                    // HubSpot holds a pair that sorts before every desired one left.
                    self.current.next();
                    Some(Ok(self.held(from, to, Some(&next))))
                }
                (None, Some((from, to))) => {
                    self.current.next();
                    Some(Ok(self.held(from, to, None)))
                }
            };
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use proptest::prelude::*;

    use super::*;

    #[test]
    fn unsorted_input_ends_the_plan_with_an_error() {
        let steps: Vec<_> = steps([(2u64, Some(1u64)), (1, Some(1))], [], Mode::Add).collect();
        assert_eq!(steps[0], Ok(Step::Create(2, 1)));
        assert_eq!(
            steps[1].as_ref().unwrap_err().to_string(),
            "the desired pairs are not sorted: (2, Some(1)) came before (1, Some(1))"
        );
        assert_eq!(steps.len(), 2, "nothing after the error");
        let held: Vec<_> = super::steps(
            [(1u64, Some(1u64))],
            [(1u64, 2u64), (1, 2), (1, 0)],
            Mode::Mirror,
        )
        .collect();
        assert_eq!(held[0], Ok(Step::Create(1, 1)));
        assert_eq!(
            held[1],
            Ok(Step::Remove(1, 2)),
            "a pair given twice counts once"
        );
        assert_eq!(held[2].as_ref().unwrap_err().side, "current");
        assert_eq!(held.len(), 3);
    }

    proptest! {
        /// The plan against sets: create what is desired and missing, keep what is both,
        /// remove (in mirror mode) what is held and not desired of a named record, leave the
        /// rest; every step once, in order.
        #[test]
        fn the_plan_is_the_set_difference(
            desired in proptest::collection::btree_set((0u8..6, proptest::option::of(0u8..6)), 0..20),
            current in proptest::collection::btree_set((0u8..6, 0u8..6), 0..20),
            mirror in any::<bool>(),
        ) {
            let mode = if mirror { Mode::Mirror } else { Mode::Add };
            let plan: Vec<Step<u8, u8>> = steps(desired.clone(), current.clone(), mode)
                .collect::<Result<_, _>>()
                .unwrap();
            let wanted: BTreeSet<(u8, u8)> =
                desired.iter().filter_map(|(f, t)| t.map(|t| (*f, t))).collect();
            let named: BTreeSet<u8> = desired.iter().map(|(f, _)| *f).collect();
            let mut expected: Vec<(u8, u8, Step<u8, u8>)> = Vec::new();
            for pair in wanted.union(&current) {
                let (f, t) = *pair;
                let step = match (wanted.contains(pair), current.contains(pair)) {
                    (true, true) => Step::Keep(f, t),
                    (true, false) => Step::Create(f, t),
                    (false, _) if mirror && named.contains(&f) => Step::Remove(f, t),
                    (false, _) => Step::OutOfScope(f, t),
                };
                expected.push((f, t, step));
            }
            let expected: Vec<Step<u8, u8>> = expected.into_iter().map(|(_, _, s)| s).collect();
            prop_assert_eq!(plan, expected);
        }
    }
}
