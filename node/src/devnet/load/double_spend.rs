//! A double-spend attempt and what it came to across the nodes ([`DoubleSpend`],
//! [`Verdict`]).

use crate::tx::{OutPoint, TxHash};

/// One double-spend attempt: two transactions spending the same output, sent at the same
/// moment to two different nodes.
#[derive(Clone, Debug)]
pub struct DoubleSpend {
    /// The output both spend.
    pub outpoint: OutPoint,
    /// The two spenders (side 0 and side 1).
    pub txs: [TxHash; 2],
    /// The node each side was sent to.
    pub sent_to: [usize; 2],
    /// Each side's state, or error, as its submission answered.
    pub submit_states: [String; 2],
    /// Whether each side was refused at submission (an error, or REJECTED at once).
    pub refused: [bool; 2],
    /// Per node, whether it accepted each side.
    pub accepted: Vec<[bool; 2]>,
    /// Per node, the side its `Decided` event named the winner (`None` before, or if it named
    /// neither side).
    pub decided: Vec<Option<usize>>,
}

/// What a double spend came to across the nodes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Every node accepted the same side, and only it.
    Agreed(usize),
    /// A node accepted both sides, or two nodes accepted different sides: a safety violation.
    Violation(String),
    /// No violation, but some nodes accepted neither side.
    Unresolved(String),
    /// Both sides were refused at submission (an overloaded node, say) and no node accepted
    /// either: nothing for the network to decide.
    Refused,
}

impl DoubleSpend {
    /// A new attempt, nothing seen yet on the `nodes` nodes.
    pub fn new(outpoint: OutPoint, txs: [TxHash; 2], sent_to: [usize; 2], nodes: usize) -> Self {
        Self {
            outpoint,
            txs,
            sent_to,
            submit_states: [String::new(), String::new()],
            refused: [false; 2],
            accepted: vec![[false; 2]; nodes],
            decided: vec![None; nodes],
        }
    }

    /// At most one side accepted on any node, and the same side on all nodes.
    pub fn verdict(&self) -> Verdict {
        let mut sides = Vec::with_capacity(self.accepted.len());
        for (node, accepted) in self.accepted.iter().enumerate() {
            match accepted {
                [true, true] => {
                    return Verdict::Violation(format!("node {node} accepted both spenders"));
                }
                [true, false] => sides.push(Some(0)),
                [false, true] => sides.push(Some(1)),
                [false, false] => sides.push(None),
            }
        }
        let first = sides.iter().flatten().next().copied();
        if let Some(side) = first
            && let Some(node) = sides.iter().position(|s| s.is_some_and(|s| s != side))
        {
            let other = sides.iter().position(|s| *s == Some(side)).unwrap_or(0);
            return Verdict::Violation(format!(
                "node {other} accepted spender {} and node {node} accepted spender {}",
                letter(side),
                letter(1 - side)
            ));
        }
        let missing: Vec<String> = sides
            .iter()
            .enumerate()
            .filter(|(_, s)| s.is_none())
            .map(|(node, _)| node.to_string())
            .collect();
        match first {
            Some(side) if missing.is_empty() => Verdict::Agreed(side),
            Some(side) => Verdict::Unresolved(format!(
                "spender {} accepted, but node(s) {} accepted neither",
                letter(side),
                missing.join(", ")
            )),
            None if self.refused == [true, true] => Verdict::Refused,
            None => Verdict::Unresolved("no node accepted either spender".to_owned()),
        }
    }

    /// What node `node` did, in a word: `a`, `b`, `both` or `none`.
    pub fn accepted_on(&self, node: usize) -> &'static str {
        match self.accepted[node] {
            [true, true] => "both",
            [true, false] => "a",
            [false, true] => "b",
            [false, false] => "none",
        }
    }
}

/// Side 0 is spender `a`, side 1 spender `b`.
pub(crate) fn letter(side: usize) -> &'static str {
    if side == 0 { "a" } else { "b" }
}

#[cfg(test)]
pub(super) mod tests {
    use super::super::tests::coin;
    use super::*;

    /// An attempt on `nodes` nodes: spenders `0xa…` (a) and `0xb…` (b) of `coin(0, 1)`,
    /// sent to nodes 0 and 1.
    pub(crate) fn attempt(nodes: usize) -> DoubleSpend {
        DoubleSpend::new(
            coin(0, 1).outpoint,
            [TxHash([0xa; 32]), TxHash([0xb; 32])],
            [0, 1],
            nodes,
        )
    }

    #[test]
    fn double_spend_verdicts() {
        let mut d = attempt(3);
        assert!(matches!(d.verdict(), Verdict::Unresolved(_)));
        let mut both_refused = d.clone();
        both_refused.refused = [true, true];
        assert_eq!(both_refused.verdict(), Verdict::Refused);
        d.accepted = vec![[false, true]; 3];
        assert_eq!(d.verdict(), Verdict::Agreed(1));
        d.accepted[2] = [false, false];
        assert!(matches!(d.verdict(), Verdict::Unresolved(m) if m.contains("node(s) 2")));
        d.accepted[2] = [true, false];
        assert!(
            matches!(d.verdict(), Verdict::Violation(m) if m.contains("node 2 accepted spender a"))
        );
        d.accepted[1] = [true, true];
        assert!(matches!(d.verdict(), Verdict::Violation(m) if m.contains("node 1 accepted both")));
        assert_eq!(d.accepted_on(1), "both");
        assert_eq!(d.accepted_on(2), "a");
    }
}
