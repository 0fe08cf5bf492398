//! Cron expressions with croniter's semantics, and Airflow's time-zone rules on top of them.
//!
//! Parsing follows croniter (the library Airflow uses): 5 fields (minute hour day-of-month month day-of-week),
//! an optional 6th field for seconds and an optional 7th for the year; `*`, lists, ranges, steps, month and
//! weekday names, `L` (last day of month, or `L<n>` last weekday `n` of the month), `<n>W` / `W<n>` (nearest
//! weekday), `<dow>#<n>` (n-th weekday), `?`, croniter's `@` aliases. When both day-of-month and day-of-week
//! are restricted a day matches if either matches (croniter's `day_or=True`).
//!
//! The search itself is done on naive wall-clock times, like croniter does when Airflow calls it. The zone-aware
//! functions ([`CronExpr::next_in_zone`], [`CronExpr::prev_in_zone`]) add Airflow's DST rules: a fire time in a
//! DST gap moves forward by the gap, a fire time in a fold uses its second occurrence, and an expression that
//! fires every hour steps by elapsed wall-clock difference so that folded hours are not skipped.

use chrono::{Datelike, Duration, NaiveDate, NaiveDateTime, NaiveTime, Timelike};

use crate::error::{CoreError, CoreResult};
use crate::zone::Zone;

/// Years searched on either side of the start before croniter gives up (its `max_years_between_matches`).
const MAX_YEARS_BETWEEN_MATCHES: i32 = 50;

const MINUTE: usize = 0;
const HOUR: usize = 1;
const DOM: usize = 2;
const MONTH: usize = 3;
const DOW: usize = 4;
const SECOND: usize = 5;
const YEAR: usize = 6;

/// Inclusive value range of each field, in croniter's field order.
const RANGES: [(u32, u32); 7] = [(0, 59), (0, 23), (1, 31), (1, 12), (0, 6), (0, 59), (1970, 2099)];
/// A field with this many distinct values is treated as `*`.
const LEN_MEANS_ALL: [usize; 7] = [60, 24, 31, 12, 7, 60, 130];

const MONTH_NAMES: [&str; 12] = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"];
const DOW_NAMES: [&str; 7] = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"];

/// Airflow's cron presets (`airflow.utils.dates.cron_presets`), resolved before the expression is parsed.
pub const AIRFLOW_PRESETS: [(&str, &str); 6] = [
    ("@hourly", "0 * * * *"),
    ("@daily", "0 0 * * *"),
    ("@weekly", "0 0 * * 0"),
    ("@monthly", "0 0 1 * *"),
    ("@quarterly", "0 0 1 */3 *"),
    ("@yearly", "0 0 1 1 *"),
];

/// croniter's own aliases, looked up on the lower-cased expression.
const CRONITER_ALIASES: [(&str, &str); 7] = [
    ("@midnight", "0 0 * * *"),
    ("@hourly", "0 * * * *"),
    ("@daily", "0 0 * * *"),
    ("@weekly", "0 0 * * 0"),
    ("@monthly", "0 0 1 * *"),
    ("@yearly", "0 0 1 1 *"),
    ("@annually", "0 0 1 1 *"),
];

/// Resolves one of Airflow's presets (`@daily`, `@quarterly`, ...) to its cron expression; other text is returned
/// unchanged.
pub fn resolve_preset(expression: &str) -> &str {
    AIRFLOW_PRESETS.iter().find(|(name, _)| *name == expression).map_or(expression, |(_, cron)| cron)
}

/// A set of small integers (up to 130 values, enough for every field).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Bits([u64; 3]);

impl Bits {
    fn set(&mut self, v: u32) {
        self.0[(v / 64) as usize] |= 1 << (v % 64);
    }
    fn has(&self, v: u32) -> bool {
        v < 192 && self.0[(v / 64) as usize] & (1 << (v % 64)) != 0
    }
    fn count(&self) -> usize {
        self.0.iter().map(|w| w.count_ones() as usize).sum()
    }
    fn full(lo: u32, hi: u32) -> Self {
        let mut b = Bits::default();
        for v in lo..=hi {
            b.set(v);
        }
        b
    }
    /// Smallest member `>= from` and `<= hi`.
    fn next_from(&self, from: u32, hi: u32) -> Option<u32> {
        (from..=hi).find(|v| self.has(*v))
    }
    /// Largest member `<= from` and `>= lo`.
    fn prev_from(&self, from: u32, lo: u32) -> Option<u32> {
        (lo..=from).rev().find(|v| self.has(*v))
    }
}

/// One parsed field: its values, whether croniter treats it as `*`, and whether its expansion is exactly `['*']`.
#[derive(Debug, Clone, Copy, Default)]
struct Field {
    values: Bits,
    star: bool,
    exact_star: bool,
}

/// A parsed cron expression.
#[derive(Debug, Clone)]
pub struct CronExpr {
    expression: String,
    fields: [Field; 7],
    n_fields: usize,
    /// `L` in the day-of-month field.
    dom_last: bool,
    /// `<n>W`: the day whose nearest weekday fires.
    nearest_weekday: Option<u32>,
    /// `<dow>#<n>` / `L<dow>`: per weekday (0 = Sunday) a bit mask of n (bits 1..=5) and "last" (bit 6).
    nth: [u8; 7],
    has_nth: bool,
}

const NTH_LAST: u8 = 1 << 6;

/// Which day rule a search applies (croniter evaluates day-of-month OR day-of-week as two searches).
#[derive(Clone, Copy)]
struct DayRule {
    dom_star: bool,
    dow_star: bool,
}

fn invalid(expression: &str, reason: String) -> CoreError {
    CoreError::Invalid { what: format!("cron expression '{expression}'"), reason }
}

fn is_digits(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())
}

fn is_word(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
}

/// Parses digits into a u32, saturating (huge numbers are rejected as out of range later).
fn parse_num(s: &str) -> u32 {
    s.parse::<u64>().map_or(u32::MAX, |v| v.min(u64::from(u32::MAX)) as u32)
}

/// A token value before it is stored: a number, `*` or `l`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Val {
    Num(u32),
    Star,
    Last,
}

/// Result of croniter's name lookup for one field.
fn alpha(field: usize, key: &str) -> Option<Val> {
    match field {
        DOM if key == "l" => Some(Val::Last),
        MONTH => MONTH_NAMES.iter().position(|n| *n == key).map(|i| Val::Num(i as u32 + 1)),
        DOW => DOW_NAMES.iter().position(|n| *n == key).map(|i| Val::Num(i as u32)),
        _ => None,
    }
}

/// croniter's `value_alias`: 7 means Sunday in the day-of-week field.
fn value_alias(field: usize, v: u32) -> u32 {
    if field == DOW && v == 7 {
        0
    } else {
        v
    }
}

/// `^([^-]+)-([^-/]+)(/(\d+))?$`
fn step_search(t: &str) -> Option<(&str, &str, Option<&str>)> {
    let dash = t.find('-')?;
    let low = &t[..dash];
    if low.is_empty() {
        return None;
    }
    let rest = &t[dash + 1..];
    let (high, step) = match rest.find('/') {
        Some(slash) => (&rest[..slash], Some(&rest[slash + 1..])),
        None => (rest, None),
    };
    if high.is_empty() || high.contains('-') {
        return None;
    }
    match step {
        Some(s) if !is_digits(s) => None,
        _ => Some((low, high, step)),
    }
}

/// `<he>#<n>` where `he` is a weekday or month name (or a range of them) or a word; or `l<n>`.
fn special_dow(e: &str) -> Option<(Option<&str>, &str)> {
    if let Some(hash) = e.find('#') {
        let (he, last) = (&e[..hash], &e[hash + 1..]);
        if !is_digits(last) {
            return None;
        }
        let names_range = |names: &[&str]| match he.split_once('-') {
            Some((a, b)) => names.contains(&a) && names.contains(&b),
            None => names.contains(&he),
        };
        if is_word(he) || names_range(&DOW_NAMES) || names_range(&MONTH_NAMES) {
            return Some((Some(he), last));
        }
        return None;
    }
    if let Some(last) = e.strip_prefix('l') {
        if is_digits(last) {
            return Some((None, last));
        }
    }
    None
}

/// `^(?:(\d+)w|w(\d+))$`
fn nearest_weekday_token(e: &str) -> Option<&str> {
    if let Some(d) = e.strip_suffix('w') {
        if is_digits(d) {
            return Some(d);
        }
    }
    e.strip_prefix('w').filter(|d| is_digits(d))
}

/// Nth occurrence marker on a day-of-week token.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Nth {
    N(u32),
    Last,
}

impl CronExpr {
    /// Parses an expression with croniter's rules. Airflow's presets are not resolved here (see
    /// [`resolve_preset`]); croniter's own `@` aliases are.
    pub fn parse(expression: &str) -> CoreResult<CronExpr> {
        let lowered = expression.to_ascii_lowercase();
        let efl = CRONITER_ALIASES.iter().find(|(n, _)| *n == lowered).map_or(lowered.as_str(), |(_, c)| c);
        // croniter splits on ASCII whitespace only.
        let exprs: Vec<&str> = efl.split(|c: char| c.is_ascii_whitespace()).filter(|s| !s.is_empty()).collect();
        if !(5..=7).contains(&exprs.len()) {
            return Err(invalid(
                expression,
                "Exactly 5, 6 or 7 columns has to be specified for iterator expression.".into(),
            ));
        }
        let joined = exprs.join(" ");
        let not_alpha = || invalid(expression, format!("[{joined}] is not acceptable"));
        let mut cron = CronExpr {
            expression: expression.to_owned(),
            fields: [Field::default(); 7],
            n_fields: exprs.len(),
            dom_last: false,
            nearest_weekday: None,
            nth: [0; 7],
            has_nth: false,
        };
        for (idx, raw) in exprs.iter().enumerate() {
            let (lo_range, hi_range) = RANGES[idx];
            // croniter's hash expander: `H` needs a hash id that Airflow never passes; `R` is random.
            if is_hash_token(raw) {
                let reason = if raw.starts_with('h') {
                    "Hashed definitions must include hash_id".to_owned()
                } else {
                    format!("[{expression}] random 'R' definitions are not supported")
                };
                return Err(invalid(expression, reason));
            }
            let mut expr: &str = raw;
            if expr.contains('?') {
                if expr != "?" {
                    return Err(invalid(
                        expression,
                        format!("[{expression}] is not acceptable. Question mark can not used with other characters"),
                    ));
                }
                if idx != DOM && idx != DOW {
                    return Err(invalid(
                        expression,
                        format!(
                            "[{expression}] is not acceptable. Question mark can only used in day_of_month or \
                             day_of_week"
                        ),
                    ));
                }
                expr = "*";
            }
            // Tokens are handled as a stack, like croniter, so that its "W only alone" check sees the same state.
            let mut stack: Vec<(String, Option<Nth>)> = expr.split(',').map(|s| (s.to_owned(), None)).collect();
            let mut res: Vec<Val> = Vec::new();
            while let Some((tok, preset_nth)) = stack.pop() {
                let mut e = tok.as_str();
                let mut nth = preset_nth;
                if idx == DOW && nth.is_none() {
                    if let Some((he, last)) = special_dow(e) {
                        match he {
                            Some(he) => {
                                let n = parse_num(last);
                                if !(1..=5).contains(&n) {
                                    return Err(invalid(
                                        expression,
                                        format!(
                                            "[{expression}] is not acceptable. Invalid day_of_week value: '{last}'"
                                        ),
                                    ));
                                }
                                e = he;
                                nth = Some(Nth::N(n));
                            }
                            None => {
                                e = last;
                                nth = Some(Nth::Last);
                            }
                        }
                    }
                }
                if idx == DOM {
                    if let Some(day) = nearest_weekday_token(e) {
                        let w = parse_num(day);
                        if !(1..=31).contains(&w) {
                            return Err(invalid(
                                expression,
                                format!(
                                    "[{expression}] is not acceptable, nearest weekday day value '{w}' out of range"
                                ),
                            ));
                        }
                        if !stack.is_empty() || !res.is_empty() {
                            return Err(invalid(
                                expression,
                                format!(
                                    "[{expression}] is not acceptable. 'W' can only be used with a single day value, \
                                     not in a list or range"
                                ),
                            ));
                        }
                        cron.nearest_weekday = Some(w);
                        res.push(Val::Num(w));
                        continue;
                    }
                }
                let mut t: String = match e.strip_prefix("*/") {
                    Some(rest) if !rest.is_empty() => format!("{lo_range}-{hi_range}/{rest}"),
                    _ => e.to_owned(),
                };
                let mut start_with_step = false;
                let mut m = step_search(&t).map(|(a, b, c)| (a.to_owned(), b.to_owned(), c.map(str::to_owned)));
                if m.is_none() {
                    // "{start}/{step}" means "{start}-{max}/{step}" (split at the last slash, as croniter does).
                    if let Some(slash) = e.rfind('/') {
                        if slash > 0 && slash + 1 < e.len() {
                            t = format!("{}-{hi_range}/{}", &e[..slash], &e[slash + 1..]);
                            m = step_search(&t).map(|(a, b, c)| (a.to_owned(), b.to_owned(), c.map(str::to_owned)));
                            start_with_step = m.is_some();
                        }
                    }
                }
                if let Some((low_s, high_s, step_s)) = m {
                    let mut high_s = high_s;
                    if idx == DOM && high_s == "l" {
                        high_s = "31".into();
                    }
                    let conv = |s: String| -> CoreResult<String> {
                        if is_digits(&s) {
                            return Ok(s);
                        }
                        match alpha(idx, &s) {
                            Some(Val::Num(n)) => Ok(n.to_string()),
                            Some(_) => Ok("l".into()),
                            None => Err(not_alpha()),
                        }
                    };
                    let low_s = conv(low_s)?;
                    let high_s = conv(high_s)?;
                    let step = step_s.as_deref().map_or(1, parse_num);
                    if step == 0 {
                        return Err(invalid(
                            expression,
                            format!("[{expression}] step '0' in field {idx} is not acceptable"),
                        ));
                    }
                    if !is_digits(&low_s) || !is_digits(&high_s) {
                        return Err(invalid(
                            expression,
                            format!("[{expression}] bands '{low_s}-{high_s}' in field {idx} are not acceptable"),
                        ));
                    }
                    let mut low = value_alias(idx, parse_num(&low_s));
                    let mut high = value_alias(idx, parse_num(&high_s));
                    if low.max(high) > hi_range {
                        return Err(invalid(expression, format!("{expression} is out of bands")));
                    }
                    let start_at_field_max = start_with_step && low == high;
                    if low == high && !start_with_step {
                        (low, high) = (lo_range, hi_range);
                    }
                    let step_us = step as usize;
                    let rng: Vec<u32> = if start_at_field_max {
                        vec![low]
                    } else if low > high {
                        let mut rng: Vec<u32> = (low..=hi_range).step_by(step_us).collect();
                        let mut to_skip = 0;
                        if let Some(&last) = rng.last() {
                            let whole_len = u64::from(hi_range - lo_range + 1);
                            let already_skipped = u64::from(hi_range - last);
                            let curpos = u64::from(last - lo_range);
                            if curpos + u64::from(step) > whole_len && already_skipped < u64::from(step) {
                                to_skip = (u64::from(step) - already_skipped) as u32;
                            }
                        }
                        let from = lo_range.saturating_add(to_skip);
                        if from <= high {
                            rng.extend((from..=high).step_by(step_us));
                        }
                        rng
                    } else {
                        (low..=high).step_by(step_us).collect()
                    };
                    for v in rng.into_iter().rev() {
                        let carried = if idx == DOW { nth.filter(|n| *n != Nth::Last) } else { None };
                        stack.push((v.to_string(), carried));
                    }
                    continue;
                }
                if t.starts_with('-') {
                    return Err(invalid(
                        expression,
                        format!("[{expression}] is not acceptable, negative numbers not allowed"),
                    ));
                }
                let val = if t == "*" {
                    Val::Star
                } else if is_digits(&t) {
                    Val::Num(value_alias(idx, parse_num(&t)))
                } else {
                    match alpha(idx, &t) {
                        Some(Val::Num(n)) => Val::Num(value_alias(idx, n)),
                        Some(v) => v,
                        None => return Err(not_alpha()),
                    }
                };
                if let Val::Num(n) = val {
                    if n < lo_range || n > hi_range {
                        return Err(invalid(expression, format!("[{expression}] is not acceptable, out of range")));
                    }
                }
                res.push(val);
                if let (Some(n), Val::Num(day)) = (nth, val) {
                    if idx == DOW {
                        cron.has_nth = true;
                        cron.nth[day as usize] |= match n {
                            Nth::N(k) => 1 << k,
                            Nth::Last => NTH_LAST,
                        };
                    }
                }
            }
            // Years are stored relative to 1970 so that every field fits in the bit set.
            let base = if idx == YEAR { lo_range } else { 0 };
            let mut field = Field::default();
            let mut distinct = 0;
            let mut seen_star = false;
            for v in &res {
                match v {
                    Val::Num(n) if !field.values.has(*n - base) => {
                        field.values.set(*n - base);
                        distinct += 1;
                    }
                    Val::Star if !seen_star => {
                        seen_star = true;
                        distinct += 1;
                    }
                    Val::Last if !cron.dom_last => {
                        cron.dom_last = true;
                        distinct += 1;
                    }
                    _ => {}
                }
            }
            let mut means_all = distinct == LEN_MEANS_ALL[idx];
            // croniter keeps a full day list when the other day field has no '*' in its text.
            if means_all
                && ((idx == DOM && exprs.len() > DOW && !exprs[DOW].contains('*'))
                    || (idx == DOW && !exprs[DOM].contains('*')))
            {
                means_all = false;
            }
            field.exact_star = means_all || (seen_star && distinct == 1);
            field.star = means_all || seen_star;
            if field.star {
                field.values = Bits::full(lo_range - base, hi_range - base);
                if idx == DOM {
                    cron.dom_last = false;
                }
            }
            cron.fields[idx] = field;
        }
        if cron.has_nth {
            let dow = cron.fields[DOW];
            let plain: Vec<u32> = (0..7).filter(|d| dow.values.has(*d) && cron.nth[*d as usize] == 0).collect();
            if !dow.exact_star && !plain.is_empty() && dow.values.count() != 7 {
                return Err(invalid(
                    expression,
                    format!(
                        "day-of-week field does not support mixing literal values and nth day of week syntax.  Cron: \
                         '{expression}'    dow={plain:?}"
                    ),
                ));
            }
        }
        for idx in cron.n_fields..7 {
            cron.fields[idx] = Field { values: Bits::full(0, 59), star: true, exact_star: true };
        }
        if cron.n_fields == 5 {
            // Five-field expressions fire at second 0.
            let mut zero = Bits::default();
            zero.set(0);
            cron.fields[SECOND] = Field { values: zero, star: false, exact_star: false };
        }
        Ok(cron)
    }

    /// The expression as it was given.
    pub fn expression(&self) -> &str {
        &self.expression
    }

    /// Whether the expression has a seconds field (6 or 7 fields).
    pub fn has_seconds(&self) -> bool {
        self.n_fields > 5
    }

    /// Number of fields (5, 6 or 7).
    pub fn field_count(&self) -> usize {
        self.n_fields
    }

    /// Airflow's `_covers_every_hour`: the hour field expands to exactly `*`.
    pub fn covers_every_hour(&self) -> bool {
        self.fields[HOUR].exact_star
    }

    fn day_ok(&self, rule: DayRule, y: i32, m: u32, d: u32, last: u32) -> bool {
        let dom_part = match self.nearest_weekday {
            Some(w) => d == nearest_weekday(y, m, w),
            None => rule.dom_star || self.fields[DOM].values.has(d) || (self.dom_last && d == last),
        };
        if !dom_part {
            return false;
        }
        if self.has_nth {
            let wd = weekday(y, m, d);
            let mask = self.nth[wd as usize];
            let k = (d - 1) / 7 + 1;
            (mask & (1 << k)) != 0 || ((mask & NTH_LAST) != 0 && d + 7 > last)
        } else {
            rule.dow_star || self.fields[DOW].values.has(weekday(y, m, d))
        }
    }

    /// croniter's day-of-month OR day-of-week rule: two searches, the earlier (or later, backwards) wins.
    fn search(&self, t0: NaiveDateTime, forward: bool) -> CoreResult<NaiveDateTime> {
        let dom_star = self.fields[DOM].star;
        let dow_star = self.fields[DOW].star;
        let failed = || {
            invalid(
                &self.expression,
                if forward { "failed to find next date" } else { "failed to find prev date" }.into(),
            )
        };
        if !dom_star && !dow_star {
            let clean_split = !self.has_nth && self.nearest_weekday.is_none();
            let t1 = self.search_rule(t0, forward, DayRule { dom_star: false, dow_star: true });
            let t2 = self.search_rule(t0, forward, DayRule { dom_star: true, dow_star: false });
            if !clean_split && (t1.is_none() || t2.is_none()) {
                return Err(failed());
            }
            return match (t1, t2) {
                (Some(a), Some(b)) => Ok(if forward { a.min(b) } else { a.max(b) }),
                (Some(a), None) | (None, Some(a)) => Ok(a),
                (None, None) => Err(failed()),
            };
        }
        self.search_rule(t0, forward, DayRule { dom_star, dow_star }).ok_or_else(failed)
    }

    fn search_rule(&self, t0: NaiveDateTime, forward: bool, rule: DayRule) -> Option<NaiveDateTime> {
        let f = &self.fields;
        let (y0, mo0, d0) = (t0.year(), t0.month(), t0.day());
        let (h0, mi0, s0) = (t0.hour(), t0.minute(), t0.second());
        let years: Box<dyn Iterator<Item = i32>> = if forward {
            Box::new(y0..=y0 + MAX_YEARS_BETWEEN_MATCHES)
        } else {
            Box::new((y0 - MAX_YEARS_BETWEEN_MATCHES..=y0).rev())
        };
        for y in years {
            if self.n_fields == 7 && !f[YEAR].star && !(y >= 1970 && f[YEAR].values.has((y - 1970) as u32)) {
                continue;
            }
            let at_y = y == y0;
            let months: Vec<u32> = if forward {
                (if at_y { mo0 } else { 1 }..=12).collect()
            } else {
                (1..=if at_y { mo0 } else { 12 }).rev().collect()
            };
            for mo in months {
                if !f[MONTH].values.has(mo) {
                    continue;
                }
                let at_m = at_y && mo == mo0;
                let last = days_in_month(y, mo);
                let days: Vec<u32> = if forward {
                    (if at_m { d0 } else { 1 }..=last).collect()
                } else {
                    (1..=if at_m { d0.min(last) } else { last }).rev().collect()
                };
                for d in days {
                    if !self.day_ok(rule, y, mo, d, last) {
                        continue;
                    }
                    let at_d = at_m && d == d0;
                    if let Some((h, mi, s)) = self.time_in_day(at_d, (h0, mi0, s0), forward) {
                        return NaiveDate::from_ymd_opt(y, mo, d).and_then(|date| date.and_hms_opt(h, mi, s));
                    }
                }
            }
        }
        None
    }

    /// First (or last) hour/minute/second of a matching day, bounded by the start when `bounded`.
    fn time_in_day(&self, bounded: bool, (h0, mi0, s0): (u32, u32, u32), forward: bool) -> Option<(u32, u32, u32)> {
        let f = &self.fields;
        let mut h = if bounded {
            h0
        } else if forward {
            0
        } else {
            23
        };
        loop {
            h = if forward { f[HOUR].values.next_from(h, 23)? } else { f[HOUR].values.prev_from(h, 0)? };
            let at_h = bounded && h == h0;
            let mut mi = if at_h {
                mi0
            } else if forward {
                0
            } else {
                59
            };
            loop {
                let found =
                    if forward { f[MINUTE].values.next_from(mi, 59) } else { f[MINUTE].values.prev_from(mi, 0) };
                let Some(m) = found else { break };
                mi = m;
                let at_mi = at_h && mi == mi0;
                let s_from = if at_mi {
                    s0
                } else if forward {
                    0
                } else {
                    59
                };
                let s = if forward {
                    f[SECOND].values.next_from(s_from, 59)
                } else {
                    f[SECOND].values.prev_from(s_from, 0)
                };
                if let Some(s) = s {
                    return Some((h, mi, s));
                }
                if forward {
                    if mi == 59 {
                        break;
                    }
                    mi += 1;
                } else {
                    if mi == 0 {
                        break;
                    }
                    mi -= 1;
                }
            }
            if forward {
                if h == 23 {
                    return None;
                }
                h += 1;
            } else {
                if h == 0 {
                    return None;
                }
                h -= 1;
            }
        }
    }

    fn unit(&self) -> Duration {
        if self.has_seconds() {
            Duration::seconds(1)
        } else {
            Duration::minutes(1)
        }
    }

    fn truncate(&self, t: NaiveDateTime) -> NaiveDateTime {
        let secs = if self.has_seconds() { t.second() } else { 0 };
        t.date().and_time(NaiveTime::from_hms_opt(t.hour(), t.minute(), secs).unwrap_or_default())
    }

    /// The first fire time strictly after `start` (naive wall clock), as croniter's `get_next`.
    pub fn next_naive(&self, start: NaiveDateTime) -> CoreResult<NaiveDateTime> {
        let t0 = self.truncate(start + self.unit());
        self.search(t0, true)
    }

    /// The last fire time strictly before `start` (naive wall clock), as croniter's `get_prev`.
    pub fn prev_naive(&self, start: NaiveDateTime) -> CoreResult<NaiveDateTime> {
        let t0 = self.truncate(start - Duration::microseconds(1));
        self.search(t0, false)
    }

    /// Airflow's `CronMixin._get_next`: the first fire time after the instant `current_us` (epoch microseconds),
    /// evaluated in `tz`.
    pub fn next_in_zone(&self, tz: &Zone, current_us: i64) -> CoreResult<i64> {
        let naive = tz.to_naive(current_us)?;
        let scheduled = self.next_naive(naive)?;
        if !self.covers_every_hour() {
            return Ok(tz.make_aware(scheduled));
        }
        Ok(current_us + micros(scheduled - naive))
    }

    /// Airflow's `CronMixin._get_prev`: the last fire time before the instant `current_us`, evaluated in `tz`.
    pub fn prev_in_zone(&self, tz: &Zone, current_us: i64) -> CoreResult<i64> {
        let naive = tz.to_naive(current_us)?;
        let scheduled = self.prev_naive(naive)?;
        if !self.covers_every_hour() {
            return Ok(tz.make_aware(scheduled));
        }
        Ok(current_us - micros(naive - scheduled))
    }

    /// Airflow's `_align_to_next`: `current` when it is a fire time, else the next fire time.
    pub fn align_to_next(&self, tz: &Zone, current_us: i64) -> CoreResult<i64> {
        let next = self.next_in_zone(tz, current_us)?;
        if self.prev_in_zone(tz, next)? != current_us {
            return Ok(next);
        }
        Ok(current_us)
    }

    /// Airflow's `_align_to_prev`: `current` when it is a fire time, else the previous fire time.
    pub fn align_to_prev(&self, tz: &Zone, current_us: i64) -> CoreResult<i64> {
        let prev = self.prev_in_zone(tz, current_us)?;
        if self.next_in_zone(tz, prev)? != current_us {
            return Ok(prev);
        }
        Ok(current_us)
    }

    /// `n` consecutive fire times after `current_us` in `tz` (each one Airflow's `_get_next` of the one before).
    pub fn next_n_in_zone(&self, tz: &Zone, current_us: i64, n: usize) -> CoreResult<Vec<i64>> {
        let mut out = Vec::with_capacity(n);
        let mut cur = current_us;
        for _ in 0..n {
            cur = self.next_in_zone(tz, cur)?;
            out.push(cur);
        }
        Ok(out)
    }
}

fn is_hash_token(raw: &str) -> bool {
    // ^(h|r)(\((\d+)-(\d+)\))?(/(\d+))?$
    let Some(rest) = raw.strip_prefix('h').or_else(|| raw.strip_prefix('r')) else { return false };
    let rest = match rest.strip_prefix('(') {
        Some(inner) => {
            let Some(close) = inner.find(')') else { return false };
            let Some((a, b)) = inner[..close].split_once('-') else { return false };
            if !is_digits(a) || !is_digits(b) {
                return false;
            }
            &inner[close + 1..]
        }
        None => rest,
    };
    rest.is_empty() || rest.strip_prefix('/').is_some_and(is_digits)
}

/// Microseconds in a duration (saturating on overflow, which cannot happen within the searched years).
fn micros(d: Duration) -> i64 {
    d.num_microseconds().unwrap_or(i64::MAX)
}

/// Days in a month of the proleptic Gregorian calendar.
pub fn days_in_month(y: i32, m: u32) -> u32 {
    match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        _ if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 => 29,
        _ => 28,
    }
}

/// Day of week with Sunday = 0, as cron counts.
fn weekday(y: i32, m: u32, d: u32) -> u32 {
    NaiveDate::from_ymd_opt(y, m, d).map_or(0, |date| date.weekday().num_days_from_sunday())
}

/// The weekday (Mon-Fri) nearest to day `day` of the month, never leaving the month (croniter's `W`).
fn nearest_weekday(y: i32, m: u32, day: u32) -> u32 {
    let last = days_in_month(y, m);
    let day = day.min(last);
    match weekday(y, m, day) {
        6 if day > 1 => day - 1,
        6 => day + 2,
        0 if day < last => day + 1,
        0 => day - 2,
        _ => day,
    }
}

/// Epoch microseconds to a naive date-time (UTC wall clock).
pub fn naive_from_us(us: i64) -> CoreResult<NaiveDateTime> {
    chrono::DateTime::from_timestamp_micros(us)
        .map(|dt| dt.naive_utc())
        .ok_or_else(|| CoreError::Invalid { what: "timestamp".into(), reason: format!("{us} is out of range") })
}

/// A naive date-time read as UTC, in epoch microseconds.
pub fn naive_to_us(t: NaiveDateTime) -> i64 {
    t.and_utc().timestamp_micros()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dt(s: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S").unwrap()
    }

    fn next(expr: &str, start: &str) -> String {
        CronExpr::parse(expr).unwrap().next_naive(dt(start)).unwrap().to_string()
    }

    fn prev(expr: &str, start: &str) -> String {
        CronExpr::parse(expr).unwrap().prev_naive(dt(start)).unwrap().to_string()
    }

    #[test]
    fn basic_next_and_prev() {
        assert_eq!(next("0 0 * * *", "2024-01-01 00:00:00"), "2024-01-02 00:00:00");
        assert_eq!(prev("0 0 * * *", "2024-01-01 00:00:00"), "2023-12-31 00:00:00");
        assert_eq!(next("*/15 * * * *", "2024-01-01 00:07:30"), "2024-01-01 00:15:00");
        assert_eq!(next("@hourly", "2024-01-01 00:59:59"), "2024-01-01 01:00:00");
        assert_eq!(next("0 0 1 */3 *", "2024-02-10 00:00:00"), "2024-04-01 00:00:00");
    }

    #[test]
    fn seconds_field_and_year_field() {
        assert_eq!(next("* * * * * */20", "2024-01-01 00:00:05"), "2024-01-01 00:00:20");
        assert_eq!(next("0 0 1 1 * 0 2030", "2024-05-01 00:00:00"), "2030-01-01 00:00:00");
    }

    #[test]
    fn last_nearest_weekday_and_nth() {
        assert_eq!(next("0 0 L * *", "2024-02-01 00:00:00"), "2024-02-29 00:00:00");
        // 2024-06-15 is a Saturday: nearest weekday is Friday the 14th.
        assert_eq!(next("0 0 15W * *", "2024-06-01 00:00:00"), "2024-06-14 00:00:00");
        // Second Tuesday of March 2024 is the 12th; last Friday is the 29th.
        assert_eq!(next("0 0 * * 2#2", "2024-03-01 00:00:00"), "2024-03-12 00:00:00");
        assert_eq!(next("0 0 * * L5", "2024-03-01 00:00:00"), "2024-03-29 00:00:00");
    }

    #[test]
    fn day_of_month_or_day_of_week() {
        // The 13th or any Friday: 2024-09-06 is a Friday, before the 13th.
        assert_eq!(next("0 0 13 * fri", "2024-09-01 00:00:00"), "2024-09-06 00:00:00");
        // A full day-of-month list with a '*' in the day-of-week text counts as '*': only even weekdays match.
        assert_eq!(next("0 0 1-31 * */2", "2024-09-01 00:00:00"), "2024-09-03 00:00:00");
    }

    #[test]
    fn croniter_quirks() {
        // An equal range written out means the whole field; "59/15" is minute 59 only.
        assert_eq!(next("5-5 * * * *", "2024-01-01 00:00:00"), "2024-01-01 00:01:00");
        assert_eq!(next("59/15 * * * *", "2024-01-01 00:00:00"), "2024-01-01 00:59:00");
        assert_eq!(next("0 0 * * sat-sun", "2024-09-02 00:00:00"), "2024-09-07 00:00:00");
    }

    #[test]
    fn errors_name_expression_and_reason() {
        let err = CronExpr::parse("* * *").unwrap_err().to_string();
        assert!(err.contains("'* * *'") && err.contains("Exactly 5, 6 or 7 columns"), "{err}");
        assert!(CronExpr::parse("0-61 * * * *").unwrap_err().to_string().contains("out of bands"));
        assert!(CronExpr::parse("60 * * * *").unwrap_err().to_string().contains("out of range"));
        assert!(CronExpr::parse("* * * foo *").unwrap_err().to_string().contains("is not acceptable"));
        assert!(CronExpr::parse("*/0 * * * *").unwrap_err().to_string().contains("step '0'"));
        assert!(CronExpr::parse("H * * * *").unwrap_err().to_string().contains("hash_id"));
        let bad = CronExpr::parse("0 0 30 2 *").unwrap().next_naive(dt("2024-01-01 00:00:00")).unwrap_err();
        assert!(bad.to_string().contains("failed to find next date"));
    }

    #[test]
    fn dst_gap_and_fold_follow_airflow() {
        let tz = Zone::parse("Europe/Amsterdam").unwrap();
        let us = |s: &str| naive_to_us(dt(s));
        // 02:30 does not exist on 2024-03-31: it fires at 03:30 CEST = 01:30 UTC.
        let cron = CronExpr::parse("30 2 * * *").unwrap();
        assert_eq!(cron.next_in_zone(&tz, us("2024-03-30 12:00:00")).unwrap(), us("2024-03-31 01:30:00"));
        // 02:30 happens twice on 2024-10-27: the second one (CET) is used.
        assert_eq!(cron.next_in_zone(&tz, us("2024-10-26 12:00:00")).unwrap(), us("2024-10-27 01:30:00"));
        // An hourly schedule runs in both folded hours.
        let hourly = CronExpr::parse("30 * * * *").unwrap();
        let times = hourly.next_n_in_zone(&tz, us("2024-10-26 23:45:00"), 3).unwrap();
        assert_eq!(times, vec![us("2024-10-27 00:30:00"), us("2024-10-27 01:30:00"), us("2024-10-27 02:30:00")]);
    }
}
