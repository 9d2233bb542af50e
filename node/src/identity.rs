//! The node's identity: an Ed25519 key pair kept in a file of mode 0600, the node id derived from
//! its public key, and a small proof of work on that id so that making many ids costs something.
//!
//! The key file format, the node id and the proof of work are specified in `docs/protocol.md`
//! ("Identity").

use std::fmt;
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use ed25519_consensus::SigningKey;
use rand::RngCore;
use sha2::{Digest, Sha256};

/// Domain-separation tag hashed before the public key and nonce in the proof of work.
pub const POW_DOMAIN: &[u8] = b"ramjet/node-id-pow/v1";
/// The four bytes a key file starts with.
pub const KEY_FILE_MAGIC: [u8; 4] = *b"RJID";
/// The key file format version this code writes and reads.
pub const KEY_FILE_VERSION: u8 = 1;
/// Length of a version-1 key file in bytes.
pub const KEY_FILE_LEN: usize = 4 + 1 + 32 + 32 + 1 + 8;
/// The largest proof-of-work difficulty accepted by [`Identity::load_or_create`]: beyond this,
/// mining would take longer than any operator would wait.
pub const MAX_POW_BITS: u8 = 48;

/// A node's id: SHA-256 of its Ed25519 public key.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct NodeId(pub [u8; 32]);

impl NodeId {
    /// The id of the node whose public key is `public_key`.
    pub fn from_public_key(public_key: &[u8; 32]) -> Self {
        NodeId(Sha256::digest(public_key).into())
    }

    /// The id's 32 bytes.
    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    /// The id as 64 lowercase hex digits.
    pub fn to_hex(&self) -> String {
        hex::encode(self.0)
    }
}

impl fmt::Display for NodeId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_hex())
    }
}

impl fmt::Debug for NodeId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "NodeId({})", self.to_hex())
    }
}

/// Why an identity could not be loaded or created.
#[derive(Debug, thiserror::Error)]
pub enum IdentityError {
    /// The key file is readable or writable by its group or by others.
    #[error(
        "{}: key file has mode {mode:o}, readable or writable by group or others; \
         refusing to use it (fix with `chmod 600 {}`)",
        path.display(),
        path.display()
    )]
    InsecurePermissions {
        /// The key file.
        path: PathBuf,
        /// Its permission bits.
        mode: u32,
    },
    /// The key file exists but is not a valid key file.
    #[error("{}: corrupt key file: {reason}", path.display())]
    Corrupt {
        /// The key file.
        path: PathBuf,
        /// What is wrong with it.
        reason: KeyFileError,
    },
    /// The requested proof-of-work difficulty is above [`MAX_POW_BITS`].
    #[error("proof-of-work difficulty {bits} bits is above the maximum of {MAX_POW_BITS}")]
    PowBitsTooHigh {
        /// The difficulty asked for.
        bits: u8,
    },
    /// Reading, writing or renaming the key file failed.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
}

/// What is wrong with a key file's bytes.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyFileError {
    /// The file is not [`KEY_FILE_LEN`] bytes long.
    #[error("length is {len} bytes, expected {KEY_FILE_LEN}")]
    WrongLength {
        /// Its length.
        len: usize,
    },
    /// The file does not start with [`KEY_FILE_MAGIC`].
    #[error("does not start with the magic bytes \"RJID\"")]
    BadMagic,
    /// The format version is not [`KEY_FILE_VERSION`].
    #[error("format version {version} is not supported (expected {KEY_FILE_VERSION})")]
    UnsupportedVersion {
        /// The version found.
        version: u8,
    },
    /// The stored public key is not the one derived from the stored secret key.
    #[error("the stored public key does not match the secret key")]
    PublicKeyMismatch,
    /// The stored difficulty is above [`MAX_POW_BITS`].
    #[error("proof-of-work difficulty {bits} is above the maximum {MAX_POW_BITS}")]
    PowBitsTooHigh {
        /// The difficulty found.
        bits: u8,
    },
    /// The stored nonce does not meet the stored difficulty.
    #[error("the stored nonce does not meet its {bits}-bit proof of work")]
    PowNotMet {
        /// The stored difficulty.
        bits: u8,
    },
}

/// True if SHA-256(`POW_DOMAIN` ‖ `public_key` ‖ `nonce` as u64 little-endian) starts with at
/// least `bits` zero bits. Any peer calls this on a claimed id; `bits` = 0 always holds.
pub fn verify_pow(public_key: &[u8; 32], nonce: u64, bits: u32) -> bool {
    leading_zero_bits(&pow_digest(public_key, nonce)) >= bits
}

/// The smallest nonce, counting from 0, for which [`verify_pow`] holds. Expected work is
/// 2^`bits` hashes, so callers keep `bits` at most [`MAX_POW_BITS`] (far above that the search
/// would not end in practice).
pub fn mine_pow(public_key: &[u8; 32], bits: u32) -> u64 {
    (0..=u64::MAX)
        .find(|&nonce| verify_pow(public_key, nonce, bits))
        .expect("a nonce exists below 2^64 for any difficulty up to MAX_POW_BITS")
}

fn pow_digest(public_key: &[u8; 32], nonce: u64) -> [u8; 32] {
    Sha256::new()
        .chain_update(POW_DOMAIN)
        .chain_update(public_key)
        .chain_update(nonce.to_le_bytes())
        .finalize()
        .into()
}

fn leading_zero_bits(digest: &[u8; 32]) -> u32 {
    let mut bits = 0;
    for byte in digest {
        if *byte == 0 {
            bits += 8;
        } else {
            return bits + byte.leading_zeros();
        }
    }
    bits
}

/// A node's key pair, its id and the proof of work on it.
pub struct Identity {
    signing_key: SigningKey,
    public_key: [u8; 32],
    node_id: NodeId,
    pow_bits: u8,
    pow_nonce: u64,
}

impl fmt::Debug for Identity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The secret key is never printed.
        f.debug_struct("Identity")
            .field("node_id", &self.node_id)
            .field("pow_bits", &self.pow_bits)
            .field("pow_nonce", &self.pow_nonce)
            .finish_non_exhaustive()
    }
}

impl Identity {
    /// A fresh identity from the operating system's randomness, its proof of work mined at
    /// `pow_bits`.
    pub fn generate(pow_bits: u8) -> Result<Self, IdentityError> {
        let mut secret = [0u8; 32];
        rand::rngs::OsRng.fill_bytes(&mut secret);
        Self::from_secret(secret, pow_bits)
    }

    /// The identity with secret key `secret`, its proof of work mined at `pow_bits`
    /// (deterministic: for tests and simulations).
    pub fn from_secret(secret: [u8; 32], pow_bits: u8) -> Result<Self, IdentityError> {
        if pow_bits > MAX_POW_BITS {
            return Err(IdentityError::PowBitsTooHigh { bits: pow_bits });
        }
        let signing_key = SigningKey::from(secret);
        let public_key = signing_key.verification_key().to_bytes();
        let pow_nonce = mine_pow(&public_key, u32::from(pow_bits));
        Ok(Self {
            signing_key,
            public_key,
            node_id: NodeId::from_public_key(&public_key),
            pow_bits,
            pow_nonce,
        })
    }

    /// Loads the identity stored at `path`, or creates one there if no file exists.
    ///
    /// A file readable or writable by group or others is refused
    /// ([`IdentityError::InsecurePermissions`]); a malformed one is [`IdentityError::Corrupt`].
    /// If the stored proof of work is below `pow_bits`, a new nonce is mined and the file
    /// rewritten. New files are written with mode 0600, atomically (temporary file, fsync,
    /// rename, fsync of the directory).
    pub fn load_or_create(path: &Path, pow_bits: u8) -> Result<Self, IdentityError> {
        if pow_bits > MAX_POW_BITS {
            return Err(IdentityError::PowBitsTooHigh { bits: pow_bits });
        }
        match fs::symlink_metadata(path) {
            Ok(_) => {
                let mut identity = Self::load(path)?;
                if identity.pow_bits < pow_bits {
                    identity.pow_nonce = mine_pow(&identity.public_key, u32::from(pow_bits));
                    identity.pow_bits = pow_bits;
                    identity.write(path)?;
                }
                Ok(identity)
            }
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
                let identity = Self::generate(pow_bits)?;
                identity.write(path)?;
                Ok(identity)
            }
            Err(source) => Err(IdentityError::Io {
                path: path.to_owned(),
                source,
            }),
        }
    }

    /// Loads the identity stored at `path` (checking its permissions and contents).
    pub fn load(path: &Path) -> Result<Self, IdentityError> {
        let io = |source| IdentityError::Io {
            path: path.to_owned(),
            source,
        };
        check_permissions(path)?;
        let bytes = fs::read(path).map_err(io)?;
        Self::from_file_bytes(&bytes).map_err(|reason| IdentityError::Corrupt {
            path: path.to_owned(),
            reason,
        })
    }

    /// Writes the identity to `path` atomically with mode 0600, replacing any file there.
    pub fn write(&self, path: &Path) -> Result<(), IdentityError> {
        let io = |source| IdentityError::Io {
            path: path.to_owned(),
            source,
        };
        let directory = match path.parent() {
            Some(parent) if !parent.as_os_str().is_empty() => parent.to_owned(),
            _ => PathBuf::from("."),
        };
        let file_name = path.file_name().ok_or_else(|| IdentityError::Io {
            path: path.to_owned(),
            source: std::io::Error::other("the key file path has no file name"),
        })?;
        let mut temporary_name = std::ffi::OsString::from(".");
        temporary_name.push(file_name);
        temporary_name.push(format!(".tmp-{}", std::process::id()));
        let temporary = directory.join(temporary_name);
        let result = (|| {
            let mut options = fs::OpenOptions::new();
            options.write(true).create(true).truncate(true);
            #[cfg(unix)]
            std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
            let mut file = options.open(&temporary)?;
            // If the temporary file already existed with a wider mode, `mode` did not apply.
            #[cfg(unix)]
            file.set_permissions(std::os::unix::fs::PermissionsExt::from_mode(0o600))?;
            file.write_all(&self.to_file_bytes())?;
            file.sync_all()?;
            drop(file);
            fs::rename(&temporary, path)?;
            // Makes the rename itself durable.
            fs::File::open(&directory)?.sync_all()
        })();
        if result.is_err() {
            let _ = fs::remove_file(&temporary);
        }
        result.map_err(io)
    }

    /// The key file's bytes (format version 1, see `docs/protocol.md`).
    pub fn to_file_bytes(&self) -> [u8; KEY_FILE_LEN] {
        let mut bytes = [0u8; KEY_FILE_LEN];
        bytes[0..4].copy_from_slice(&KEY_FILE_MAGIC);
        bytes[4] = KEY_FILE_VERSION;
        bytes[5..37].copy_from_slice(self.signing_key.as_bytes());
        bytes[37..69].copy_from_slice(&self.public_key);
        bytes[69] = self.pow_bits;
        bytes[70..78].copy_from_slice(&self.pow_nonce.to_le_bytes());
        bytes
    }

    /// Parses a key file's bytes (format version 1, see `docs/protocol.md`).
    pub fn from_file_bytes(bytes: &[u8]) -> Result<Self, KeyFileError> {
        if bytes.len() != KEY_FILE_LEN {
            return Err(KeyFileError::WrongLength { len: bytes.len() });
        }
        if bytes[0..4] != KEY_FILE_MAGIC {
            return Err(KeyFileError::BadMagic);
        }
        if bytes[4] != KEY_FILE_VERSION {
            return Err(KeyFileError::UnsupportedVersion { version: bytes[4] });
        }
        let secret: [u8; 32] = bytes[5..37].try_into().expect("32 bytes");
        let stored_public: [u8; 32] = bytes[37..69].try_into().expect("32 bytes");
        let pow_bits = bytes[69];
        let pow_nonce = u64::from_le_bytes(bytes[70..78].try_into().expect("8 bytes"));
        let signing_key = SigningKey::from(secret);
        let public_key = signing_key.verification_key().to_bytes();
        if public_key != stored_public {
            return Err(KeyFileError::PublicKeyMismatch);
        }
        if pow_bits > MAX_POW_BITS {
            return Err(KeyFileError::PowBitsTooHigh { bits: pow_bits });
        }
        if !verify_pow(&public_key, pow_nonce, u32::from(pow_bits)) {
            return Err(KeyFileError::PowNotMet { bits: pow_bits });
        }
        Ok(Self {
            signing_key,
            public_key,
            node_id: NodeId::from_public_key(&public_key),
            pow_bits,
            pow_nonce,
        })
    }

    /// The node id: SHA-256 of the public key.
    pub fn node_id(&self) -> NodeId {
        self.node_id
    }

    /// The Ed25519 public key.
    pub fn public_key(&self) -> &[u8; 32] {
        &self.public_key
    }

    /// The Ed25519 signing key (for signing transactions and observations).
    pub fn signing_key(&self) -> &SigningKey {
        &self.signing_key
    }

    /// The proof-of-work nonce: [`verify_pow`]`(public_key, nonce, pow_bits)` holds.
    pub fn pow_nonce(&self) -> u64 {
        self.pow_nonce
    }

    /// The difficulty the nonce was mined at, in leading zero bits.
    pub fn pow_bits(&self) -> u8 {
        self.pow_bits
    }

    /// Signs `message` with the node's key (Ed25519, `R ‖ S`).
    pub fn sign(&self, message: &[u8]) -> [u8; 64] {
        self.signing_key.sign(message).to_bytes()
    }
}

#[cfg(unix)]
fn check_permissions(path: &Path) -> Result<(), IdentityError> {
    use std::os::unix::fs::PermissionsExt;
    let metadata = fs::metadata(path).map_err(|source| IdentityError::Io {
        path: path.to_owned(),
        source,
    })?;
    let mode = metadata.permissions().mode() & 0o7777;
    if mode & 0o077 != 0 {
        return Err(IdentityError::InsecurePermissions {
            path: path.to_owned(),
            mode,
        });
    }
    Ok(())
}

#[cfg(not(unix))]
fn check_permissions(_path: &Path) -> Result<(), IdentityError> {
    Ok(())
}
