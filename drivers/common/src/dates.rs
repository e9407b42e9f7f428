//! Calendar dates as the cloud APIs write them: RFC 3339 / ISO 8601 in XML
//! and JSON bodies, RFC 7231 in HTTP headers, and the compact stamps of
//! request signing. All in UTC, from and to Unix seconds.

/// (year, month, day, hour, minute, second) of Unix seconds.
pub fn civil(t: i64) -> (i64, u32, u32, u32, u32, u32) {
    let days = t.div_euclid(86_400);
    let secs = t.rem_euclid(86_400);
    // Howard Hinnant's civil_from_days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = if m <= 2 { y + 1 } else { y };
    (
        y,
        m,
        d,
        (secs / 3600) as u32,
        (secs % 3600 / 60) as u32,
        (secs % 60) as u32,
    )
}

/// Days since the Unix epoch of a calendar date.
pub fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = m as i64;
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + d as i64 - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// `2009-10-12T17:50:30.000Z` or `2026-11-26T08:28:38.478526+01:00` →
/// (seconds, nanoseconds); a numeric offset is applied.
pub fn parse_rfc3339(s: &str) -> Option<(i64, u32)> {
    let s = s.trim();
    let num = |r: std::ops::Range<usize>| s.get(r).and_then(|x| x.parse::<i64>().ok());
    let (y, m, d) = (num(0..4)?, num(5..7)? as u32, num(8..10)? as u32);
    let (h, mi, se) = (num(11..13)?, num(14..16)?, num(17..19)?);
    let mut rest = s.get(19..)?;
    let mut nanos = 0u32;
    if let Some(frac) = rest.strip_prefix('.') {
        let digits: String = frac.chars().take_while(|c| c.is_ascii_digit()).collect();
        rest = &frac[digits.len()..];
        let mut padded = digits;
        padded.truncate(9);
        while padded.len() < 9 {
            padded.push('0');
        }
        nanos = padded.parse().ok()?;
    }
    let offset = match rest.as_bytes().first() {
        Some(b'+') | Some(b'-') => {
            let sign = if rest.starts_with('-') { -1 } else { 1 };
            let oh: i64 = rest.get(1..3)?.parse().ok()?;
            let om: i64 = rest.get(4..6)?.parse().ok()?;
            sign * (oh * 3600 + om * 60)
        }
        _ => 0,
    };
    let days = days_from_civil(y, m, d);
    Some((days * 86_400 + h * 3600 + mi * 60 + se - offset, nanos))
}

const DAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// `Wed, 12 Oct 2009 17:50:00 GMT` → seconds.
pub fn parse_http_date(s: &str) -> Option<i64> {
    let parts: Vec<&str> = s.split_whitespace().collect();
    if parts.len() < 5 {
        return None;
    }
    let d: u32 = parts[1].parse().ok()?;
    let m = MONTHS
        .iter()
        .position(|x| x.eq_ignore_ascii_case(parts[2]))? as u32
        + 1;
    let y: i64 = parts[3].parse().ok()?;
    let hms: Vec<i64> = parts[4].split(':').filter_map(|x| x.parse().ok()).collect();
    if hms.len() != 3 {
        return None;
    }
    Some(days_from_civil(y, m, d) * 86_400 + hms[0] * 3600 + hms[1] * 60 + hms[2])
}

/// Seconds → `Thu, 26 Nov 2026 08:29:15 GMT`.
pub fn http_date(t: i64) -> String {
    let (y, mo, d, h, mi, s) = civil(t);
    let wd = DAYS[t.div_euclid(86_400).rem_euclid(7) as usize];
    let m = MONTHS[(mo - 1) as usize];
    format!("{wd}, {d:02} {m} {y:04} {h:02}:{mi:02}:{s:02} GMT")
}

/// Seconds → `2026-11-26T08:29:15Z`.
pub fn iso8601(t: i64) -> String {
    let (y, mo, d, h, mi, s) = civil(t);
    format!("{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}Z")
}

/// Seconds → (`YYYYMMDD`, `YYYYMMDDTHHMMSSZ`), as SigV4 and GCS V4 sign them.
pub fn stamp(t: i64) -> (String, String) {
    let (y, mo, d, h, mi, s) = civil(t);
    let date = format!("{y:04}{mo:02}{d:02}");
    let datetime = format!("{date}T{h:02}{mi:02}{s:02}Z");
    (date, datetime)
}

/// Unix seconds now (on wasip2 from `wasi:clocks/wall-clock`).
pub fn now() -> i64 {
    crate::time::Timestamp::now().seconds
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips() {
        let t = 1_369_353_600; // 2013-05-24T00:00:00Z, a Friday
        assert_eq!(civil(t), (2013, 5, 24, 0, 0, 0));
        assert_eq!(
            parse_rfc3339("2013-05-24T00:00:00.500Z"),
            Some((t, 500_000_000))
        );
        assert_eq!(parse_rfc3339("2013-05-24T01:00:00+01:00"), Some((t, 0)));
        assert_eq!(parse_rfc3339("2013-05-23T23:00:00-01:00"), Some((t, 0)));
        assert_eq!(parse_http_date("Fri, 24 May 2013 00:00:00 GMT"), Some(t));
        assert_eq!(http_date(t), "Fri, 24 May 2013 00:00:00 GMT");
        assert_eq!(iso8601(t + 3661), "2013-05-24T01:01:01Z");
        assert_eq!(
            stamp(t + 3661),
            ("20130524".into(), "20130524T010101Z".into())
        );
        for t in [0, 951_782_400, 4_102_444_799, -86_400] {
            assert_eq!(parse_http_date(&http_date(t)), Some(t));
            assert_eq!(parse_rfc3339(&iso8601(t)), Some((t, 0)));
        }
        assert_eq!(parse_rfc3339("not a date"), None);
        assert_eq!(parse_http_date("Fri, 24"), None);
    }
}
