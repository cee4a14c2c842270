//! `switchboard rotate-keys`: every sealed value not under the first configured key is
//! opened with whichever configured key sealed it and sealed again with the first, a batch
//! per transaction, while the service runs. A row the service changed meanwhile is left
//! as it is and looked at again in the next pass.

use secrecy::SecretString;

use super::CoreError;
use crate::{
    crypto::TokenCipher,
    store::{Resealed, SealedKind, SealedRow, Store},
};

/// Passes over everything before giving up on rows that keep changing underneath.
const MAX_PASSES: usize = 5;

/// What a rotation did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct RekeyReport {
    /// Rows looked at (in the last pass).
    pub examined: usize,
    /// Rows re-sealed with the first key, over all passes.
    pub resealed: usize,
    /// Rows that changed while being re-sealed in the last pass (the service wrote them).
    pub changed_underneath: usize,
    /// Rows no configured key opens, named as "kind key" (never a secret).
    pub undecryptable: Vec<String>,
}

impl RekeyReport {
    /// Whether every stored value now opens with the first key.
    pub fn complete(&self) -> bool {
        self.undecryptable.is_empty() && self.changed_underneath == 0
    }
}

/// Re-seals everything not under the first key of `cipher`, `batch` rows per transaction;
/// `progress` hears about each batch. Idempotent: a second run re-seals nothing.
pub async fn rotate_keys(
    store: &Store,
    cipher: &TokenCipher,
    batch: i64,
    mut progress: impl FnMut(SealedKind, &RekeyReport),
) -> Result<RekeyReport, CoreError> {
    let mut report = RekeyReport::default();
    for _ in 0..MAX_PASSES {
        report = pass(store, cipher, batch, report.resealed, &mut progress).await?;
        if report.changed_underneath == 0 {
            break;
        }
    }
    // Rows still changing underneath after the last pass are reported, not chased.
    Ok(report)
}

/// One pass over every sealed value.
async fn pass(
    store: &Store,
    cipher: &TokenCipher,
    batch: i64,
    resealed: usize,
    progress: &mut impl FnMut(SealedKind, &RekeyReport),
) -> Result<RekeyReport, CoreError> {
    let mut report = RekeyReport {
        resealed,
        ..RekeyReport::default()
    };
    for kind in SealedKind::ALL {
        let mut after: Option<String> = None;
        loop {
            let rows = store.sealed_batch(kind, after.as_deref(), batch).await?;
            let Some(last) = rows.last() else { break };
            after = Some(last.key.clone());
            report.examined += rows.len();
            let mut work = Vec::new();
            for row in &rows {
                match reseal(cipher, row) {
                    Ok(Some(resealed)) => work.push(resealed),
                    Ok(None) => {}
                    Err(()) => report
                        .undecryptable
                        .push(format!("{} {}", kind.name(), row.key)),
                }
            }
            if !work.is_empty() {
                let written = store.reseal(&work).await?;
                report.resealed += written;
                report.changed_underneath += work.len() - written;
            }
            progress(kind, &report);
            if rows.len() < usize::try_from(batch).unwrap_or(usize::MAX) {
                break;
            }
        }
    }
    Ok(report)
}

fn all_current(cipher: &TokenCipher, row: &SealedRow) -> bool {
    cipher.is_current(&row.first) && row.second.as_deref().is_none_or(|s| cipher.is_current(s))
}

/// The row's values sealed with the first key; `None` if they already are; `Err` if a
/// value opens with no configured key.
fn reseal<'a>(cipher: &TokenCipher, row: &'a SealedRow) -> Result<Option<Resealed<'a>>, ()> {
    if all_current(cipher, row) {
        return Ok(None);
    }
    let again = |sealed: &[u8]| -> Result<Vec<u8>, ()> {
        if cipher.is_current(sealed) {
            // Opening proves it is sound; keeping it avoids a needless write.
            cipher.decrypt(sealed, &row.binding).map_err(|_| ())?;
            return Ok(sealed.to_vec());
        }
        let plain: SecretString = cipher.decrypt(sealed, &row.binding).map_err(|_| ())?;
        Ok(cipher.encrypt(&plain, &row.binding))
    };
    Ok(Some(Resealed {
        row,
        first: again(&row.first)?,
        second: row.second.as_deref().map(again).transpose()?,
    }))
}
