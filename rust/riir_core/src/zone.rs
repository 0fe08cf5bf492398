//! IANA time zones and Airflow's rules for moving between an instant and a zone's wall clock.
//!
//! Zones come from the system's TZif files (`$TZDIR`, else `/usr/share/zoneinfo`, the copy Python's `zoneinfo`
//! and so pendulum read), loaded on first use of a zone and cached by jiff. A copy of the tzdb embedded as one
//! byte blob is the fallback on a machine without tzdata, as the `tzdata` package is for Python. Reading files
//! instead of compiled-in tables keeps the extension free of ~30,000 relocated pointers, which every process
//! loading it paid for as private memory.
//!
//! A zone's last rule (the TZif footer) is extended forever, as `zoneinfo` does, so far-future years need no
//! special case.

use chrono::{Datelike, Duration, NaiveDateTime, Timelike};
use jiff::tz::{AmbiguousOffset, TimeZone};
use jiff::Timestamp;

use crate::cron::{naive_from_us, naive_to_us};
use crate::error::{CoreError, CoreResult};

/// An IANA time zone, cheap to clone (its transitions are shared).
#[derive(Clone, Debug)]
pub struct Zone(TimeZone);

impl Zone {
    /// Looks up an IANA zone name (`UTC`, `Europe/Amsterdam`, ...). Names are matched case-sensitively, like
    /// `zoneinfo` on Linux, although jiff's lookup ignores case.
    pub fn parse(name: &str) -> CoreResult<Zone> {
        let unknown =
            || CoreError::Invalid { what: format!("timezone '{name}'"), reason: "unknown IANA time zone".into() };
        let tz = jiff::tz::db().get(name).map_err(|_| unknown())?;
        if tz.iana_name() != Some(name) {
            return Err(unknown());
        }
        Ok(Zone(tz))
    }

    /// The zone's IANA name.
    pub fn name(&self) -> &str {
        self.0.iana_name().unwrap_or("UTC")
    }

    /// UTC offset (seconds) at the instant whose UTC wall clock is `utc`.
    pub fn offset_at(&self, utc: NaiveDateTime) -> i64 {
        // Beyond jiff's years (-9999..=9999) the offset at the nearest end is used: a zone's rules there are its last.
        let seconds = utc.and_utc().timestamp().clamp(Timestamp::MIN.as_second(), Timestamp::MAX.as_second());
        let instant = Timestamp::from_second(seconds).unwrap_or(Timestamp::UNIX_EPOCH);
        i64::from(self.0.to_offset(instant).seconds())
    }

    /// The wall-clock time of an instant (Airflow's `make_naive`).
    pub fn to_naive(&self, us: i64) -> CoreResult<NaiveDateTime> {
        let utc = naive_from_us(us)?;
        Ok(utc + Duration::seconds(self.offset_at(utc)))
    }

    /// Airflow's `make_aware` with pendulum, in epoch microseconds: a wall-clock time in a DST gap is read with
    /// the offset from before the gap (so it lands after the gap), and one in a fold is its second occurrence.
    pub fn make_aware(&self, naive: NaiveDateTime) -> i64 {
        let offset = match civil(naive) {
            Some(wall) => match self.0.to_ambiguous_timestamp(wall).offset() {
                AmbiguousOffset::Unambiguous { offset } => offset,
                AmbiguousOffset::Gap { before, .. } => before,
                AmbiguousOffset::Fold { after, .. } => after,
            }
            .seconds(),
            // Outside jiff's years: no DST question can be answered there, read the wall clock as UTC's offset.
            None => self.offset_at(naive) as i32,
        };
        naive_to_us(naive) - i64::from(offset) * 1_000_000
    }
}

/// A chrono wall-clock time as jiff's, when its year is within jiff's range.
fn civil(t: NaiveDateTime) -> Option<jiff::civil::DateTime> {
    let narrow = |v: u32| i8::try_from(v).ok();
    jiff::civil::DateTime::new(
        i16::try_from(t.year()).ok()?,
        narrow(t.month())?,
        narrow(t.day())?,
        narrow(t.hour())?,
        narrow(t.minute())?,
        narrow(t.second())?,
        // chrono keeps a leap second as nanoseconds >= 1e9; jiff has none, so it is clamped into the second.
        i32::try_from(t.nanosecond().min(999_999_999)).ok()?,
    )
    .ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dt(s: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S").unwrap()
    }

    fn us(s: &str) -> i64 {
        naive_to_us(dt(s))
    }

    #[test]
    fn unknown_or_miscased_names_are_errors_naming_the_zone() {
        for name in ["Mars/Olympus_Mons", "europe/amsterdam", ""] {
            let err = Zone::parse(name).unwrap_err().to_string();
            assert!(err.contains(&format!("'{name}'")) && err.contains("unknown IANA time zone"), "{err}");
        }
        assert_eq!(Zone::parse("Europe/Amsterdam").unwrap().name(), "Europe/Amsterdam");
        assert_eq!(Zone::parse("UTC").unwrap().offset_at(dt("2024-07-01 00:00:00")), 0);
    }

    #[test]
    fn offsets_follow_summer_time() {
        let tz = Zone::parse("America/New_York").unwrap();
        assert_eq!(tz.offset_at(dt("2024-01-15 12:00:00")), -5 * 3600);
        assert_eq!(tz.offset_at(dt("2024-07-15 12:00:00")), -4 * 3600);
        // Summer time in New York starts at 07:00 UTC on 2024-03-10.
        assert_eq!(tz.offset_at(dt("2024-03-10 06:59:59")), -5 * 3600);
        assert_eq!(tz.offset_at(dt("2024-03-10 07:00:00")), -4 * 3600);
    }

    #[test]
    fn gap_reads_the_offset_before_it_and_fold_its_second_occurrence() {
        let tz = Zone::parse("Europe/Amsterdam").unwrap();
        // 02:30 does not exist on 2024-03-31; read with CET (+1) it is 01:30 UTC, i.e. 03:30 CEST.
        assert_eq!(tz.make_aware(dt("2024-03-31 02:30:00")), us("2024-03-31 01:30:00"));
        // 02:30 happens twice on 2024-10-27; the second one is CET (+1).
        assert_eq!(tz.make_aware(dt("2024-10-27 02:30:00")), us("2024-10-27 01:30:00"));
        assert_eq!(tz.make_aware(dt("2024-06-01 12:00:00")), us("2024-06-01 10:00:00"));
        assert_eq!(tz.to_naive(us("2024-10-27 00:30:00")).unwrap(), dt("2024-10-27 02:30:00"));
        assert_eq!(tz.to_naive(us("2024-10-27 01:30:00")).unwrap(), dt("2024-10-27 02:30:00"));
    }

    #[test]
    fn last_rule_continues_into_far_years() {
        let tz = Zone::parse("Europe/Amsterdam").unwrap();
        // 1 April 2100 and 2300 are in summer time (CEST, UTC+2), like every year under the current EU rule.
        assert_eq!(tz.make_aware(dt("2100-04-01 00:00:00")), us("2100-03-31 22:00:00"));
        assert_eq!(tz.to_naive(us("2100-12-01 12:00:00")).unwrap(), dt("2100-12-01 13:00:00"));
        assert_eq!(tz.offset_at(dt("2300-07-01 00:00:00")), 2 * 3600);
        // Beyond jiff's years the offset at its last instant is used rather than failing.
        assert_eq!(tz.offset_at(dt("2024-01-01 00:00:00").with_year(12000).unwrap()), 3600);
    }
}
