//! `mlgate history`: a target's ledger read from the registry, with who holds it now, the
//! holder at a time (`--at`) and the chain recomputed (`--verify`).

use super::named::Named;
use super::store::{read, target_of};
use crate::app::error::{AppError, UsageError};
use crate::app::stdio;
use crate::cli::HistoryArgs;
use crate::exit::Exit;
use crate::gather;
use crate::report::history::History;
use crate::timefmt::{parse_date, parse_instant, rfc3339};

pub(crate) fn run(args: &HistoryArgs) -> Result<Exit, AppError> {
    let named = Named::parse(&args.target)?;
    // A date is its first second (UTC): "who held it on 1 October" asks about the morning.
    let at = args
        .at
        .as_deref()
        .map(|t| {
            parse_instant(t)
                .or_else(|| parse_date(t).map(|d| d * 86_400))
                .ok_or_else(|| UsageError::BadNow {
                    text: t.to_string(),
                })
        })
        .transpose()?;
    let live = named.session(&args.server)?;
    let target = target_of(&named.goal);
    let ledger = read(&live, &named.model, &target)?;
    let holder_now = live
        .block_on(gather::holder(
            &live.cx,
            live.backend,
            &named.model,
            &named.goal,
        ))
        .map_err(|e| AppError::Gather(Box::new(live.failure(e))))?;
    let breaks = args.verify.then(|| ledger.verify());
    let history = History {
        model: &named.model,
        ledger: &ledger,
        holder_now: holder_now.as_deref(),
        at: at.map(|t| (rfc3339(t), ledger.at(t))),
        breaks: breaks.as_deref(),
    };
    if args.json {
        let text = serde_json::to_string_pretty(&history.json()).unwrap_or_default();
        stdio::out(&format!("{text}\n"))?;
    } else {
        stdio::out(&history.text())?;
    }
    Ok(match breaks {
        Some(b) if !b.is_empty() => Exit::PolicyFailed,
        _ => Exit::Pass,
    })
}
