//! One process at a time per run state: an exclusive lock on a file beside the state, held by
//! the operating system for as long as the process lives (a killed process leaves no stale
//! lock), with the holder's description written in it for the one refused. A run that ends
//! removes the file while it still holds the lock; one that takes the lock checks that the
//! file it locked is still the one at the path, so that a file removed in between is never
//! held by two.

use std::fs::{File, OpenOptions, TryLockError};
use std::io::{Read, Seek, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// The lock of a state, released when dropped (its file removed) or when the process ends.
pub struct Lock {
    file: File,
    path: PathBuf,
}

impl Drop for Lock {
    fn drop(&mut self) {
        // Removed while held: a process that opened it meanwhile finds it gone once it has the
        // lock, and takes the lock of the new file instead (`acquire`).
        let _ = std::fs::remove_file(&self.path);
        let _ = self.file.unlock();
    }
}

/// Whether `file` is the file at `path` now (not one removed since it was opened).
fn still_at(file: &File, path: &Path) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        match (file.metadata(), std::fs::metadata(path)) {
            (Ok(held), Ok(there)) => held.dev() == there.dev() && held.ino() == there.ino(),
            _ => false,
        }
    }
    #[cfg(not(unix))]
    {
        let _ = file;
        path.exists()
    }
}

/// The lock file of the state at `state`.
pub fn path_of(state: &Path) -> PathBuf {
    let mut name = state.as_os_str().to_owned();
    name.push(".lock");
    PathBuf::from(name)
}

fn open(path: &Path) -> anyhow::Result<File> {
    OpenOptions::new()
        .create(true)
        .truncate(false)
        .read(true)
        .write(true)
        .open(path)
        .map_err(|error| anyhow::anyhow!("cannot open the lock {}: {error}", path.display()))
}

/// Who holds the lock of `state`, if a live process does.
pub fn holder(state: &Path) -> anyhow::Result<Option<String>> {
    let path = path_of(state);
    if !path.exists() {
        return Ok(None);
    }
    let file = open(&path)?;
    match file.try_lock_shared() {
        Ok(()) => Ok(None),
        Err(TryLockError::WouldBlock) => Ok(Some(describe_holder(&file))),
        Err(TryLockError::Error(error)) => {
            anyhow::bail!("cannot read the lock {}: {error}", path.display())
        }
    }
}

/// How long a refused process waits for the holder to describe itself: it writes its
/// description just after taking the lock.
const DESCRIPTION_WAIT: Duration = Duration::from_secs(1);

fn describe_holder(mut file: &File) -> String {
    let started = Instant::now();
    loop {
        let mut text = String::new();
        let _ = file.rewind();
        let _ = file.take(4_096).read_to_string(&mut text);
        match text.trim() {
            "" if started.elapsed() < DESCRIPTION_WAIT => {
                std::thread::sleep(Duration::from_millis(10));
            }
            "" => return "a process that has not described itself".to_owned(),
            text => return text.chars().take(500).collect(),
        }
    }
}

/// Takes the lock of `state` for this process, described as `holder`; refuses, naming the
/// holder, when another process has it.
pub fn acquire(state: &Path, holder: &str) -> anyhow::Result<Lock> {
    let path = path_of(state);
    let mut file = open(&path)?;
    let mut reopened = 0;
    loop {
        match file.try_lock() {
            // The file locked was removed by the run that held it, just before: the lock of
            // the file now at the path is what counts.
            Ok(()) if !still_at(&file, &path) && reopened < 10 => {
                reopened += 1;
                file = open(&path)?;
            }
            Ok(()) => break,
            Err(TryLockError::WouldBlock) => anyhow::bail!(
                "another run is using the state {}: {}. Wait for it to end, or stop it (a \
                 stopped run resumes from the state); `hubspot-associations status` shows its \
                 progress",
                state.display(),
                describe_holder(&file)
            ),
            Err(TryLockError::Error(error)) => {
                anyhow::bail!("cannot lock {}: {error}", path.display())
            }
        }
    }
    let describe = |file: &mut File| -> std::io::Result<()> {
        file.set_len(0)?;
        file.rewind()?;
        file.write_all(holder.as_bytes())?;
        file.flush()
    };
    describe(&mut file)
        .map_err(|error| anyhow::anyhow!("cannot write the lock {}: {error}", path.display()))?;
    Ok(Lock { file, path })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_lock_is_refused_naming_the_holder_until_the_first_is_dropped() {
        let dir = tempfile::tempdir().unwrap();
        let state = dir.path().join("run.state.sqlite");
        let first = acquire(&state, "pid 1 (associate)").unwrap();
        let refused = acquire(&state, "pid 2").err().unwrap().to_string();
        assert!(
            refused.contains("another run is using the state"),
            "{refused}"
        );
        assert!(refused.contains("pid 1 (associate)"), "{refused}");
        assert_eq!(
            holder(&state).unwrap().as_deref(),
            Some("pid 1 (associate)")
        );
        drop(first);
        assert!(!path_of(&state).exists(), "a lock released leaves no file");
        assert_eq!(holder(&state).unwrap(), None);
        let _second = acquire(&state, "pid 2").unwrap();
        assert_eq!(holder(&state).unwrap().as_deref(), Some("pid 2"));
    }

    #[test]
    fn a_refused_process_waits_for_the_holder_to_describe_itself() {
        let dir = tempfile::tempdir().unwrap();
        let state = dir.path().join("run.state.sqlite");
        // A holder between taking the lock and writing its description.
        let mut held = open(&path_of(&state)).unwrap();
        held.try_lock().unwrap();
        let describe = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(100));
            held.write_all(b"pid 7, late").unwrap();
            held
        });
        let refused = acquire(&state, "pid 8").err().unwrap().to_string();
        assert!(refused.contains("pid 7, late"), "{refused}");
        drop(describe.join().unwrap());
    }
}
