//! Sessions against a model: random begin, dup, end and transaction calls on one instance,
//! checked against a plain list of live sessions and their levels.

#[allow(dead_code)]
mod common;

use common::{TestFs, place, small_logs};
use ese_api::{Engine, JetErr, ParamValue, Sesid, paramid};
use proptest::prelude::*;

#[derive(Clone, Debug)]
enum Op {
    Begin,
    /// Dup the n-th handle ever made (live or not).
    Dup(usize),
    End(usize),
    BeginTrx(usize),
    Commit(usize),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        2 => Just(Op::Begin),
        2 => (0..40usize).prop_map(Op::Dup),
        2 => (0..40usize).prop_map(Op::End),
        2 => (0..40usize).prop_map(Op::BeginTrx),
        1 => (0..40usize).prop_map(Op::Commit),
    ]
}

/// The model: every handle made so far, with its level while live.
struct Model {
    handles: Vec<(Sesid, Option<u8>)>,
    max: usize,
}

impl Model {
    fn live(&self) -> usize {
        self.handles.iter().filter(|(_, l)| l.is_some()).count()
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn sessions_match_the_model(max in 0usize..6, ops in prop::collection::vec(op(), 1..60)) {
        let e = small_logs(Engine::with_file_system(TestFs::new()));
        let inst = e.create_instance(Some("model")).unwrap();
        place(&e, inst, std::path::Path::new("/mem/model"));
        e.set_system_parameter(Some(inst), None, paramid::MAX_SESSIONS, ParamValue::Int(max as u64))
            .unwrap();
        e.init(Some(inst)).unwrap();
        let mut m = Model { handles: Vec::new(), max };
        for op in ops {
            let pick = |n: usize| m.handles.get(n % m.handles.len().max(1)).copied();
            match op {
                Op::Begin => {
                    let got = e.begin_session(inst, "", "");
                    if m.live() < m.max {
                        m.handles.push((got.unwrap(), Some(0)));
                    } else {
                        prop_assert_eq!(got.unwrap_err(), JetErr::OUT_OF_SESSIONS);
                    }
                }
                Op::Dup(n) => {
                    let Some((s, level)) = pick(n) else { continue };
                    let got = e.dup_session(s);
                    match level {
                        None => prop_assert_eq!(got.unwrap_err(), JetErr::INVALID_SESID),
                        Some(_) if m.live() >= m.max => {
                            prop_assert_eq!(got.unwrap_err(), JetErr::OUT_OF_SESSIONS);
                        }
                        Some(_) => {
                            let d = got.unwrap();
                            prop_assert_eq!(e.transaction_level(d).unwrap(), 0);
                            m.handles.push((d, Some(0)));
                        }
                    }
                }
                Op::End(n) => {
                    let Some((s, level)) = pick(n) else { continue };
                    let got = e.end_session(s, 0);
                    match level {
                        None => prop_assert_eq!(got.unwrap_err(), JetErr::INVALID_SESID),
                        Some(_) => {
                            got.unwrap();
                            let i = m.handles.iter().position(|(h, _)| *h == s).unwrap();
                            m.handles[i].1 = None;
                        }
                    }
                }
                Op::BeginTrx(n) => {
                    let Some((s, level)) = pick(n) else { continue };
                    let got = e.begin_transaction(s);
                    let i = m.handles.iter().position(|(h, _)| *h == s).unwrap();
                    match level {
                        None => prop_assert_eq!(got.unwrap_err(), JetErr::INVALID_SESID),
                        Some(7) => prop_assert_eq!(got.unwrap_err(), JetErr::TRANS_TOO_DEEP),
                        Some(l) => {
                            got.unwrap();
                            m.handles[i].1 = Some(l + 1);
                        }
                    }
                }
                Op::Commit(n) => {
                    let Some((s, level)) = pick(n) else { continue };
                    let got = e.commit_transaction(s, 0);
                    let i = m.handles.iter().position(|(h, _)| *h == s).unwrap();
                    match level {
                        None => prop_assert_eq!(got.unwrap_err(), JetErr::INVALID_SESID),
                        Some(0) => prop_assert_eq!(got.unwrap_err(), JetErr::NOT_IN_TRANSACTION),
                        Some(l) => {
                            got.unwrap();
                            m.handles[i].1 = Some(l - 1);
                        }
                    }
                }
            }
            for (s, level) in &m.handles {
                match level {
                    Some(l) => prop_assert_eq!(e.transaction_level(*s).unwrap(), *l),
                    None => prop_assert!(!e.is_session_live(*s)),
                }
            }
        }
        let open = m.handles.iter().any(|(_, l)| l.is_some_and(|l| l > 0));
        let term = e.term(inst);
        if open {
            prop_assert_eq!(term.unwrap_err(), JetErr::TOO_MANY_ACTIVE_USERS);
            prop_assert_eq!(e.term2(inst, ese_api::grbit::TERM_DIRTY).unwrap_err(), JetErr::DIRTY_SHUTDOWN);
        } else {
            term.unwrap();
        }
    }
}
