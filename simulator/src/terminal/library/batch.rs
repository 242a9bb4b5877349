//! What the user, group and rule collections share: the `/v2` batches (each item applied
//! on its own, the refused ones listed in `errors`, a failing disk stopping the batch),
//! the bounds of a page, a page of items rendered for the answer, and the search by name.

use serde::de::DeserializeOwned;
use serde_json::Value;

use super::ids;
use super::state::{LibraryError, MAX_BATCH_ITEMS, MAX_LIMIT, MAX_OFFSET, invalid};
use crate::profile::Profile;
use crate::wire::{BatchError, BatchErrors, IdList, Page, UserId};

/// `POST /v2/{collection}`: each item read as a `T` (a `what`, with its id in
/// `id_field`) and upserted.
///
/// # Errors
/// [`LibraryError::Invalid`] for too many items; [`LibraryError::Store`] when the disk
/// fails, which stops the batch.
pub(super) fn upsert_each<T: DeserializeOwned>(
    items: &[Value],
    id_field: &str,
    what: &str,
    mut upsert: impl FnMut(&T) -> Result<(), LibraryError>,
) -> Result<BatchErrors, LibraryError> {
    check_batch(items.len())?;
    let mut errors = Vec::new();
    for item in items {
        let id_sent = item.get(id_field).cloned().unwrap_or(Value::Null);
        let result = serde_json::from_value::<T>(item.clone())
            .map_err(|e| invalid(format!("not a {what}: {e}")))
            .and_then(|input| upsert(&input));
        refuse_unless_stored(result, id_sent, &mut errors)?;
    }
    Ok(BatchErrors { errors })
}

/// `DELETE /v2/{collection}`: each id parsed under the version's id rules and deleted.
///
/// # Errors
/// As [`upsert_each`].
pub(super) fn delete_each(
    list: &[Value],
    profile: &Profile,
    mut delete: impl FnMut(&str) -> Result<(), LibraryError>,
) -> Result<BatchErrors, LibraryError> {
    check_batch(list.len())?;
    let mut errors = Vec::new();
    for value in list {
        let result = ids::parse(Some(value), "id", profile)
            .map_err(invalid)
            .and_then(|id| delete(&id));
        refuse_unless_stored(result, value.clone(), &mut errors)?;
    }
    Ok(BatchErrors { errors })
}

/// Lists a refused item in `errors`; a store failure is not a refusal but the end of the
/// batch.
fn refuse_unless_stored(
    result: Result<(), LibraryError>,
    id: Value,
    errors: &mut Vec<BatchError>,
) -> Result<(), LibraryError> {
    match result {
        Ok(()) => Ok(()),
        Err(LibraryError::Store(e)) => Err(LibraryError::Store(e)),
        Err(e) => {
            errors.push(batch_error(id, &e));
            Ok(())
        }
    }
}

/// The `errors` entry of a refused batch item.
fn batch_error(id: Value, e: &LibraryError) -> BatchError {
    let code = match e {
        LibraryError::NotFound(_) => 404,
        LibraryError::Invalid(_) => 400,
        LibraryError::Store(_) => 500,
    };
    BatchError {
        id,
        code,
        msg: e.to_string(),
    }
}

fn check_batch(len: usize) -> Result<(), LibraryError> {
    if len > MAX_BATCH_ITEMS {
        return Err(invalid(format!(
            "a batch holds at most {MAX_BATCH_ITEMS} items, got {len}"
        )));
    }
    Ok(())
}

/// Refuses a page beyond the documented bounds.
pub(super) fn check_page(offset: u64, limit: u64) -> Result<(), LibraryError> {
    if offset > MAX_OFFSET || limit > MAX_LIMIT {
        return Err(invalid(format!(
            "offset must be 0 to {MAX_OFFSET} and limit 0 to {MAX_LIMIT}, got {offset} and {limit}"
        )));
    }
    Ok(())
}

/// `GET /v1/{collection}/offset/{offset}/limit/{limit}` over `all`, in its order.
///
/// # Errors
/// [`LibraryError::Invalid`] beyond the documented bounds.
pub(super) fn page<S, T>(
    offset: u64,
    limit: u64,
    all: &[S],
    render: impl FnMut(&S) -> T,
) -> Result<Page<T>, LibraryError> {
    check_page(offset, limit)?;
    let items: Vec<T> = all
        .iter()
        .skip(usize::try_from(offset).unwrap_or(usize::MAX))
        .take(usize::try_from(limit).unwrap_or(usize::MAX))
        .map(render)
        .collect();
    Ok(Page {
        offset,
        limit,
        count: items.len() as u64,
        total: all.len() as u64,
        items,
    })
}

/// `POST /v1/{group,rule}/search`: the ids of the items whose name contains `name`; an
/// absent or empty name finds nothing.
pub(super) fn named<S>(
    all: &[S],
    name: Option<&str>,
    profile: &Profile,
    key: impl Fn(&S) -> (&str, &UserId),
) -> IdList {
    let items = match name.filter(|n| !n.is_empty()) {
        None => Vec::new(),
        Some(name) => all
            .iter()
            .map(&key)
            .filter(|(item_name, _)| item_name.contains(name))
            .map(|(_, id)| ids::render(&ids::text(id), profile))
            .collect(),
    };
    IdList { items }
}
