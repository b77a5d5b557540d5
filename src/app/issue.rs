//! Issue: the service issues the output of an approved case (the handler of an `issue_output`
//! job) through the issuance wing's driver, once its fee is paid where the service says so.

use crate::app::engine::output_of;
use crate::db::cases::{self, CaseRow};
use crate::db::{AnyConnection, catalog, fees};
use crate::domain::status::CaseStatus;
use crate::issuance::driver::{self, Issuance};

/// Whether the case's service issues only once paid, and its fee is not.
fn awaits_payment(conn: &mut AnyConnection, case: &CaseRow) -> anyhow::Result<bool> {
    let paid_first = catalog::find_service(conn, &case.service_code)?.is_some_and(|s| s.paid_before_issue);
    Ok(paid_first && fees::for_case(conn, &case.id)?.is_some_and(|f| f.outstanding_minor() > 0))
}

/// Issues the output of the approved case `case_id`. Safe to repeat: the driver finishes what
/// an earlier attempt left and never issues twice.
pub async fn issue(issuance: &Issuance<'_>, case_id: &str) -> anyhow::Result<()> {
    let mut conn = issuance.db.conn()?;
    let case = cases::find(&mut conn, case_id)?.ok_or_else(|| anyhow::anyhow!("case {case_id} vanished"))?;
    if case.status == CaseStatus::Approved && awaits_payment(&mut conn, &case)? {
        // Recording the payment puts the issuance back in line.
        tracing::info!(case = %case.reference, "approved; the document is issued once the fee is paid");
        return Ok(());
    }
    let output = output_of(&mut conn, &case)?;
    drop(conn);
    driver::issue(issuance, case_id, output).await
}
