//! The few date/time forms mlgate prints and parses: UTC timestamps from epoch seconds or
//! milliseconds, RFC 3339 instants and `YYYY-MM-DD` dates.
//!
//! The calendar is the `time` crate's (already compiled in for junit-report). Parsing stays
//! lenient in the ways users rely on (a space or `t` for `T`, fractional seconds, a leap
//! second, unpadded fields) and every function returns a value or `None` for any input,
//! however large: timestamps come from servers and policy files, not from us.
//!
//! Only years 0000–9999 are dates here (RFC 3339's range, and `time`'s without its
//! `large-dates` feature); a timestamp outside it is shown as the raw number it was.

use time::macros::format_description;
use time::{Date, Month, OffsetDateTime};

const SECONDS_PER_DAY: i64 = 86_400;

/// The instant `secs` after the epoch, if its year is 0000–9999.
fn instant(secs: i64) -> Option<OffsetDateTime> {
    OffsetDateTime::from_unix_timestamp(secs)
        .ok()
        .filter(|t| (0..=9999).contains(&t.year()))
}

/// `YYYY-MM-DD HH:MM:SS` (UTC) of epoch seconds; `<secs> s since 1970-01-01 (out of range)`
/// outside years 0000–9999.
pub fn format_epoch_seconds(secs: i64) -> String {
    instant(secs)
        .and_then(|t| {
            t.format(format_description!(
                "[year]-[month]-[day] [hour]:[minute]:[second]"
            ))
            .ok()
        })
        .unwrap_or_else(|| format!("{secs} s since 1970-01-01 (out of range)"))
}

/// `YYYY-MM-DD HH:MM:SS` (UTC) of epoch milliseconds, rounded to the nearest second as the
/// report this tool replaces did (…578 841 ms → `:59`); the raw milliseconds when out of range.
pub fn format_millis(ms: i64) -> String {
    let secs = ms.saturating_add(500).div_euclid(1000);
    if instant(secs).is_some() {
        format_epoch_seconds(secs)
    } else {
        format!("{ms} ms since 1970-01-01 (out of range)")
    }
}

/// RFC 3339 (`2023-06-21T06:24:46Z`) of epoch seconds (the out-of-range text of
/// [`format_epoch_seconds`] outside years 0000–9999, which no parser here accepts).
pub fn rfc3339(secs: i64) -> String {
    if instant(secs).is_some() {
        format_epoch_seconds(secs).replacen(' ', "T", 1) + "Z"
    } else {
        format_epoch_seconds(secs)
    }
}

/// RFC 3339 with milliseconds (`2023-06-21T06:24:46.123Z`) of epoch milliseconds: ledger
/// entries made within one second still sort in the order they were made.
pub fn rfc3339_millis(ms: i64) -> String {
    let secs = rfc3339(ms.div_euclid(1000));
    match secs.strip_suffix('Z') {
        Some(s) => format!("{s}.{:03}Z", ms.rem_euclid(1000)),
        None => secs,
    }
}

/// Parses `YYYY-MM-DD` into days since the epoch; `None` for impossible dates (2023-02-30).
pub fn parse_date(s: &str) -> Option<i64> {
    let mut parts = s.split('-');
    let year: i32 = parts.next()?.parse().ok()?;
    let month: u8 = parts.next()?.parse().ok()?;
    let day: u8 = parts.next()?.parse().ok()?;
    if parts.next().is_some() || !(0..=9999).contains(&year) {
        return None;
    }
    let date = Date::from_calendar_date(year, Month::try_from(month).ok()?, day).ok()?;
    Some(
        date.midnight()
            .assume_utc()
            .unix_timestamp()
            .div_euclid(SECONDS_PER_DAY),
    )
}

/// Parses an RFC 3339 UTC instant (`2023-06-21T06:24:46Z`, fractional seconds and a numeric
/// offset allowed) or a bare date (midnight UTC) into epoch seconds.
pub fn parse_instant(s: &str) -> Option<i64> {
    let s = s.trim();
    if s.len() == 10 {
        return parse_date(s).map(|d| d * SECONDS_PER_DAY);
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
        let (h, m) = (h.parse::<i64>().ok()?, m.parse::<i64>().ok()?);
        // Checked: an offset is the one unbounded number here.
        (
            c,
            h.checked_mul(3600)?.checked_add(m.checked_mul(60)?)? * sign,
        )
    };
    let clock = clock.split('.').next()?;
    let mut hms = clock.split(':');
    let h: i64 = hms.next()?.parse().ok()?;
    let m: i64 = hms.next()?.parse().ok()?;
    let sec: i64 = hms.next()?.parse().ok()?;
    if !(0..=23).contains(&h) || !(0..=59).contains(&m) || !(0..=60).contains(&sec) {
        return None;
    }
    (days * SECONDS_PER_DAY + h * 3600 + m * 60 + sec).checked_sub(offset_secs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn millis_round_to_the_nearest_second() {
        assert_eq!(format_millis(1_687_328_578_841), "2023-06-21 06:22:59");
        assert_eq!(format_millis(1_686_639_222_719), "2023-06-13 06:53:43");
        assert_eq!(format_millis(0), "1970-01-01 00:00:00");
        assert_eq!(format_millis(-1), "1970-01-01 00:00:00");
        assert_eq!(format_millis(-501), "1969-12-31 23:59:59");
    }

    #[test]
    fn the_edges_of_the_range_format_and_beyond_them_the_number_is_shown() {
        assert_eq!(format_epoch_seconds(-62_167_219_200), "0000-01-01 00:00:00");
        assert_eq!(format_epoch_seconds(253_402_300_799), "9999-12-31 23:59:59");
        assert_eq!(format_epoch_seconds(-86_400 * 365), "1969-01-01 00:00:00");
        assert_eq!(
            format_epoch_seconds(253_402_300_800),
            "253402300800 s since 1970-01-01 (out of range)"
        );
        assert_eq!(
            format_millis(i64::MAX),
            "9223372036854775807 ms since 1970-01-01 (out of range)"
        );
        assert!(format_epoch_seconds(-62_167_219_201).ends_with("(out of range)"));
        for n in [i64::MIN, i64::MIN + 1, i64::MAX - 499, i64::MAX] {
            // No panic, and nothing that looks like a date.
            assert!(format_epoch_seconds(n).ends_with("(out of range)"));
            assert!(format_millis(n).ends_with("(out of range)"));
            assert!(rfc3339(n).ends_with("(out of range)"));
        }
    }

    #[test]
    fn dates_round_trip_and_reject_nonsense() {
        assert_eq!(parse_date("1970-01-02"), Some(1));
        assert_eq!(parse_date("1969-12-31"), Some(-1));
        assert_eq!(parse_date("2024-02-29"), Some(19_782));
        assert_eq!(parse_date("2024-2-29"), Some(19_782), "unpadded, as before");
        assert_eq!(parse_date("0000-01-01"), Some(-719_528));
        assert_eq!(parse_date("9999-12-31"), Some(2_932_896));
        for bad in [
            "2023-02-29",
            "2023-13-01",
            "2023-00-10",
            "2023-01-00",
            "2023-04-31",
            "tomorrow",
            "2023-01-01-01",
            "10000-01-01",
            "9223372036854775807-01-01",
            "2023-256-01",
        ] {
            assert_eq!(parse_date(bad), None, "{bad}");
        }
    }

    #[test]
    fn every_day_formats_and_parses_back() {
        let first = parse_date("0000-01-01").unwrap();
        let last = parse_date("9999-12-31").unwrap();
        let mut day = first;
        while day <= last {
            let text = format_epoch_seconds(day * SECONDS_PER_DAY);
            assert_eq!(parse_date(&text[..10]), Some(day), "{text}");
            assert_eq!(
                parse_instant(&rfc3339(day * SECONDS_PER_DAY + 3661)),
                Some(day * SECONDS_PER_DAY + 3661)
            );
            day += 97;
        }
    }

    #[test]
    fn instants_parse_with_offsets() {
        assert_eq!(parse_instant("2023-06-21T06:24:46Z"), Some(1_687_328_686));
        assert_eq!(
            parse_instant("2023-06-21T08:24:46.5+02:00"),
            Some(1_687_328_686)
        );
        assert_eq!(
            parse_instant("2023-06-21 04:24:46-02:00"),
            Some(1_687_328_686)
        );
        assert_eq!(parse_instant("2023-06-21"), Some(1_687_305_600));
        assert_eq!(rfc3339(1_687_328_686), "2023-06-21T06:24:46Z");
        assert_eq!(parse_instant("2023-06-21T25:00:00Z"), None);
        assert_eq!(parse_instant("2023-06-21T-1:00:00Z"), None);
        assert_eq!(
            parse_instant("2023-06-21T06:24:46+9223372036854775807:00"),
            None,
            "a huge offset is refused, not an overflow"
        );
    }
}
