//! Issue: the service issues the output of an approved case (the handler of an `issue_output`
//! job), through the issuer of the case's output kind.

use crate::app::engine::output_of;
use crate::db::cases;
use crate::domain::service::OutputKind;
use crate::outputs::{certificate, e_visa};
use crate::startup::AppState;

/// Issues the output of the approved case `case_id`. Safe to repeat: each issuer finishes what
/// an earlier attempt left and never issues twice.
pub async fn issue(state: &AppState, case_id: &str) -> anyhow::Result<()> {
    let mut conn = state.db.conn()?;
    let case = cases::find(&mut conn, case_id)?.ok_or_else(|| anyhow::anyhow!("case {case_id} vanished"))?;
    let output = output_of(&mut conn, &case)?;
    drop(conn);
    match output {
        OutputKind::EVisa => e_visa::issue::issue(state, case_id).await,
        OutputKind::Certificate => certificate::issue::issue(state, case_id).await,
        other => anyhow::bail!("no issuer for {other} outputs"),
    }
}
