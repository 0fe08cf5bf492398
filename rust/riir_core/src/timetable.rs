//! Airflow's periodic timetables: `next_dagrun_info` and `infer_manual_data_interval` for cron and delta
//! schedules, with data-interval or trigger semantics.
//!
//! All times are epoch microseconds (UTC instants). "Now" is an argument, never read from the clock, so every
//! result is reproducible. Calendar (`relativedelta`-style) deltas are applied to the UTC wall clock, which is
//! what Airflow's scheduler does with the UTC datetimes it reads back from the serialized DAG and the database.

use chrono::{Datelike, Duration, NaiveDate, NaiveDateTime, Timelike};

use crate::cron::{self, CronExpr};
use crate::error::{CoreError, CoreResult};
use crate::zone::Zone;

const MICROS_PER_SECOND: i64 = 1_000_000;

/// A `dateutil.relativedelta`: relative fields (as normalized by dateutil) and optional absolute ones.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct RelDelta {
    /// Relative years.
    pub years: i32,
    /// Relative months (within -11..=11 after dateutil's normalization).
    pub months: i32,
    /// Relative days (weeks folded in).
    pub days: i64,
    /// Relative hours.
    pub hours: i64,
    /// Relative minutes.
    pub minutes: i64,
    /// Relative seconds.
    pub seconds: i64,
    /// Relative microseconds.
    pub microseconds: i64,
    /// Days added after February in leap years (not negated by subtraction, as in dateutil).
    pub leapdays: i64,
    /// Absolute year.
    pub year: Option<i32>,
    /// Absolute month.
    pub month: Option<u32>,
    /// Absolute day (clamped to the month's length).
    pub day: Option<u32>,
    /// Absolute hour.
    pub hour: Option<u32>,
    /// Absolute minute.
    pub minute: Option<u32>,
    /// Absolute second.
    pub second: Option<u32>,
    /// Absolute microsecond.
    pub microsecond: Option<u32>,
    /// Weekday (0 = Monday) and its n (`MO(+2)`; 0 when not given).
    pub weekday: Option<(u32, i32)>,
}

impl RelDelta {
    /// Only whole months (and years): `relativedelta(months=n)`.
    pub fn months(months: i32) -> RelDelta {
        RelDelta { years: months / 12, months: months % 12, ..RelDelta::default() }
    }

    /// dateutil's `datetime + relativedelta` (`sign` -1 for `datetime - relativedelta`), on a naive wall clock.
    fn apply(&self, t: NaiveDateTime, sign: i64) -> Option<NaiveDateTime> {
        let sign32 = sign as i32;
        let mut year = self.year.unwrap_or(t.year()) + sign32 * self.years;
        let mut month = self.month.map_or(t.month() as i32, |m| m as i32);
        if self.months != 0 {
            month += sign32 * self.months;
            if month > 12 {
                year += 1;
                month -= 12;
            } else if month < 1 {
                year -= 1;
                month += 12;
            }
        }
        let month = month as u32;
        let day = self.day.unwrap_or(t.day()).min(cron::days_in_month(year, month));
        let time = chrono::NaiveTime::from_hms_micro_opt(
            self.hour.unwrap_or(t.hour()),
            self.minute.unwrap_or(t.minute()),
            self.second.unwrap_or(t.second()),
            self.microsecond.unwrap_or(t.nanosecond() / 1000),
        )?;
        let mut days = sign * self.days;
        if self.leapdays != 0 && month > 2 && NaiveDate::from_ymd_opt(year, 2, 29).is_some() {
            days += self.leapdays;
        }
        let fixed = ((days * 24 + sign * self.hours) * 60 + sign * self.minutes) * 60 + sign * self.seconds;
        let mut ret = NaiveDate::from_ymd_opt(year, month, day)?.and_time(time)
            + Duration::seconds(fixed)
            + Duration::microseconds(sign * self.microseconds);
        if let Some((weekday, n)) = self.weekday {
            let nth = if n == 0 { 1 } else { n };
            let current = i64::from(ret.weekday().num_days_from_monday());
            let mut jump = (i64::from(nth.abs()) - 1) * 7;
            if nth > 0 {
                jump += (7 - current + i64::from(weekday)).rem_euclid(7);
            } else {
                jump += (current - i64::from(weekday)).rem_euclid(7);
                jump = -jump;
            }
            ret += Duration::days(jump);
        }
        Some(ret)
    }

    /// `DeltaDataIntervalTimetable._relativedelta_in_seconds` (a 365-day year, 30-day month).
    fn approx_seconds(&self) -> i64 {
        i64::from(self.years) * 365 * 86_400
            + i64::from(self.months) * 30 * 86_400
            + self.days * 86_400
            + self.hours * 3600
            + self.minutes * 60
            + self.seconds
    }
}

/// A schedule step or data-interval length.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Delta {
    /// A fixed duration (`datetime.timedelta`), in microseconds.
    Fixed(i64),
    /// A calendar step (`dateutil.relativedelta`), applied to the UTC wall clock.
    Calendar(RelDelta),
}

impl Delta {
    /// `t + self` (Airflow: `current + delta`).
    pub fn after(self, t: i64) -> CoreResult<i64> {
        self.apply(t, 1)
    }

    /// `t - self` (Airflow: `current - delta`).
    pub fn before(self, t: i64) -> CoreResult<i64> {
        self.apply(t, -1)
    }

    fn apply(self, t: i64, sign: i64) -> CoreResult<i64> {
        match self {
            Delta::Fixed(us) => Ok(t + sign * us),
            Delta::Calendar(rd) => {
                let naive = cron::naive_from_us(t)?;
                let moved = rd.apply(naive, sign).ok_or_else(|| CoreError::Invalid {
                    what: "date".into(),
                    reason: format!("{naive} {} {rd:?} is out of range", if sign > 0 { "+" } else { "-" }),
                })?;
                Ok(cron::naive_to_us(moved))
            }
        }
    }

    /// Whether the delta moves time forward (Airflow's `DeltaMixin.validate`, checked at one instant).
    pub fn is_positive(self, at: i64) -> bool {
        self.after(at).is_ok_and(|later| later > at)
    }
}

/// `CronTriggerTimetable(run_immediately=...)`: which run comes first when there is no start date.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RunImmediately {
    /// `True` runs the latest past fire time; `False` behaves like `None` in Airflow 3.3 (10% rule).
    Flag(bool),
    /// A timedelta: run the latest past fire time if it is at most this many microseconds ago.
    Within(i64),
    /// `None`: within 10% of the gap between fire times, at least five minutes.
    Auto,
}

/// Airflow's `TimeRestriction`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Restriction {
    /// No run before this instant (inclusive), usually the DAG's start date.
    pub earliest: Option<i64>,
    /// No run after this instant (inclusive), usually the DAG's end date.
    pub latest: Option<i64>,
    /// Whether missed runs are created.
    pub catchup: bool,
}

/// Airflow's `DagRunInfo` for interval schedules: when the run may start and its data interval.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RunInfo {
    /// The earliest time the run is created.
    pub run_after: i64,
    /// Data interval start (the logical date).
    pub start: i64,
    /// Data interval end.
    pub end: i64,
}

impl RunInfo {
    fn interval(start: i64, end: i64) -> RunInfo {
        RunInfo { run_after: end, start, end }
    }
}

/// A periodic timetable.
#[derive(Debug, Clone)]
pub enum Timetable {
    /// `CronDataIntervalTimetable`.
    CronDataInterval {
        /// The schedule.
        cron: Box<CronExpr>,
        /// Zone the expression is evaluated in.
        tz: Zone,
    },
    /// `CronTriggerTimetable`, or `MultipleCronTriggerTimetable` when there are several expressions.
    CronTrigger {
        /// The schedules (at least one).
        crons: Vec<CronExpr>,
        /// Zone the expressions are evaluated in.
        tz: Zone,
        /// Data interval length before each fire time.
        interval: Delta,
        /// First-run rule when there is no start date.
        run_immediately: RunImmediately,
    },
    /// `DeltaDataIntervalTimetable`.
    DeltaDataInterval {
        /// Interval length.
        delta: Delta,
    },
    /// `DeltaTriggerTimetable`.
    DeltaTrigger {
        /// Time between runs.
        delta: Delta,
        /// Data interval length before each run.
        interval: Delta,
    },
}

/// The operations a schedule offers to the timetable logic (Airflow's `_get_next` and friends).
#[derive(Clone, Copy)]
enum Steps<'a> {
    Cron(&'a CronExpr, &'a Zone),
    Delta(Delta),
}

impl Steps<'_> {
    fn next(self, t: i64) -> CoreResult<i64> {
        match self {
            Steps::Cron(c, tz) => c.next_in_zone(tz, t),
            Steps::Delta(d) => d.after(t),
        }
    }
    fn prev(self, t: i64) -> CoreResult<i64> {
        match self {
            Steps::Cron(c, tz) => c.prev_in_zone(tz, t),
            Steps::Delta(d) => d.before(t),
        }
    }
    fn align_next(self, t: i64) -> CoreResult<i64> {
        match self {
            Steps::Cron(c, tz) => c.align_to_next(tz, t),
            Steps::Delta(_) => Ok(t),
        }
    }
    fn align_prev(self, t: i64) -> CoreResult<i64> {
        match self {
            Steps::Cron(c, tz) => c.align_to_prev(tz, t),
            Steps::Delta(_) => Ok(t),
        }
    }
}

fn parse_cron(expression: &str) -> CoreResult<CronExpr> {
    CronExpr::parse(cron::resolve_preset(expression))
}

/// `timedelta / 10` as Python computes it: microseconds rounded half to even.
fn div_round_half_even(a: i64, b: i64) -> i64 {
    let q = a.div_euclid(b);
    let r = a.rem_euclid(b);
    match (2 * r).cmp(&b) {
        std::cmp::Ordering::Less => q,
        std::cmp::Ordering::Greater => q + 1,
        std::cmp::Ordering::Equal => q + (q & 1),
    }
}

impl Timetable {
    /// `CronDataIntervalTimetable(expression, timezone)`; Airflow's presets are resolved.
    pub fn cron_data_interval(expression: &str, timezone: &str) -> CoreResult<Timetable> {
        Ok(Timetable::CronDataInterval { cron: Box::new(parse_cron(expression)?), tz: Zone::parse(timezone)? })
    }

    /// `CronTriggerTimetable` (one expression) or `MultipleCronTriggerTimetable` (several).
    pub fn cron_trigger(
        expressions: &[String],
        timezone: &str,
        interval: Delta,
        run_immediately: RunImmediately,
    ) -> CoreResult<Timetable> {
        if expressions.is_empty() {
            return Err(CoreError::Invalid { what: "timetable".into(), reason: "cron expression required".into() });
        }
        let crons = expressions.iter().map(|e| parse_cron(e)).collect::<CoreResult<Vec<_>>>()?;
        Ok(Timetable::CronTrigger { crons, tz: Zone::parse(timezone)?, interval, run_immediately })
    }

    /// `next_dagrun_info(last_automated_data_interval=last, restriction=r)` at time `now`.
    pub fn next_dagrun_info(&self, last: Option<(i64, i64)>, r: &Restriction, now: i64) -> CoreResult<Option<RunInfo>> {
        match self {
            Timetable::CronDataInterval { cron, tz } => data_interval_next(Steps::Cron(cron, tz), None, last, r, now),
            Timetable::DeltaDataInterval { delta } => {
                check_positive(*delta, now)?;
                data_interval_next(Steps::Delta(*delta), Some(*delta), last, r, now)
            }
            Timetable::DeltaTrigger { delta, interval } => {
                check_positive(*delta, now)?;
                trigger_next(Steps::Delta(*delta), *interval, None, last, r, now)
            }
            Timetable::CronTrigger { crons, tz, interval, run_immediately } => {
                if crons.len() == 1 {
                    return trigger_next(Steps::Cron(&crons[0], tz), *interval, Some(*run_immediately), last, r, now);
                }
                // MultipleCronTriggerTimetable: the first of the candidates by Airflow's sort key.
                let mut best: Option<(i128, Option<RunInfo>)> = None;
                for c in crons {
                    let info = trigger_next(Steps::Cron(c, tz), *interval, Some(*run_immediately), last, r, now)?;
                    let key: i128 = match info {
                        None => i128::MAX,
                        Some(i) if !r.catchup && i.start <= now => -i128::from(i.start),
                        Some(i) => i128::from(i.start),
                    };
                    if best.as_ref().map_or(true, |(k, _)| key < *k) {
                        best = Some((key, info));
                    }
                }
                Ok(best.and_then(|(_, info)| info))
            }
        }
    }

    /// `n` consecutive `next_dagrun_info` results, each fed the previous data interval; stops at the first None.
    /// An error stops the walk too: the runs found before it are returned with it, as stepwise calls would see.
    pub fn iterate(
        &self,
        last: Option<(i64, i64)>,
        r: &Restriction,
        now: i64,
        n: usize,
    ) -> (Vec<RunInfo>, Option<CoreError>) {
        let mut out = Vec::with_capacity(n.min(4096));
        let mut last = last;
        for _ in 0..n {
            match self.next_dagrun_info(last, r, now) {
                Ok(Some(info)) => {
                    last = Some((info.start, info.end));
                    out.push(info);
                }
                Ok(None) => break,
                Err(e) => return (out, Some(e)),
            }
        }
        (out, None)
    }

    /// `infer_manual_data_interval(run_after=...)` as `(start, end)`.
    pub fn infer_manual_data_interval(&self, run_after: i64) -> CoreResult<(i64, i64)> {
        match self {
            Timetable::CronDataInterval { cron, tz } => {
                let end = cron.align_to_prev(tz, run_after)?;
                Ok((cron.prev_in_zone(tz, end)?, end))
            }
            Timetable::DeltaDataInterval { delta } => Ok((delta.before(run_after)?, run_after)),
            Timetable::DeltaTrigger { interval, .. } | Timetable::CronTrigger { interval, .. } => {
                Ok((interval.before(run_after)?, run_after))
            }
        }
    }
}

fn check_positive(delta: Delta, now: i64) -> CoreResult<()> {
    if delta.is_positive(now) {
        return Ok(());
    }
    Err(CoreError::Invalid {
        what: "timetable".into(),
        reason: format!("schedule interval must be positive, not {delta:?}"),
    })
}

/// `_DataIntervalTimetable.next_dagrun_info`. `delta` is set for delta schedules (their skip rule differs).
fn data_interval_next(
    steps: Steps<'_>,
    delta: Option<Delta>,
    last: Option<(i64, i64)>,
    r: &Restriction,
    now: i64,
) -> CoreResult<Option<RunInfo>> {
    let mut earliest = r.earliest;
    if !r.catchup {
        earliest = Some(match delta {
            None => cron_skip_to_latest(steps, earliest, now)?,
            Some(d) => delta_skip_to_latest(steps, d, earliest, now)?,
        });
    } else if let Some(e) = earliest {
        earliest = Some(steps.align_next(e)?);
    }
    let start = match last {
        None => match earliest {
            None => return Ok(None),
            Some(e) => e,
        },
        Some((last_start, last_end)) => {
            let aligned_end = steps.align_prev(last_end)?;
            let mut start = earliest.map_or(aligned_end, |e| aligned_end.max(e));
            // A coarser new schedule can realign onto the previous run; Airflow retries once.
            if start <= last_start {
                start = steps.next(start)?;
                if start <= last_start {
                    let at = cron::naive_from_us(last_start)?.format("%Y-%m-%d %H:%M:%S%.f+00:00");
                    let name = if delta.is_some() { "DeltaDataIntervalTimetable" } else { "CronDataIntervalTimetable" };
                    return Err(CoreError::Invalid {
                        what: "timetable".into(),
                        reason: format!("{name} timetable did not advance past {at} after one retry"),
                    });
                }
            }
            start
        }
    };
    if r.latest.is_some_and(|latest| start > latest) {
        return Ok(None);
    }
    Ok(Some(RunInfo::interval(start, steps.next(start)?)))
}

/// `CronDataIntervalTimetable._skip_to_latest`.
fn cron_skip_to_latest(steps: Steps<'_>, earliest: Option<i64>, now: i64) -> CoreResult<i64> {
    let last_start = steps.prev(now)?;
    let next_start = steps.next(last_start)?;
    let new_start = if next_start == now {
        last_start
    } else if next_start > now {
        steps.prev(last_start)?
    } else {
        return Err(CoreError::Invalid {
            what: "timetable".into(),
            reason: "next schedule shouldn't be earlier".into(),
        });
    };
    match earliest {
        None => Ok(new_start),
        Some(e) => Ok(new_start.max(steps.align_next(e)?)),
    }
}

/// `DeltaDataIntervalTimetable._skip_to_latest`.
fn delta_skip_to_latest(steps: Steps<'_>, delta: Delta, earliest: Option<i64>, now: i64) -> CoreResult<i64> {
    let rounded = delta_round(steps, delta, now, earliest.unwrap_or(now))?;
    let new_start = steps.prev(rounded)?;
    Ok(earliest.map_or(new_start, |e| new_start.max(e)))
}

/// `DeltaDataIntervalTimetable._round`: calendar deltas step from the anchor, fixed ones round on the epoch grid.
fn delta_round(steps: Steps<'_>, delta: Delta, dt: i64, anchor: i64) -> CoreResult<i64> {
    let grid = match delta {
        Delta::Calendar(rd) if rd.months != 0 || rd.years != 0 => {
            let mut boundary = anchor;
            loop {
                let next = steps.next(boundary)?;
                if next > dt {
                    return Ok(boundary);
                }
                boundary = next;
            }
        }
        Delta::Fixed(us) => us,
        // `_relativedelta_in_seconds` ignores microseconds and absolute fields.
        Delta::Calendar(rd) => rd.approx_seconds() * MICROS_PER_SECOND,
    };
    if grid <= 0 {
        return Ok(dt);
    }
    Ok(dt - dt.rem_euclid(grid))
}

/// `_TriggerTimetable.next_dagrun_info`. `run_immediately` is set for cron schedules.
fn trigger_next(
    steps: Steps<'_>,
    interval: Delta,
    run_immediately: Option<RunImmediately>,
    last: Option<(i64, i64)>,
    r: &Restriction,
    now: i64,
) -> CoreResult<Option<RunInfo>> {
    let first_run = || -> CoreResult<i64> {
        match run_immediately {
            None => steps.align_prev(now),
            Some(rule) => calc_first_run(steps, rule, now),
        }
    };
    let next_start = if r.catchup {
        match (last, r.earliest) {
            (Some((_, end)), _) => steps.next(end)?,
            (None, None) => first_run()?,
            (None, Some(e)) => steps.align_next(e)?,
        }
    } else {
        let mut best = steps.align_prev(now)?;
        match (last, r.earliest) {
            (Some((_, end)), _) => best = best.max(steps.next(end)?),
            (None, None) => best = best.max(first_run()?),
            (None, Some(_)) => {}
        }
        if let Some(e) = r.earliest {
            best = best.max(steps.align_next(e)?);
        }
        best
    };
    if r.latest.is_some_and(|latest| latest < next_start) {
        return Ok(None);
    }
    Ok(Some(RunInfo::interval(interval.before(next_start)?, next_start)))
}

/// `CronTriggerTimetable._calc_first_run`.
fn calc_first_run(steps: Steps<'_>, rule: RunImmediately, now: i64) -> CoreResult<i64> {
    let past = steps.align_prev(now)?;
    let next = steps.align_next(now)?;
    if rule == RunImmediately::Flag(true) {
        return Ok(past);
    }
    let buffer = match rule {
        RunImmediately::Within(us) => us,
        _ => div_round_half_even(next - past, 10).max(5 * 60 * MICROS_PER_SECOND),
    };
    Ok(if now - past <= buffer { past } else { next })
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDateTime;

    fn us(s: &str) -> i64 {
        cron::naive_to_us(NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").unwrap())
    }

    fn restriction(earliest: Option<&str>, catchup: bool) -> Restriction {
        Restriction { earliest: earliest.map(us), latest: None, catchup }
    }

    #[test]
    fn cron_data_interval_catchup_from_start_date() {
        let tt = Timetable::cron_data_interval("@daily", "UTC").unwrap();
        let (infos, err) = tt.iterate(None, &restriction(Some("2024-01-01 00:00"), true), us("2024-06-01 00:00"), 2);
        assert!(err.is_none());
        assert_eq!(infos[0], RunInfo::interval(us("2024-01-01 00:00"), us("2024-01-02 00:00")));
        assert_eq!(infos[1], RunInfo::interval(us("2024-01-02 00:00"), us("2024-01-03 00:00")));
    }

    #[test]
    fn cron_data_interval_without_catchup_runs_latest_complete_interval() {
        let tt = Timetable::cron_data_interval("0 0 * * *", "UTC").unwrap();
        let info =
            tt.next_dagrun_info(None, &restriction(Some("2024-01-01 00:00"), false), us("2024-06-01 12:00")).unwrap();
        assert_eq!(info, Some(RunInfo::interval(us("2024-05-31 00:00"), us("2024-06-01 00:00"))));
    }

    #[test]
    fn cron_trigger_and_latest() {
        let tt = Timetable::cron_trigger(&["0 * * * *".into()], "UTC", Delta::Fixed(0), RunImmediately::Flag(false))
            .unwrap();
        let r =
            Restriction { earliest: Some(us("2024-01-01 00:30")), latest: Some(us("2024-01-01 02:00")), catchup: true };
        let (infos, _) = tt.iterate(None, &r, us("2024-06-01 00:00"), 10);
        let starts: Vec<i64> = infos.iter().map(|i| i.run_after).collect();
        assert_eq!(starts, vec![us("2024-01-01 01:00"), us("2024-01-01 02:00")]);
    }

    #[test]
    fn relative_delta_clamps_day() {
        let month = Delta::Calendar(RelDelta::months(1));
        assert_eq!(month.after(us("2024-01-31 10:00")).unwrap(), us("2024-02-29 10:00"));
        assert_eq!(month.before(us("2024-03-31 10:00")).unwrap(), us("2024-02-29 10:00"));
    }

    #[test]
    fn relativedelta_absolute_fields_and_weekday() {
        // relativedelta(months=1, day=1, hour=6): the first of next month at 06:00.
        let first = Delta::Calendar(RelDelta { months: 1, day: Some(1), hour: Some(6), ..RelDelta::default() });
        assert_eq!(first.after(us("2024-01-31 10:00")).unwrap(), us("2024-02-01 06:00"));
        // relativedelta(weekday=FR(-1)): the last Friday on or before.
        let friday = Delta::Calendar(RelDelta { weekday: Some((4, -1)), ..RelDelta::default() });
        assert_eq!(friday.after(us("2024-06-17 10:00")).unwrap(), us("2024-06-14 10:00"));
        assert_eq!(friday.after(us("2024-06-14 10:00")).unwrap(), us("2024-06-14 10:00"));
    }

    #[test]
    fn delta_must_be_positive() {
        let tt = Timetable::DeltaDataInterval { delta: Delta::Fixed(0) };
        assert!(tt.next_dagrun_info(None, &restriction(Some("2024-01-01 00:00"), true), 0).is_err());
    }

    #[test]
    fn python_rounding_of_timedelta_division() {
        assert_eq!(div_round_half_even(25, 10), 2);
        assert_eq!(div_round_half_even(35, 10), 4);
        assert_eq!(div_round_half_even(36, 10), 4);
    }
}
