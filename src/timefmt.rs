//! Calendar arithmetic for the few date/time forms mlgate prints and parses: UTC timestamps
//! from epoch milliseconds, RFC 3339 instants and `YYYY-MM-DD` dates.
//!
//! Hand-written (Howard Hinnant's days-from-civil algorithm) rather than a date crate: the
//! program only ever needs UTC and these three formats.

/// Days since 1970-01-01 of a proleptic Gregorian date.
pub fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(month);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The date of a day count since 1970-01-01.
pub fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = u32::try_from(doy - (153 * mp + 2) / 5 + 1).unwrap_or(1);
    let month = u32::try_from(if mp < 10 { mp + 3 } else { mp - 9 }).unwrap_or(1);
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// `YYYY-MM-DD HH:MM:SS` (UTC) of epoch seconds.
pub fn format_epoch_seconds(secs: i64) -> String {
    let (date, time) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    let (y, m, d) = civil_from_days(date);
    format!(
        "{y:04}-{m:02}-{d:02} {:02}:{:02}:{:02}",
        time / 3600,
        time % 3600 / 60,
        time % 60
    )
}

/// `YYYY-MM-DD HH:MM:SS` (UTC) of epoch milliseconds, rounded to the nearest second as the
/// report this tool replaces did (…578 841 ms → `:59`).
pub fn format_millis(ms: i64) -> String {
    format_epoch_seconds(ms.saturating_add(500).div_euclid(1000))
}

/// RFC 3339 (`2023-06-21T06:24:46Z`) of epoch seconds.
pub fn rfc3339(secs: i64) -> String {
    format_epoch_seconds(secs).replacen(' ', "T", 1) + "Z"
}

/// Parses `YYYY-MM-DD` into days since the epoch.
pub fn parse_date(s: &str) -> Option<i64> {
    let mut parts = s.split('-');
    let year: i64 = parts.next()?.parse().ok()?;
    let month: u32 = parts.next()?.parse().ok()?;
    let day: u32 = parts.next()?.parse().ok()?;
    if parts.next().is_some() || !(1..=12).contains(&month) || day == 0 || day > 31 {
        return None;
    }
    let days = days_from_civil(year, month, day);
    // Reject 2023-02-30 and friends: the round trip must give the same date back.
    (civil_from_days(days) == (year, month, day)).then_some(days)
}

/// Parses an RFC 3339 UTC instant (`2023-06-21T06:24:46Z`, fractional seconds and a numeric
/// offset allowed) or a bare date (midnight UTC) into epoch seconds.
pub fn parse_instant(s: &str) -> Option<i64> {
    let s = s.trim();
    if s.len() == 10 {
        return parse_date(s).map(|d| d * 86_400);
    }
    let (date, rest) = s.split_at_checked(10)?;
    let rest = rest.strip_prefix(['T', 't', ' '])?;
    let days = parse_date(date)?;
    let (clock, offset_secs) = if let Some(c) = rest.strip_suffix(['Z', 'z']) {
        (c, 0)
    } else {
        let pos = rest.rfind(['+', '-'])?;
        let (c, off) = rest.split_at(pos);
        let sign = if off.starts_with('-') { -1 } else { 1 };
        let (h, m) = off[1..].split_once(':')?;
        (
            c,
            sign * (h.parse::<i64>().ok()? * 3600 + m.parse::<i64>().ok()? * 60),
        )
    };
    let clock = clock.split('.').next()?;
    let mut hms = clock.split(':');
    let h: i64 = hms.next()?.parse().ok()?;
    let m: i64 = hms.next()?.parse().ok()?;
    let sec: i64 = hms.next()?.parse().ok()?;
    if h > 23 || m > 59 || sec > 60 {
        return None;
    }
    Some(days * 86_400 + h * 3600 + m * 60 + sec - offset_secs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn millis_round_to_the_nearest_second() {
        assert_eq!(format_millis(1_687_328_578_841), "2023-06-21 06:22:59");
        assert_eq!(format_millis(1_686_639_222_719), "2023-06-13 06:53:43");
        assert_eq!(format_millis(0), "1970-01-01 00:00:00");
    }

    #[test]
    fn dates_round_trip_and_reject_nonsense() {
        assert_eq!(parse_date("1970-01-02"), Some(1));
        assert_eq!(
            parse_date("2024-02-29").map(civil_from_days),
            Some((2024, 2, 29))
        );
        assert_eq!(parse_date("2023-02-29"), None);
        assert_eq!(parse_date("2023-13-01"), None);
        assert_eq!(parse_date("tomorrow"), None);
    }

    #[test]
    fn instants_parse_with_offsets() {
        assert_eq!(parse_instant("2023-06-21T06:24:46Z"), Some(1_687_328_686));
        assert_eq!(
            parse_instant("2023-06-21T08:24:46.5+02:00"),
            Some(1_687_328_686)
        );
        assert_eq!(rfc3339(1_687_328_686), "2023-06-21T06:24:46Z");
        assert_eq!(parse_instant("2023-06-21T25:00:00Z"), None);
    }
}
