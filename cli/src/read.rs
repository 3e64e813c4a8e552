//! Reading what HubSpot holds for the records in a run's scope (`export`'s ids, `sync`'s
//! from-records): the version's batch read at its cap, each record's cursor followed to its
//! end, a few requests' worth of records at a time. Each read is recorded by the command with
//! the records it covers, in one transaction, while the next one is on its way, so a run
//! stopped or killed while reading goes on with the records it had not read.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use hubspot_associations::bulk::InputFailure;
use hubspot_associations::{BulkOptions, Error, ObjectId};

use crate::commands::{
    Api, progress_bar, record_id, refused_as_a_whole, stops_the_run, unavailable,
};
use crate::input::RecordId;
use crate::job::{Job, operation, with_operation};
use crate::state::State;

/// An association type between two records, as the read found it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TypeRead {
    /// The type id.
    pub type_id: i32,
    /// `HUBSPOT_DEFINED`, `USER_DEFINED`...
    pub category: String,
    /// Its label; `None` for an unlabelled type.
    pub label: Option<String>,
}

/// What one read found.
#[derive(Default)]
pub struct Read {
    /// The records read whole.
    pub records: Vec<RecordId>,
    /// Their associations: each record associated with one of them, and the types between
    /// the two.
    pub associations: Vec<(RecordId, RecordId, Vec<TypeRead>)>,
    /// Records that could not be read, and why.
    pub unreadable: Vec<(RecordId, String)>,
    /// The error that stops the run, if one did.
    pub stop: Option<Arc<Error>>,
}

/// Reads every record of the scope not read yet, handing each read to `record` (which commits
/// it to the state) while the next is on its way; stops at a Ctrl-C (`interrupted`), or at an
/// error that stops the run, which it returns (the records that read covered stay unread).
pub async fn read_scope(
    api: &Api,
    job: &Job,
    state: &mut State,
    interrupted: &AtomicBool,
    mut record: impl FnMut(&mut State, Read) -> anyhow::Result<()>,
) -> anyhow::Result<Option<Arc<Error>>> {
    let read_at_once = job.chunk_size() * job.options.concurrency.max(1);
    let bar = progress_bar(job, state.unread_count()?, "records read");
    let mut after = None;
    let mut in_flight: Option<tokio::task::JoinHandle<anyhow::Result<Read>>> = None;
    loop {
        let records = match interrupted.load(Ordering::SeqCst) {
            true => Vec::new(),
            false => state.unread(after, read_at_once)?,
        };
        after = records.last().copied().or(after);
        let next = (!records.is_empty()).then(|| {
            let reader = Reader {
                api: Api {
                    version: api.version,
                    transport: api.transport.clone(),
                },
                from: job.from_type.clone(),
                to: job.to_type.clone(),
                options: job.options,
            };
            tokio::spawn(reader.read(records))
        });
        if let Some(reading) = in_flight.take() {
            let answered = reading.await??;
            let (covered, stop) = (
                answered.records.len() + answered.unreadable.len(),
                answered.stop.clone(),
            );
            record(state, answered)?;
            bar.inc(covered as u64);
            if let Some(error) = stop {
                next.inspect(tokio::task::JoinHandle::abort);
                bar.finish_and_clear();
                return Ok(Some(error));
            }
        }
        match next {
            Some(reading) => in_flight = Some(reading),
            None => {
                bar.finish_and_clear();
                return Ok(None);
            }
        }
    }
}

/// What a read needs, owned, so that it runs as a task of its own.
struct Reader {
    api: Api,
    from: String,
    to: String,
    options: BulkOptions,
}

impl Reader {
    /// Every association of `records` with the batch read, each record's cursor followed.
    async fn read(self, records: Vec<RecordId>) -> anyhow::Result<Read> {
        let api = &self.api;
        let ids: Vec<ObjectId> = records.iter().map(|id| ObjectId::from(*id)).collect();
        let (from, to) = (self.from.as_str(), self.to.as_str());
        operation!(
            Read,
            with_operation!(api.version, version, {
                let client = version::Client::new(api.transport.clone());
                let outcome = client.batch_read_all(from, to, ids, self.options).await;
                let mut read = Read::default();
                for failure in outcome.failed {
                    let record = record_id(&failure.input)?;
                    match &failure.failure {
                        // A read refused as a whole (an unknown object type, a missing scope)
                        // would be refused for every record: the run stops with them unread.
                        InputFailure::Request(error)
                            if stops_the_run(error) || refused_as_a_whole(error) =>
                        {
                            read.stop.get_or_insert_with(|| Arc::clone(error));
                        }
                        other => read.unreadable.push((record, other.to_string())),
                    }
                }
                for record in outcome.succeeded {
                    let from = record_id(&record.input)?;
                    read.records.push(from);
                    for associated in record.result.into_iter().flatten() {
                        let to =
                            RecordId::parse(associated.to_object_id.as_ref()).ok_or_else(|| {
                                anyhow::anyhow!(
                                    "HubSpot answered record {from} with `{}`, not a record id",
                                    associated.to_object_id
                                )
                            })?;
                        let types = associated
                            .association_types
                            .into_iter()
                            .map(|kind| TypeRead {
                                type_id: kind.type_id,
                                category: kind.category.to_string(),
                                label: kind.label,
                            })
                            .collect();
                        read.associations.push((from, to, types));
                    }
                }
                anyhow::Ok(read)
            })
        )
        .map_err(unavailable)?
    }
}
