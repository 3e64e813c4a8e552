//! Work on independent items at once: the versions of a spec directory are parsed, modelled
//! and written each on a thread of its own, as are the generated files. Results keep the order
//! of the items, so that the output does not depend on which thread finishes first.

use std::panic::resume_unwind;
use std::thread;

/// The stack of each worker: as large as the main thread's, since syn and prettyplease recurse
/// into the generated code as deep as it nests.
const STACK_SIZE: usize = 8 * 1024 * 1024;

/// `work` applied to every item, each on a thread of its own, the results in the items' order.
/// A single item is worked on the calling thread. A panic in `work` is raised again here.
pub fn map<T: Sync, R: Send>(items: &[T], work: impl Fn(&T) -> R + Sync) -> Vec<R> {
    if items.len() < 2 {
        return items.iter().map(work).collect();
    }
    let work = &work;
    thread::scope(|scope| {
        let workers: Vec<_> = items
            .iter()
            .map(|item| {
                thread::Builder::new()
                    .stack_size(STACK_SIZE)
                    .spawn_scoped(scope, move || work(item))
            })
            .collect();
        workers
            .into_iter()
            .zip(items)
            .map(|(worker, item)| match worker {
                Ok(worker) => worker.join().unwrap_or_else(|panic| resume_unwind(panic)),
                // No thread to be had (a process limit): the work is done here instead.
                Err(_) => work(item),
            })
            .collect()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn results_keep_the_order_of_the_items() {
        let items: Vec<u64> = (0..16).collect();
        let squares = map(&items, |n| {
            // The later items finish first.
            thread::sleep(std::time::Duration::from_millis(16 - n));
            n * n
        });
        assert_eq!(squares, items.iter().map(|n| n * n).collect::<Vec<_>>());
    }

    #[test]
    fn work_runs_on_several_threads() {
        let items = [(); 4];
        let threads = map(&items, |()| thread::current().id());
        let distinct: std::collections::BTreeSet<String> =
            threads.iter().map(|id| format!("{id:?}")).collect();
        assert!(distinct.len() > 1, "{threads:?}");
    }

    #[test]
    #[should_panic(expected = "item 3")]
    fn a_panic_in_the_work_reaches_the_caller() {
        map(&[1, 2, 3], |n| assert!(*n != 3, "item {n}"));
    }
}
