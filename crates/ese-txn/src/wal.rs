//! [`CommitLog`] over the engine's write-ahead log, `ese_log::Log`.
//!
//! The mapping is one record per call: begin and rollback are appended without waiting, the
//! level-0 commit is appended without waiting (under the version store's lock), and the durable
//! wait is the log's `commit_wait`, which joins whatever group commit is forming. A lazy commit
//! is made durable by the next durable commit or by the log's lazy flusher.

use ese_core::{Lgpos, Trx};
use ese_log::{Log, LogRecord};

use crate::log::{CommitLog, CommitMode, LogError};

impl CommitLog for Log {
    fn log_begin(&self, trx: Trx, level: u8) -> Result<(), LogError> {
        self.append(&LogRecord::BeginTransaction { trx, level })?;
        Ok(())
    }

    fn log_commit(&self, trx: Trx, commit_trx: Trx, _mode: CommitMode) -> Result<Lgpos, LogError> {
        Ok(self.append(&LogRecord::Commit { trx, commit_trx })?)
    }

    fn wait_durable(&self, lgpos: Lgpos) -> Result<(), LogError> {
        Ok(self.commit_wait(lgpos)?)
    }

    fn log_rollback(&self, trx: Trx, level: u8) -> Result<(), LogError> {
        self.append(&LogRecord::Rollback { trx, level })?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use ese_core::DbId;
    use ese_log::{Log, LogConfig, LogReader, LogRecord};
    use ese_pageio::{Directory, MemDirectory};

    use crate::{CommitMode, ObjId, Undo, UndoAction, UndoError, VerConfig, VersionStore};

    /// Counts undo actions; the nodes themselves are not under test here.
    #[derive(Default)]
    struct CountUndo(usize);

    impl Undo for CountUndo {
        fn undo(&mut self, _: ObjId, _: &[u8], _: UndoAction<'_>) -> Result<(), UndoError> {
            self.0 += 1;
            Ok(())
        }
    }

    #[test]
    fn transactions_reach_the_log_in_order_and_durable_commits_are_flushed() {
        let dir: Arc<dyn Directory> = Arc::new(MemDirectory::new());
        let log = Arc::new(Log::open(LogConfig::test_min(dir.clone())).unwrap());
        let ver = VersionStore::new(VerConfig::test_min(), log.clone()).unwrap();
        let obj = ObjId::new(DbId(1), 7);
        let mut undo = CountUndo::default();

        // An empty transaction logs nothing.
        let mut s = ver.begin_session();
        s.begin_transaction().unwrap();
        assert_eq!(s.commit_transaction(CommitMode::Durable).unwrap(), None);
        let empty_head = log.head();

        // A nested level rolled back, then a durable level-0 commit.
        s.begin_transaction().unwrap();
        s.version_insert(obj, b"a", None).unwrap();
        s.begin_transaction().unwrap();
        s.version_insert(obj, b"b", None).unwrap();
        s.rollback(&mut undo).unwrap();
        assert_eq!(undo.0, 1, "rollback undoes the inner level's insert only");
        let lgpos = s
            .commit_transaction(CommitMode::Durable)
            .unwrap()
            .expect("a transaction with changes logs its commit");
        assert!(lgpos >= empty_head);
        assert!(
            lgpos < log.flushed(),
            "a durable commit returns only once flushed"
        );

        let (records, _) = LogReader::open(dir, "edb").unwrap().read_all().unwrap();
        let kinds: Vec<String> = records
            .iter()
            .map(|(_, r)| match r {
                LogRecord::BeginTransaction { level, .. } => format!("begin{level}"),
                LogRecord::Commit { .. } => "commit".to_string(),
                LogRecord::Rollback { level, .. } => format!("rollback{level}"),
                other => format!("{other:?}"),
            })
            .collect();
        assert_eq!(kinds, ["begin0", "begin1", "rollback1", "commit"]);
        assert_eq!(records.last().map(|(p, _)| *p), Some(lgpos));
    }
}
