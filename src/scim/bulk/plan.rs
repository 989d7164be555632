//! The order a bulk request's operations run in. RFC 7644 §3.7 lets the service provider reorder
//! operations as long as the result is the one the client meant: here an operation waits for the
//! POSTs whose `bulkId` it refers to (a forward reference works), and otherwise operations keep
//! their request order. Operations that refer to each other in a cycle (§3.7.1: two new groups,
//! each a member of the other) form one unit that runs together.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap};

use super::request::{Action, BulkOperation, Method, Target};
use super::{BulkError, canonical_refs, patch_refs};
use crate::scim::error::ProtocolError;

/// A step of the plan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Unit {
    /// One operation.
    One(usize),
    /// POSTs that refer to each other in a cycle, in request order: they succeed or fail
    /// together.
    Cycle(Vec<usize>),
}

/// The plan of a bulk request.
#[derive(Debug)]
pub struct Plan {
    /// Every operation exactly once, in the order to run them.
    pub units: Vec<Unit>,
    /// For each operation, a reference it makes that can never be resolved (a `bulkId` no POST
    /// of the request declares): the operation fails with it.
    pub problems: Vec<Option<BulkError>>,
}

/// The `bulkId`s an operation refers to: in its path (`/Users/bulkId:x`) and in the attributes
/// that hold resource ids.
pub fn references(op: &mut BulkOperation) -> Vec<String> {
    let mut found = Vec::new();
    let Ok(action) = &mut op.action else {
        return found;
    };
    if let Some(Target::BulkId(id)) = action.target() {
        found.push(id.clone());
    }
    let mut collect = |s: &mut String| {
        if let Some(id) = super::bulk_id_of(s) {
            found.push(id.to_owned());
        }
    };
    match action {
        Action::Create { rt, attrs } | Action::Replace { rt, attrs, .. } => {
            canonical_refs(rt, attrs, &mut collect)
        }
        Action::Patch { rt, ops, .. } => patch_refs(rt, ops, &mut collect),
        Action::Delete { .. } => {}
    }
    found.sort();
    found.dedup();
    found
}

/// Orders the operations so that each runs after the POSTs it refers to; a cycle of references
/// becomes one [`Unit::Cycle`]. Among the operations that are ready, the first in request order
/// goes first.
pub fn plan(ops: &mut [BulkOperation]) -> Plan {
    let declared: HashMap<String, usize> = ops
        .iter()
        .enumerate()
        .filter_map(|(i, op)| op.bulk_id.clone().map(|id| (id, i)))
        .collect();
    let mut problems: Vec<Option<BulkError>> = Vec::with_capacity(ops.len());
    let mut deps: Vec<Vec<usize>> = Vec::with_capacity(ops.len());
    for i in 0..ops.len() {
        let refs = references(&mut ops[i]);
        let mut mine = Vec::with_capacity(refs.len());
        let mut problem = None;
        for id in refs {
            match declared.get(&id) {
                Some(&j) if ops[j].method == Some(Method::Post) => mine.push(j),
                Some(&j) => {
                    problem = Some(invalid(format!(
                        "\"bulkId:{id}\" refers to Operations[{j}], a {}: only a POST creates a \
                         resource that others can refer to",
                        ops[j]
                            .method_name()
                            .unwrap_or_else(|| "operation without a method".into())
                    )));
                }
                None => {
                    problem = Some(invalid(format!(
                        "\"bulkId:{id}\" refers to no operation of this request"
                    )));
                }
            }
        }
        // An operation that cannot run waits for nothing.
        deps.push(if problem.is_some() { Vec::new() } else { mine });
        problems.push(problem);
    }
    Plan {
        units: order(&deps),
        problems,
    }
}

fn invalid(detail: String) -> BulkError {
    BulkError::Protocol(ProtocolError::InvalidValue(detail))
}

/// Topological order of the strongly connected components of the dependency graph (`deps[i]`:
/// the operations `i` waits for), the component holding the lowest index first among those
/// ready.
fn order(deps: &[Vec<usize>]) -> Vec<Unit> {
    let comp = components(deps);
    let count = comp.iter().map(|c| c + 1).max().unwrap_or(0);
    let mut members: Vec<Vec<usize>> = vec![Vec::new(); count];
    for (i, c) in comp.iter().enumerate() {
        members[*c].push(i);
    }
    // Edges between components: from the one depended on to the one that waits.
    let mut waiting: Vec<Vec<usize>> = vec![Vec::new(); count];
    let mut blockers = vec![0_usize; count];
    let mut cyclic = vec![false; count];
    for (i, ds) in deps.iter().enumerate() {
        for &j in ds {
            let (from, to) = (comp[j], comp[i]);
            if from == to {
                cyclic[to] = true;
            } else {
                waiting[from].push(to);
            }
        }
    }
    for w in &mut waiting {
        w.sort_unstable();
        w.dedup();
    }
    for w in &waiting {
        for &to in w {
            blockers[to] += 1;
        }
    }
    // Members are pushed in index order, so each component's first member is its lowest.
    let mut ready: BinaryHeap<Reverse<(usize, usize)>> = (0..count)
        .filter(|&c| blockers[c] == 0)
        .map(|c| Reverse((members[c][0], c)))
        .collect();
    let mut units = Vec::with_capacity(count);
    while let Some(Reverse((_, c))) = ready.pop() {
        units.push(if cyclic[c] || members[c].len() > 1 {
            Unit::Cycle(std::mem::take(&mut members[c]))
        } else {
            Unit::One(members[c][0])
        });
        for &to in &waiting[c] {
            blockers[to] -= 1;
            if blockers[to] == 0 {
                ready.push(Reverse((members[to][0], to)));
            }
        }
    }
    units
}

/// The strongly connected component of every node (Tarjan's algorithm, without recursion so a
/// long chain of references cannot exhaust the stack).
fn components(deps: &[Vec<usize>]) -> Vec<usize> {
    let mut t = Tarjan {
        index: vec![UNSEEN; deps.len()],
        low: vec![0; deps.len()],
        on_stack: vec![false; deps.len()],
        stack: Vec::new(),
        calls: Vec::new(),
        comp: vec![UNSEEN; deps.len()],
        next_index: 0,
        next_comp: 0,
    };
    for root in 0..deps.len() {
        if t.index[root] == UNSEEN {
            t.enter(root);
            t.run(deps);
        }
    }
    t.comp
}

const UNSEEN: usize = usize::MAX;

/// The state of Tarjan's algorithm; `calls` replaces the recursion: (node, next edge to follow).
struct Tarjan {
    index: Vec<usize>,
    low: Vec<usize>,
    on_stack: Vec<bool>,
    stack: Vec<usize>,
    calls: Vec<(usize, usize)>,
    comp: Vec<usize>,
    next_index: usize,
    next_comp: usize,
}

impl Tarjan {
    fn enter(&mut self, v: usize) {
        self.index[v] = self.next_index;
        self.low[v] = self.next_index;
        self.next_index += 1;
        self.stack.push(v);
        self.on_stack[v] = true;
        self.calls.push((v, 0));
    }

    fn run(&mut self, deps: &[Vec<usize>]) {
        while let Some(&(v, edge)) = self.calls.last() {
            if let Some(&w) = deps[v].get(edge) {
                if let Some(top) = self.calls.last_mut() {
                    top.1 += 1;
                }
                if self.index[w] == UNSEEN {
                    self.enter(w);
                } else if self.on_stack[w] {
                    self.low[v] = self.low[v].min(self.index[w]);
                }
                continue;
            }
            self.calls.pop();
            if let Some(&(parent, _)) = self.calls.last() {
                self.low[parent] = self.low[parent].min(self.low[v]);
            }
            if self.low[v] == self.index[v] {
                while let Some(w) = self.stack.pop() {
                    self.on_stack[w] = false;
                    self.comp[w] = self.next_comp;
                    if w == v {
                        break;
                    }
                }
                self.next_comp += 1;
            }
        }
    }
}
