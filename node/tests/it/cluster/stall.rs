//! A node whose own work holds it (a signature batch on a slow device) reads what arrived
//! meanwhile before it decides anything: it pauses and refuses its clients for a quiet period.

use std::sync::Arc;
use std::time::Duration;

use ark_bn254::{Fr, G1Affine, G1Projective, G2Affine, G2Projective};
use ramjet_accel::{
    Accelerator, Backend, CpuBackend, DeviceInfo, MerkleLeaves, MerkleTree, MsmBases, NttDirection,
    Op, Result, SigBatch, Verdicts,
};
use ramjet_node::NodeError;
use ramjet_node::config::Mode;
use ramjet_node::identity::Identity;
use ramjet_node::ledger::LedgerConfig;
use ramjet_node::observe::TxState;
use ramjet_node::protocol::ProtocolConfig;
use ramjet_node::service::{self, NodeSetup};
use ramjet_node::storage::MemoryStore;

use super::{genesis, net_config, protocol, stop_all, transfer, wait_state, within};

/// The CPU backend, taking `delay` longer over every signature batch.
struct SlowSignatures {
    cpu: CpuBackend,
    delay: Duration,
}

impl Backend for SlowSignatures {
    fn info(&self) -> &DeviceInfo {
        self.cpu.info()
    }

    fn supports(&self, op: Op) -> bool {
        self.cpu.supports(op)
    }

    fn ed25519_verify(&self, batch: &SigBatch) -> Result<Verdicts> {
        std::thread::sleep(self.delay);
        self.cpu.ed25519_verify(batch)
    }

    fn merkle_sha256(&self, leaves: MerkleLeaves<'_>) -> Result<MerkleTree<[u8; 32]>> {
        self.cpu.merkle_sha256(leaves)
    }

    fn merkle_poseidon(&self, leaves: &[Fr]) -> Result<MerkleTree<Fr>> {
        self.cpu.merkle_poseidon(leaves)
    }

    fn msm_g1(&self, bases: MsmBases<'_, G1Affine>, scalars: &[Fr]) -> Result<G1Projective> {
        self.cpu.msm_g1(bases, scalars)
    }

    fn msm_g2(&self, bases: MsmBases<'_, G2Affine>, scalars: &[Fr]) -> Result<G2Projective> {
        self.cpu.msm_g2(bases, scalars)
    }

    fn ntt(&self, values: &mut [Fr], direction: NttDirection, coset: Option<Fr>) -> Result<()> {
        self.cpu.ntt(values, direction, coset)
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_node_held_by_its_own_work_pauses_and_refuses_for_a_quiet_period() {
    within(async {
        // Each signature batch holds the driver 1.2 s, more than half the 2 s quiet period.
        let accel = Accelerator::builder()
            .cpu(Arc::new(SlowSignatures {
                cpu: CpuBackend::new(),
                delay: Duration::from_millis(1_200),
            }))
            .build()
            .unwrap();
        let node = service::start(NodeSetup {
            identity: Identity::from_secret([1; 32], 0).unwrap(),
            mode: Mode::Validator,
            store: Arc::new(MemoryStore::new("cluster-test")),
            accel: Arc::new(accel),
            genesis: genesis(),
            protocol: ProtocolConfig {
                ledger: LedgerConfig {
                    quiet_period_ms: 2_000,
                    ..protocol().ledger
                },
                ..protocol()
            },
            net: net_config(None),
            metrics: None,
        })
        .await
        .expect("node starts");
        let h = node.handle();
        let first = transfer(1, 9);
        h.submit(first.clone()).await.unwrap();
        // The node answers this query once the batch is done: a second client just then is
        // refused, the stall named.
        wait_state(&h, first.hash(), TxState::Pending).await;
        let second = transfer(2, 9);
        let err = h.submit(second.clone()).await.unwrap_err();
        assert!(
            matches!(err, NodeError::Overloaded { stalled_ms, .. } if stalled_ms >= 1_200),
            "{err}"
        );
        assert!(err.to_string().contains("its own work held it"), "{err}");
        // One quiet period later it serves again, and commits what was pending.
        wait_state(&h, first.hash(), TxState::Accepted).await;
        h.submit(second.clone()).await.unwrap();
        wait_state(&h, second.hash(), TxState::Accepted).await;
        stop_all(vec![node]).await;
    })
    .await;
}
